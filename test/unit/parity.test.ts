// Parity with PyTorch 1.13: forward values, gradients and optimizer steps against the committed fixtures
// (regenerate them with `npm run fixtures`, which needs Debian's python3-torch).
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { tf, nn, optim, backward } from "unroll";
type Tensor = tf.Tensor;
import * as tfTorch from "./tf-torch";
import {
  setupBackendWithNative,
  assertClose,
  assertRelClose,
  fixtureCases,
  loadFixture,
  sequenceModule,
  setupBackend,
  FIXTURES,
  withPrefix,
  FORWARD_TOL,
  GRAD_TOL,
  STEP_TOL,
  type FixtureCase,
} from "./helpers";
import { fusedOptimizerSteps } from "../../src/nn/optim";

before(setupBackend);

const CELL = { RNNCell: nn.RNNCell, LSTMCell: nn.LSTMCell, GRUCell: nn.GRUCell } as const;

/** The weighted sum the fixtures differentiate: sum(out * w_out) + sum(h_n * w_h) (+ sum(c_n * w_c)). */
function weightedLoss(outputs: Record<string, Tensor>, weights: Record<string, Tensor>): Tensor {
  return Object.entries(outputs).reduce((sum, [k, v]) => sum.add(v.mul(weights[k]).sum()), tf.scalar(0));
}

/** Runs `f` on `inputs` and returns its outputs, the loss and the gradients w.r.t. the inputs and every
 *  parameter of `module` (through `backward`, the public API). */
function differentiate(module: nn.Module, inputs: Tensor[], f: (...xs: Tensor[]) => Record<string, Tensor>, weights: Record<string, Tensor>) {
  let outputs: Record<string, Tensor> = {};
  const inputGrads = tf.grads((...xs: Tensor[]) => {
    outputs = Object.fromEntries(Object.entries(f(...xs)).map(([k, v]) => [k, tf.keep(v.clone())]));
    return weightedLoss(outputs, weights);
  })(inputs);
  module.zeroGrad();
  const loss = backward(() => weightedLoss(f(...inputs), weights));
  return { outputs, loss, inputGrads };
}

function checkGradients(module: nn.Module, expected: Record<string, Tensor>, names: string[]) {
  const params = Object.fromEntries(module.namedParameters());
  assert.deepEqual(Object.keys(params), names, "parameter names and order match PyTorch's named_parameters()");
  for (const name of names) {
    assert.ok(params[name].grad, `${name} received a gradient`);
    assertRelClose(params[name].grad!, expected[`grad.param.${name}`], GRAD_TOL, `grad of ${name}`);
  }
}

// How many cases of each kind test/fixtures/parity/index.json holds: an emptied or truncated index (or a kind
// misspelt there) would otherwise turn the tests below off silently. Update with the fixtures (`npm run fixtures`).
const CASES: Record<FixtureCase["kind"], number> = { sequence: 97, cell: 16, model: 2, loss: 13, optimizer: 14, clip: 2 };

test("the fixture index holds every kind's cases", () => {
  const counts = Object.fromEntries(Object.keys(CASES).map((kind) => [kind, fixtureCases(kind as FixtureCase["kind"]).length]));
  assert.deepEqual(counts, CASES);
  const kinds = new Set((JSON.parse(fs.readFileSync(path.join(FIXTURES, "index.json"), "utf8")) as { cases: FixtureCase[] }).cases.map((c) => c.kind));
  assert.deepEqual([...kinds].sort(), Object.keys(CASES).sort(), "no case of a kind that no test reads");
});

class EmbedLinear extends nn.Module {
  embedding: nn.Embedding;
  linear: nn.Linear;
  constructor(o: FixtureCase["options"]) {
    super();
    this.embedding = new nn.Embedding(o.numEmbeddings, o.embeddingDim, { paddingIdx: o.paddingIdx });
    this.linear = new nn.Linear(o.embeddingDim, o.numClasses);
  }
  override forward(tokens: Tensor): Tensor {
    return this.linear.forward(this.embedding.forward(tokens));
  }
}

/** The names classifier's shape: Embedding → packed 2-layer bidirectional GRU → last layer's h_n → Linear. */
class EmbedGRULinear extends nn.Module {
  embedding: nn.Embedding;
  rnn: nn.GRU;
  fc: nn.Linear;
  constructor(o: FixtureCase["options"]) {
    super();
    this.embedding = new nn.Embedding(o.numEmbeddings, o.embeddingDim, { paddingIdx: o.paddingIdx });
    this.rnn = new nn.GRU(o.embeddingDim, o.hiddenSize, { numLayers: o.numLayers, bidirectional: o.bidirectional, batchFirst: o.batchFirst });
    this.fc = new nn.Linear(2 * o.hiddenSize, o.numClasses);
  }
  override forward(tokens: Tensor, lengths: number[]): Tensor {
    const packed = nn.utils.rnn.packPaddedSequence(this.embedding.forward(tokens), lengths, { batchFirst: true, enforceSorted: false });
    const [, h] = this.rnn.forward(packed);
    const L = this.rnn.numLayers;
    return this.fc.forward(tf.concat([h.gather(2 * L - 2), h.gather(2 * L - 1)], 1));
  }
}

// The recurrent layers run on two paths, each checked against the same fixtures: tfjs ops, and the native
// kernels (native/recurrent.cc) where they are built — these once as they choose their threads (one for cases
// this small) and once with every layer split over 2 threads (odd batches too). Without the kernels the
// native runs are skipped, saying why; with UNROLL_NATIVE=1 (CI) they fail instead.
const PATHS = [
  { name: "on tfjs ops", native: false, threads: "" },
  { name: "on the native kernels", native: true, threads: "" },
  { name: "on the native kernels, 2 threads", native: true, threads: "2" },
];
for (const { name, native, threads } of PATHS) {
  describe(name, () => {
    let unavailable: string | null = null;
    before(async () => {
      process.env.UNROLL_NATIVE_THREADS = threads;
      try {
        await setupBackendWithNative(native);
      } catch (error) {
        if (process.env.UNROLL_NATIVE === "1") throw error;
        unavailable = (error as Error).message;
      }
    });
    after(() => {
      delete process.env.UNROLL_NATIVE_THREADS;
      return setupBackend();
    });

    describe("sequence modules match PyTorch", () => {
      for (const c of fixtureCases("sequence")) {
        test(c.name, (t) => {
          if (unavailable) return t.skip(unavailable);
          const f = loadFixture(c);
          const o = c.options;
          const module = sequenceModule(c, f);
          const isLSTM = c.module === "LSTM";
          const inputs = [f.input, ...(c.withState ? [f.h0, ...(isLSTM ? [f.c0] : [])] : [])];
          const T = f.input.shape[o.batchFirst ? 1 : 0];
          const run = (x: Tensor, h0?: Tensor, c0?: Tensor): Record<string, Tensor> => {
            const input = c.packed
              ? nn.utils.rnn.packPaddedSequence(x, c.packed.lengths, { batchFirst: o.batchFirst, enforceSorted: c.packed.enforceSorted })
              : x;
            const state = isLSTM ? (h0 ? [h0, c0!] : null) : (h0 ?? null);
            const [out, hn] = (module.forward as (i: unknown, s: unknown) => [Tensor | nn.utils.rnn.PackedSequence, Tensor | [Tensor, Tensor]])(input, state);
            const output =
              out instanceof nn.utils.rnn.PackedSequence ? nn.utils.rnn.padPackedSequence(out, { batchFirst: o.batchFirst, totalLength: T })[0] : out;
            return isLSTM ? { output, h_n: (hn as Tensor[])[0], c_n: (hn as Tensor[])[1] } : { output, h_n: hn as Tensor };
          };
          const { outputs, loss, inputGrads } = differentiate(module, inputs, run, withPrefix(f, "loss_w"));
          for (const [k, v] of Object.entries(outputs)) assertClose(v, f[k], FORWARD_TOL, k);
          assert.ok(Math.abs(loss - f.loss.dataSync()[0]) <= FORWARD_TOL * Math.max(1, Math.abs(loss)), `loss ${loss} vs ${f.loss.dataSync()[0]}`);
          checkGradients(module, f, c.params);
          assertRelClose(inputGrads[0], f["grad.input"], GRAD_TOL, "grad of input");
          if (c.withState) {
            assertRelClose(inputGrads[1], f["grad.h0"], GRAD_TOL, "grad of h0");
            if (isLSTM) assertRelClose(inputGrads[2], f["grad.c0"], GRAD_TOL, "grad of c0");
          }
        });
      }
    });

    describe("cells match PyTorch", () => {
      for (const c of fixtureCases("cell")) {
        test(c.name, (t) => {
          if (unavailable) return t.skip(unavailable);
          const f = loadFixture(c);
          const o = c.options;
          const Cell = CELL[c.module as keyof typeof CELL];
          const cell = new Cell(o.inputSize, o.hiddenSize, { bias: o.bias, ...(c.module === "RNNCell" ? { nonlinearity: o.nonlinearity } : {}) });
          cell.loadStateDict(withPrefix(f, "param"));
          const isLSTM = c.module === "LSTMCell";
          const inputs = [f.input, ...(c.withState ? [f.h0, ...(isLSTM ? [f.c0] : [])] : [])];
          const run = (x: Tensor, h?: Tensor, cc?: Tensor): Record<string, Tensor> => {
            if (cell instanceof nn.LSTMCell) {
              const [h1, c1] = cell.forward(x, h ? [h, cc!] : null);
              return { h_1: h1, c_1: c1 };
            }
            return { h_1: (cell as nn.RNNCell).forward(x, h) };
          };
          const { outputs, inputGrads } = differentiate(cell, inputs, run, withPrefix(f, "loss_w"));
          for (const [k, v] of Object.entries(outputs)) assertClose(v, f[k], FORWARD_TOL, k);
          checkGradients(cell, f, c.params);
          assertRelClose(inputGrads[0], f["grad.input"], GRAD_TOL, "grad of input");
          if (c.withState) assertRelClose(inputGrads[1], f["grad.h0"], GRAD_TOL, "grad of h0");
          if (c.withState && isLSTM) assertRelClose(inputGrads[2], f["grad.c0"], GRAD_TOL, "grad of c0");
        });
      }
    });

    describe("models with Embedding, Linear and CrossEntropyLoss match PyTorch", () => {
      for (const c of fixtureCases("model")) {
        test(c.name, (t) => {
          if (unavailable) return t.skip(unavailable);
          const f = loadFixture(c);
          const model = c.name === "embed_gru_linear_ce" ? new EmbedGRULinear(c.options) : new EmbedLinear(c.options);
          model.loadStateDict(withPrefix(f, "param"));
          const criterion = new nn.CrossEntropyLoss({ ignoreIndex: c.options.ignoreIndex ?? -100 });
          const logits = model.forward(f.tokens, c.lengths);
          assertClose(logits, f.logits, FORWARD_TOL, "logits");
          const loss = backward(() => criterion.forward(model.forward(f.tokens, c.lengths), f.targets));
          assert.ok(Math.abs(loss - f.loss.dataSync()[0]) <= FORWARD_TOL, `loss ${loss} vs PyTorch ${f.loss.dataSync()[0]}`);
          checkGradients(model, f, c.params);
        });
      }
    });

    describe("optimizers match PyTorch step for step", () => {
      const OPTIM = { SGD: optim.SGD, Adam: optim.Adam, AdamW: optim.AdamW, RMSprop: optim.RMSprop } as const;
      for (const c of fixtureCases("optimizer")) {
        test(c.name, (t) => {
          if (unavailable) return t.skip(unavailable);
          const f = loadFixture(c);
          const params = Array.from({ length: c.numParams }, (_, i) => nn.parameter(f[`p0.${i}`]));
          const Optim = OPTIM[c.optimizer as keyof typeof OPTIM] as unknown as new (p: nn.Parameter[], o: object) => optim.Optimizer;
          const optimizer = new Optim(params, c.options);
          const fusedBefore = fusedOptimizerSteps();
          for (let s = 1; s <= c.steps; s++) {
            optimizer.zeroGrad();
            params.forEach((p, i) => (p.tf.grad = f[`g${s}.${i}`].clone()));
            optimizer.step();
            params.forEach((p, i) => assertClose(p, f[`p${s}.${i}`], STEP_TOL, `step ${s}, parameter ${i}`));
          }
          // The native path runs every step as one fused call; the tfjs path never does.
          assert.equal(fusedOptimizerSteps() - fusedBefore, native ? c.steps : 0, "steps run by the fused native optimizer");
          // The parameters' first values are the fixture's own tensors: a step never writes into them.
          params.forEach((_, i) => assertClose(f[`p0.${i}`], loadFixture(c)[`p0.${i}`], 0, `p0.${i} left as it was`));
        });
      }
    });
  });
}

describe("losses match PyTorch", () => {
  const LOSS = { CrossEntropyLoss: nn.CrossEntropyLoss, NLLLoss: nn.NLLLoss, MSELoss: nn.MSELoss, BCEWithLogitsLoss: nn.BCEWithLogitsLoss } as const;
  for (const c of fixtureCases("loss")) {
    test(c.name, () => {
      const f = loadFixture(c);
      const Loss = LOSS[c.loss as keyof typeof LOSS];
      const criterion =
        c.loss === "MSELoss" || c.loss === "BCEWithLogitsLoss"
          ? new (Loss as typeof nn.MSELoss)(c.options.reduction)
          : new (Loss as typeof nn.NLLLoss)(c.options);
      let output: Tensor | null = null;
      const [grad] = tf.grads((x: Tensor) => {
        output = tf.keep(criterion.forward(x, f.target));
        return output.mul(f["loss_w.output"]).sum();
      })([f.input]);
      assertClose(output!, f.output, FORWARD_TOL, "loss value");
      assertRelClose(grad, f["grad.input"], GRAD_TOL, "grad of input");
    });
  }
});

describe("clipGradNorm matches PyTorch", () => {
  for (const c of fixtureCases("clip")) {
    test(c.name, () => {
      const f = loadFixture(c);
      const params = Array.from({ length: c.numParams }, (_, i) =>
        Object.assign(nn.parameter(tfTorch.zeros(f[`g.${i}`].shape)).tf, { grad: f[`g.${i}`].clone() }),
      );
      const norm = nn.utils.clipGradNorm(params, c.maxNorm, c.normType);
      assert.ok(Math.abs(norm - f.total_norm.dataSync()[0]) <= 1e-5, `total norm ${norm} vs ${f.total_norm.dataSync()[0]}`);
      params.forEach((p, i) => assertClose(p.grad!, f[`clipped.${i}`], STEP_TOL, `clipped gradient ${i}`));
    });
  }
});
