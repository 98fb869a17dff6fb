// Modules are called as in PyTorch: `rnn(x)`, `cell(xt, h)`, `criterion(out, y)`, `net(x)` run `forward` with the
// same arguments. Containers index, iterate and name their modules as PyTorch's. The loops below are also the type
// test: `npm test` type-checks this file, so a call signature that stopped matching `forward` fails the build.
import { before, describe, test } from "node:test";
import assert from "node:assert/strict";
import * as util from "node:util";
import { nn, torch, tf, packPaddedSequence, setTraceObserver, showValue } from "unroll";
import { setupBackend } from "./helpers";
import { isPlainFunction, mainFunction } from "../../src/runner/model-file";
import { hasExperiment } from "../../src/runner/experiment";

before(setupBackend);

class Net extends nn.Module {
  rnn = new nn.LSTM(4, 6);
  fc = new nn.Linear(6, 3);
  override name = "循环 网络(1) 🧪"; // attributes named like Function's own properties are the user's
  override length = 7;
  override forward(x: Tensor): Tensor {
    const [output] = this.rnn(x);
    return this.fc(output);
  }
}

type Tensor = torch.Tensor;

/** The same shape and the same numbers, exactly. */
const values = (t: Tensor | tf.Tensor) => (t instanceof tf.Tensor ? t.arraySync() : t.tolist());
const same = (a: Tensor, b: Tensor) => assert.deepEqual([[...a.shape], a.tolist()], [[...b.shape], b.tolist()]);

describe("a module called is its forward", () => {
  test("Linear, Embedding, cells, layers and losses give what forward gives", () => {
    torch.manualSeed(1);
    const x = torch.randn([5, 2, 4]);
    const linear = new nn.Linear(4, 3);
    same(linear(x), linear.forward(x));
    const embedding = new nn.Embedding(10, 4);
    const ids = torch.tensor([
      [1, 2],
      [3, 9],
    ]);
    same(embedding(ids), embedding.forward(ids));
    const cell = new nn.GRUCell(4, 6);
    same(cell(x.at(0)), cell.forward(x.at(0)));
    const lstm = new nn.LSTM(4, 6, { numLayers: 2 });
    const [out, [h, c]] = lstm(x);
    const [out2, [h2, c2]] = lstm.forward(x);
    [out, h, c].forEach((t, i) => same(t, [out2, h2, c2][i]));
    assert.deepEqual([...h.shape], [2, 2, 6]);
    const loss = new nn.MSELoss();
    assert.equal(loss(x, torch.zerosLike(x)).item(), loss.forward(x, torch.zerosLike(x)).item());
    const criterion = new nn.CrossEntropyLoss();
    const logits = torch.randn([3, 5]);
    const target = torch.tensor([0, 4, 2]);
    assert.equal(criterion(logits, target).item(), criterion.forward(logits, target).item());
  });

  test("a user's module, and torch.Tensors in and out", () => {
    torch.manualSeed(2);
    const net = new Net();
    const x = torch.randn([5, 2, 4]);
    same(net(x), net.forward(x));
    const linear = new nn.Linear(4, 3);
    assert.ok(linear(x) instanceof torch.Tensor, "a Tensor in, a Tensor out");
    const y: tf.Tensor = linear(x.tf); // a TensorFlow.js tensor in, one out: forward's other overload
    assert.ok(y instanceof tf.Tensor);
    assert.deepEqual(y.arraySync(), linear(x).tolist());
  });

  test("a packed sequence goes through the call as through forward", () => {
    torch.manualSeed(3);
    const gru = new nn.GRU(4, 6);
    const packed = packPaddedSequence(torch.randn([5, 2, 4]), [5, 3]);
    const [out, h] = gru(packed);
    const [out2, h2] = gru.forward(packed);
    assert.deepEqual(out.data.arraySync(), out2.data.arraySync());
    assert.deepEqual(values(h), values(h2));
  });

  test("errors are forward's: a wrong shape is the module's ShapeError", () => {
    const linear = new nn.Linear(4, 3);
    assert.throws(() => linear(torch.randn([2, 5])), { name: "ShapeError", message: /last dimension must be 4/ });
    assert.throws(() => (new nn.Module() as unknown as () => unknown)(), { message: /Module has no forward\(\)$/ });
  });
});

describe("a callable module is still the module", () => {
  test("instanceof, its class, own keys, names, printing and state dict are as before", () => {
    const net = new Net();
    assert.ok(net instanceof Net && net instanceof nn.Module);
    assert.equal((net as unknown) instanceof Function, false, "not a Function: no call/apply/bind of its own");
    assert.equal(net.constructor, Net);
    assert.deepEqual(Object.keys(net), ["training", "rnn", "fc", "name", "length"]);
    assert.equal(net.name, "循环 网络(1) 🧪");
    assert.equal(net.length, 7);
    assert.deepEqual(Object.keys(net.stateDict()), ["rnn.weight_ih_l0", "rnn.weight_hh_l0", "rnn.bias_ih_l0", "rnn.bias_hh_l0", "fc.weight", "fc.bias"]);
    const printed = "Net(\n  (rnn): LSTM(4, 6)\n  (fc): Linear(in_features=6, out_features=3, bias=True)\n)";
    assert.equal(String(net), printed);
    assert.equal(`${net}`, printed);
    assert.equal(util.inspect(net), printed);
    assert.equal(showValue(new nn.Linear(1, 1)), "a Linear");
    assert.equal(
      showValue(() => 1),
      "a function",
    );
    assert.equal(new nn.Linear(2, 2).name, undefined, "the function's own name is gone");
  });

  test("the runner tells a module from a scratchpad's main function", () => {
    const net = new Net();
    assert.equal(isPlainFunction(net), false);
    assert.equal(mainFunction({ default: net }), undefined);
    assert.equal(hasExperiment({ default: net }), true, "checked as an experiment, and refused there");
    const main = () => 1;
    assert.equal(mainFunction({ default: main }), main);
  });

  test("a shape trace sees calls made through the module itself", () => {
    const calls: string[] = [];
    setTraceObserver({
      module: () => {},
      call: (module, args, run) => {
        calls.push(`${module.constructor.name}(${args.length})`);
        return run();
      },
      tensor: () => {},
    });
    try {
      const net = new Net();
      net(torch.randn([3, 1, 4]));
    } finally {
      setTraceObserver(null);
    }
    assert.deepEqual(calls, ["Net(1)", "LSTM(1)", "Linear(1)"]);
  });
});

describe("the recurrent loops type-check without annotations", () => {
  test("PyTorch's `out, h = lstm(x, h)`, and a state declared by type", () => {
    torch.manualSeed(4);
    const lstm = new nn.LSTM(4, 6);
    const x = torch.randn([2, 1, 4]);
    let out,
      state = null;
    for (let i = 0; i < 3; i++) [out, state] = lstm(x, state);
    assert.deepEqual([...out!.shape], [2, 1, 6]);
    let s2: nn.TensorLSTMState | undefined;
    for (let i = 0; i < 3; i++) {
      const [o, s] = lstm(x, s2);
      s2 = s;
      assert.deepEqual([...o.shape], [2, 1, 6]);
    }
    same(s2![0], state![0]);
    const cell = new nn.RNNCell(4, 6);
    let h = null;
    for (const xt of x) h = cell(xt, h);
    assert.deepEqual([...h!.shape], [1, 6]);
  });

  test("a packed sequence of Tensors: the module gives a packed sequence of Tensors and a Tensor h_n, typed so", () => {
    torch.manualSeed(6);
    const gru = new nn.GRU(3, 5, { bidirectional: true });
    const packed = packPaddedSequence(torch.randn([4, 2, 3]), [4, 2]);
    const [out, hn] = gru(packed);
    const [padded] = nn.utils.rnn.padPackedSequence(out);
    // Tensor methods on both, with no cast: a tfjs tensor has no size(d) nor at(…).
    assert.equal(hn.size(0), 2);
    assert.deepEqual([...padded.shape], [4, 2, 10]);
    same(hn.at(-1), padded.at(0, ":", "5:"));
    const lstm = new nn.LSTM(3, 5);
    const [, [h, c]] = lstm(packPaddedSequence(torch.randn([4, 2, 3]), [4, 2]));
    assert.deepEqual([h.dim(), c.dim()], [3, 3]);
  });

  test("a call with the wrong arguments is a type error", () => {
    const linear = new nn.Linear(4, 3);
    // @ts-expect-error -- Linear takes one tensor
    assert.throws(() => linear("x"));
    // @ts-expect-error -- a cell's state is a tensor, not a number
    assert.throws(() => new nn.RNNCell(4, 6)(torch.randn([1, 4]), 3));
  });
});

describe("containers as PyTorch's", () => {
  test("ModuleList: [i], length, iteration, at(-1), append, extend, PyTorch's names", () => {
    const layers = new nn.ModuleList([new nn.Linear(4, 4), new nn.Linear(4, 2)]);
    const first: nn.Linear = layers[0];
    assert.equal(first.outFeatures, 4);
    assert.equal(layers[1].outFeatures, 2);
    assert.equal(layers[2], undefined);
    assert.equal(layers.length, 2);
    assert.deepEqual(
      [...layers].map((l) => l.outFeatures),
      [4, 2],
    );
    assert.equal(layers.at(-1), layers[1]);
    layers.append(new nn.Linear(2, 1)).extend([new nn.Linear(1, 5)]);
    assert.equal(layers.length, 4);
    assert.deepEqual(Object.keys(layers.stateDict()), ["0.weight", "0.bias", "1.weight", "1.bias", "2.weight", "2.bias", "3.weight", "3.bias"]);
    let x = torch.randn([3, 4]);
    for (const layer of layers) x = layer(x);
    assert.deepEqual([...x.shape], [3, 5]);
    assert.throws(() => layers.append(5 as never), { name: "UsageError", message: "ModuleList.append: 5 is not a Module subclass" });
    assert.throws(() => layers.extend(null as never), { name: "UsageError", message: "ModuleList.extend should be called with an iterable, but got null" });
    class Stack extends nn.Module {
      layers = new nn.ModuleList([new nn.RNNCell(3, 3)]);
    }
    assert.deepEqual(Object.keys(new Stack().stateDict()), ["layers.0.weight_ih", "layers.0.weight_hh", "layers.0.bias_ih", "layers.0.bias_hh"]);
  });

  test("Sequential: called, indexed, printed as PyTorch's", () => {
    torch.manualSeed(5);
    const seq = new nn.Sequential(new nn.Linear(4, 3), new nn.Dropout(0), new nn.Linear(3, 2));
    const x = torch.randn([2, 4]);
    same(seq(x), seq[2](seq[1](seq[0](x))));
    assert.equal(seq.length, 3);
    assert.equal(
      String(seq),
      "Sequential(\n  (0): Linear(in_features=4, out_features=3, bias=True)\n  (1): Dropout(p=0, inplace=False)\n  (2): Linear(in_features=3, out_features=2, bias=True)\n)",
    );
  });

  test("ModuleDict: get, set, has, keys, values, items, pop, update, iteration over keys, names by key", () => {
    const dict = new nn.ModuleDict({ encoder: new nn.Linear(4, 3), decoder: new nn.Linear(3, 4) });
    assert.equal(dict.get("encoder")!.outFeatures, 3);
    assert.equal(dict.get("nothing"), undefined);
    assert.equal(dict.get("training"), undefined, "an attribute is not a key");
    assert.deepEqual(dict.keys(), ["encoder", "decoder"]);
    assert.deepEqual([...dict], ["encoder", "decoder"]);
    assert.deepEqual(
      dict.items().map(([k, m]) => [k, m.inFeatures]),
      [
        ["encoder", 4],
        ["decoder", 3],
      ],
    );
    dict.set("循环 网络(1) 🧪", new nn.Linear(1, 1)).update([["name", new nn.Linear(2, 2)]]);
    assert.equal(dict.get("name")!.inFeatures, 2);
    assert.equal(dict.length, 4);
    assert.deepEqual(Object.keys(dict.stateDict()), [
      "encoder.weight",
      "encoder.bias",
      "decoder.weight",
      "decoder.bias",
      "循环 网络(1) 🧪.weight",
      "循环 网络(1) 🧪.bias",
      "name.weight",
      "name.bias",
    ]);
    assert.equal(dict.pop("decoder").inFeatures, 3);
    assert.equal(dict.has("decoder"), false);
    assert.equal(String(new nn.ModuleDict({ a: new nn.Dropout() })), "ModuleDict(\n  (a): Dropout(p=0.5, inplace=False)\n)");
  });

  test("ModuleDict refuses what PyTorch refuses, with a UsageError", () => {
    const dict = new nn.ModuleDict();
    const refuses = (fn: () => unknown, message: string) => assert.throws(fn, { name: "UsageError", message });
    refuses(() => dict.set("a.b", new nn.Dropout()), `ModuleDict: a module name can't be empty or contain ".", got 'a.b'`);
    refuses(() => dict.set("", new nn.Dropout()), `ModuleDict: a module name can't be empty or contain ".", got ''`);
    refuses(() => dict.set("training", new nn.Dropout()), "ModuleDict: attribute 'training' already exists");
    refuses(() => dict.set("forward", new nn.Dropout()), "ModuleDict: attribute 'forward' already exists");
    refuses(() => dict.update([["__proto__", new nn.Dropout()]]), "ModuleDict: attribute '__proto__' already exists");
    assert.equal(Object.getPrototypeOf(dict), nn.ModuleDict.prototype);
    refuses(() => dict.set(3 as never, new nn.Dropout()), "ModuleDict keys must be strings, got 3");
    refuses(() => dict.set("x", {} as never), "ModuleDict.set: an object {  } is not a Module subclass");
    refuses(() => dict.update(null as never), "ModuleDict.update should be called with an object or pairs, got null");
    refuses(() => dict.update([["a"]] as never), "ModuleDict.update: each item must be a [key, module] pair, got ['a']");
    refuses(() => dict.pop("missing"), "ModuleDict has no key 'missing'");
    assert.equal(dict.length, 0);
  });
});
