// The recurrent layers and cells called with Tensors, differentiated with loss.backward(): the same PyTorch 1.13
// parity fixtures as parity.test.ts (which uses tfjs tensors and backward(() => loss)), on tfjs ops and on the
// native kernels where they are built. The fused recurrent op joins the graph as one node per layer.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { nn, torch, tf } from "unroll";
import { Tensor } from "../../src/nn/tensor-class";
import { assertClose, assertRelClose, fixtureCases, loadFixture, sequenceModule, withNativeKernels, withPrefix, FORWARD_TOL, GRAD_TOL } from "./helpers";

const CELL = { RNNCell: nn.RNNCell, LSTMCell: nn.LSTMCell, GRUCell: nn.GRUCell } as const;

/** A leaf Tensor requiring grad, with the fixture's values (copied: the fixture stays the fixture's). */
const leaf = (t: tf.Tensor) => torch.fromTf(t).clone().detach().requiresGrad_();

/** sum(out * w) over the outputs, through the Tensor methods; backward, then each gradient against PyTorch's. */
function check(module: nn.Module, f: Record<string, tf.Tensor>, outputs: Record<string, Tensor>, inputs: [string, Tensor][], params: string[]): void {
  let loss: Tensor | undefined;
  for (const [k, v] of Object.entries(outputs)) {
    assertClose(v.tf, f[k], FORWARD_TOL, k);
    const term = v.mul(torch.fromTf(f[`loss_w.${k}`])).sum();
    loss = loss ? loss.add(term) : term;
  }
  assert.ok(loss!.gradFn, "the loss has a grad_fn");
  loss!.backward();
  const named = Object.fromEntries(module.namedParameters());
  for (const name of params) assertRelClose(named[name].grad!, f[`grad.param.${name}`], GRAD_TOL, `grad of ${name}`);
  for (const [name, x] of inputs) assertRelClose(x.grad!.tf, f[`grad.${name}`], GRAD_TOL, `grad of ${name}`);
}

const PATHS = [
  { name: "Tensors and loss.backward(), on tfjs ops", native: false },
  { name: "Tensors and loss.backward(), on the native kernels", native: true },
];
for (const { name, native } of PATHS) {
  describe(name, () => {
    const unavailable = withNativeKernels(native);

    for (const c of fixtureCases("sequence").filter((c) => !c.packed)) {
      test(c.name, (t) => {
        if (unavailable()) return t.skip(unavailable()!);
        const f = loadFixture(c);
        const module = sequenceModule(c, f);
        const isLSTM = c.module === "LSTM";
        const inputs: [string, Tensor][] = [["input", leaf(f.input)]];
        if (c.withState) inputs.push(["h0", leaf(f.h0)], ...(isLSTM ? ([["c0", leaf(f.c0)]] as [string, Tensor][]) : []));
        const state = c.withState ? (isLSTM ? [inputs[1][1], inputs[2][1]] : inputs[1][1]) : null;
        const [out, hn] = (module.forward as unknown as (x: unknown, s: unknown) => [Tensor, Tensor | Tensor[]])(inputs[0][1], state);
        assert.ok(out instanceof Tensor, "a Tensor in, a Tensor out");
        const outputs: Record<string, Tensor> = isLSTM
          ? { output: out, h_n: (hn as Tensor[])[0], c_n: (hn as Tensor[])[1] }
          : { output: out, h_n: hn as Tensor };
        check(module, f, outputs, inputs, c.params);
      });
    }

    for (const c of fixtureCases("cell")) {
      test(c.name, (t) => {
        if (unavailable()) return t.skip(unavailable()!);
        const f = loadFixture(c);
        const o = c.options;
        const cell = new CELL[c.module as keyof typeof CELL](o.inputSize, o.hiddenSize, {
          bias: o.bias,
          ...(c.module === "RNNCell" ? { nonlinearity: o.nonlinearity } : {}),
        });
        cell.loadStateDict(withPrefix(f, "param"));
        const isLSTM = c.module === "LSTMCell";
        const inputs: [string, Tensor][] = [["input", leaf(f.input)]];
        if (c.withState) inputs.push(["h0", leaf(f.h0)], ...(isLSTM ? ([["c0", leaf(f.c0)]] as [string, Tensor][]) : []));
        const x = inputs[0][1];
        const forward = cell.forward as unknown as (x: unknown, s?: unknown) => Tensor | Tensor[];
        let outputs: Record<string, Tensor>;
        if (isLSTM) {
          const [h1, c1] = forward.call(cell, x, c.withState ? [inputs[1][1], inputs[2][1]] : null) as Tensor[];
          outputs = { h_1: h1, c_1: c1 };
        } else outputs = { h_1: forward.call(cell, x, c.withState ? inputs[1][1] : undefined) as Tensor };
        check(cell, f, outputs, inputs, c.params);
      });
    }
  });
}
