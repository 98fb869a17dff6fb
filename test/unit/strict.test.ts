// PyTorch's strictness: what PyTorch refuses (an unknown option, a value out of range, a state of the wrong
// kind, a loss computed outside backward), Unroll refuses, with the message asserted here; and what it
// accepts still works.
import { before, describe, test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import { tf, nn, optim, backward } from "unroll";
type Tensor = tf.Tensor;
import * as tfTorch from "../../src/nn/tf-torch";
import { describeError } from "../../src/runner/model-file";
import { setupBackend } from "./helpers";

before(setupBackend);

/** Any value, past the type checker: these tests give what TypeScript would flag, as esbuild runs it anyway. */
const loose = (value: unknown) => value as never;

/** `fn` throws an error of `type` whose message is exactly `message` (or matches it). */
function refuses(fn: () => unknown, message: string | RegExp, type: new (...args: never[]) => Error = nn.OptionError): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof type, `expected a ${type.name}, got ${String(error)}`);
    if (typeof message === "string") assert.equal(error.message, message);
    else assert.match(error.message, message);
    return true;
  });
}

describe("modules refuse unknown options, naming the closest valid one", () => {
  test("snake_case → camelCase: num_layers, batch_first, padding_idx, ignore_index", () => {
    refuses(() => new nn.LSTM(50, 100, loose({ num_layers: 2 })), "LSTM: unknown option 'num_layers' — did you mean 'numLayers'?");
    refuses(() => new nn.GRU(5, 10, loose({ batch_first: true })), "GRU: unknown option 'batch_first' — did you mean 'batchFirst'?");
    refuses(() => new nn.Embedding(10, 3, loose({ padding_idx: 0 })), "Embedding: unknown option 'padding_idx' — did you mean 'paddingIdx'?");
    refuses(() => new nn.CrossEntropyLoss(loose({ ignore_index: 0 })), "CrossEntropyLoss: unknown option 'ignore_index' — did you mean 'ignoreIndex'?");
  });

  test("typos by edit distance and letter case", () => {
    refuses(() => new nn.LSTM(5, 10, loose({ bidirectionnal: true })), "LSTM: unknown option 'bidirectionnal' — did you mean 'bidirectional'?");
    refuses(() => new nn.Linear(5, 10, loose({ bais: false })), "Linear: unknown option 'bais' — did you mean 'bias'?");
    refuses(() => new nn.RNN(5, 10, loose({ NumLayers: 2 })), "RNN: unknown option 'NumLayers' — did you mean 'numLayers'?");
    refuses(() => new nn.GRUCell(5, 10, loose({ biass: false })), "GRUCell: unknown option 'biass' — did you mean 'bias'?");
  });

  test("nothing close: the valid options are listed", () => {
    refuses(
      () => new nn.LSTM(5, 10, loose({ device: "cuda" })),
      "LSTM: unknown option 'device' — the options are 'numLayers', 'nonlinearity', 'bias', 'batchFirst', 'dropout', 'bidirectional', 'projSize'",
    );
    refuses(
      () => new nn.CrossEntropyLoss(loose({ labelSmoothing: 0.1 })),
      "CrossEntropyLoss: unknown option 'labelSmoothing' — the options are 'ignoreIndex', 'reduction'",
    );
    refuses(() => new nn.Embedding(10, 3, loose({ maxNorm: 1 })), "Embedding: unknown option 'maxNorm' — the options are 'paddingIdx'");
  });

  test("options that are not an object", () => {
    refuses(() => new nn.LSTM(5, 10, loose("2")), "LSTM: options must be an object like { numLayers: … }, got '2'");
    refuses(() => new nn.Linear(5, 10, loose(null)), "Linear: options must be an object like { bias: … }, got null");
  });

  test("the errors are OptionErrors, a kind of UsageError", () => {
    assert.throws(
      () => new nn.LSTM(5, 10, loose({ num_layers: 2 })),
      (e: unknown) => e instanceof nn.UsageError && (e as Error).name === "OptionError",
    );
  });
});

describe("recurrent modules refuse the values PyTorch refuses", () => {
  test("sizes and numLayers are positive integers; the positional numLayers still works", () => {
    refuses(() => new nn.LSTM(10, 0), "LSTM: hidden_size must be a positive integer, got 0");
    refuses(() => new nn.GRU(10.5, 3), "GRU: input_size must be a positive integer, got 10.5");
    refuses(() => new nn.LSTM(10, loose(undefined)), "LSTM: hidden_size must be a positive integer, got undefined");
    refuses(() => new nn.LSTM(10, 20, { numLayers: 0 }), "LSTM: numLayers must be a positive integer, got 0");
    refuses(() => new nn.RNN(10, 20, 1.5), "RNN: numLayers must be a positive integer, got 1.5");
    refuses(() => new nn.RNNCell(0, 20), "RNNCell: input_size must be a positive integer, got 0");
    const rnn = new nn.RNN(100, 10, 3);
    assert.equal(rnn.numLayers, 3);
    assert.equal(String(rnn), "RNN(100, 10, num_layers=3)");
  });

  test("dropout is a probability, in PyTorch's words", () => {
    refuses(
      () => new nn.LSTM(5, 10, { numLayers: 2, dropout: 1.5 }),
      "LSTM: dropout should be a number in range [0, 1] representing the probability of an element being zeroed, got 1.5",
    );
    refuses(
      () => new nn.GRU(5, 10, loose({ dropout: "0.2" })),
      "GRU: dropout should be a number in range [0, 1] representing the probability of an element being zeroed, got '0.2'",
    );
    refuses(() => new nn.Dropout(1.5), "Dropout: dropout probability has to be between 0 and 1, but got 1.5");
    refuses(() => new nn.Dropout(loose({ p: 0.2 })), "Dropout: dropout probability has to be between 0 and 1, but got an object { p }");
  });

  test("nonlinearity: 'tanh' or 'relu' for RNN and RNNCell; LSTM and GRU cannot choose", () => {
    refuses(() => new nn.RNN(5, 10, loose({ nonlinearity: "sigmoid" })), "RNN: Unknown nonlinearity 'sigmoid'. Select from 'tanh' or 'relu'.");
    refuses(() => new nn.RNNCell(5, 10, loose({ nonlinearity: "gelu" })), "RNNCell: Unknown nonlinearity 'gelu'. Select from 'tanh' or 'relu'.");
    refuses(
      () => new nn.LSTM(5, 10, loose({ nonlinearity: "relu" })),
      "LSTM: nonlinearity 'relu': only RNN and RNNCell have this option (the LSTM gates use sigmoid and tanh)",
    );
    refuses(
      () => new nn.GRUCell(5, 10, loose({ nonlinearity: "relu" })),
      "GRUCell: nonlinearity 'relu': only RNN and RNNCell have this option (the GRU gates use sigmoid and tanh)",
    );
    // Even the 'tanh' an LSTM uses anyway: PyTorch's LSTM has no such keyword (TypeError).
    refuses(
      () => new nn.LSTM(5, 10, loose({ nonlinearity: "tanh" })),
      "LSTM: nonlinearity 'tanh': only RNN and RNNCell have this option (the LSTM gates use sigmoid and tanh)",
    );
    assert.equal(new nn.RNN(5, 10, { nonlinearity: "relu" }).nonlinearity, "relu");
  });

  test("booleans are booleans", () => {
    refuses(() => new nn.GRU(5, 10, loose({ bias: "yes" })), "GRU: bias must be true or false, got 'yes'");
    refuses(() => new nn.LSTM(5, 10, loose({ bidirectional: 1 })), "LSTM: bidirectional must be true or false, got 1");
  });

  test("projSize: an integer in [0, hiddenSize), LSTM only", () => {
    refuses(() => new nn.LSTM(5, 20, { projSize: 20 }), "LSTM: projSize has to be smaller than hiddenSize, got projSize=20 and hiddenSize=20");
    refuses(() => new nn.LSTM(5, 20, { projSize: -1 }), "LSTM: projSize should be a positive integer or zero to disable projections, got -1");
    refuses(() => new nn.GRU(5, 20, { projSize: 5 }), "GRU: projSize argument is only supported for LSTM, not RNN or GRU");
    assert.equal(new nn.GRU(5, 20, { projSize: 0 }).projSize, 0);
    assert.equal(String(new nn.LSTM(5, 20, { projSize: 4 })), "LSTM(5, 20, proj_size=4)");
  });
});

describe("layers and losses refuse bad values", () => {
  test("Linear and Embedding sizes, paddingIdx", () => {
    refuses(() => new nn.Linear(-1, 3), "Linear: in_features must be an integer ≥ 0, got -1");
    refuses(() => new nn.Embedding(10, 3, { paddingIdx: 10 }), "Embedding: paddingIdx must be within numEmbeddings (10), got 10");
    refuses(() => new nn.Embedding(10, 3, { paddingIdx: 1.5 }), "Embedding: paddingIdx must be an integer, got 1.5");
    assert.equal(new nn.Linear(3, 2, { bias: false }).bias, null);
  });

  test("reduction is 'mean', 'sum' or 'none', as an option or alone", () => {
    refuses(() => new nn.MSELoss({ reduction: loose("avg") }), "MSELoss: 'avg' is not a valid value for reduction: choose 'mean', 'sum' or 'none'");
    refuses(() => new nn.NLLLoss({ ignoreIndex: loose("0") }), "NLLLoss: ignoreIndex must be an integer, got '0'");
    assert.equal(new nn.MSELoss("sum").reduction, "sum");
    assert.equal(new nn.BCEWithLogitsLoss({ reduction: "none" }).reduction, "none");
    assert.equal(new nn.CrossEntropyLoss({ ignoreIndex: 0 }).ignoreIndex, 0);
  });
});

describe("optimizers and StepLR refuse what torch.optim refuses", () => {
  const params = () => new nn.Linear(2, 2).parameters();

  test("unknown options", () => {
    refuses(() => new optim.SGD(params(), loose({ lr: 0.1, weight_decay: 1e-4 })), "SGD: unknown option 'weight_decay' — did you mean 'weightDecay'?");
    refuses(() => new optim.AdamW(params(), loose({ weight_decay: 0.1 })), "AdamW: unknown option 'weight_decay' — did you mean 'weightDecay'?");
    refuses(
      () => new optim.Adam(params(), loose({ maximize: true })),
      "Adam: unknown option 'maximize' — the options are 'lr', 'betas', 'eps', 'weightDecay', 'amsgrad'",
    );
    refuses(
      () => new optim.lrScheduler.StepLR(new optim.SGD(params(), { lr: 0.1 }), loose({ step_size: 10 })),
      "StepLR: unknown option 'step_size' — did you mean 'stepSize'?",
    );
  });

  test("values, in PyTorch's words", () => {
    refuses(() => new optim.SGD(params(), loose({})), "SGD: lr is required");
    refuses(() => new optim.SGD(params(), { lr: -1 }), "SGD: Invalid learning rate: -1");
    refuses(() => new optim.SGD(params(), { lr: 0.1, momentum: -0.5 }), "SGD: Invalid momentum value: -0.5");
    refuses(() => new optim.SGD(params(), { lr: 0.1, weightDecay: -1 }), "SGD: Invalid weightDecay value: -1");
    refuses(() => new optim.SGD(params(), { lr: 0.1, nesterov: true }), "SGD: Nesterov momentum requires a momentum and zero dampening");
    refuses(
      () => new optim.SGD(params(), { lr: 0.1, momentum: 0.9, dampening: 0.1, nesterov: true }),
      "SGD: Nesterov momentum requires a momentum and zero dampening",
    );
    refuses(() => new optim.Adam(params(), { betas: [0.9, 1] }), "Adam: Invalid beta parameter at index 1: 1");
    refuses(() => new optim.Adam(params(), loose({ betas: 0.9 })), "Adam: betas must be a pair [beta1, beta2], got 0.9");
    refuses(() => new optim.Adam(params(), { eps: -1 }), "Adam: Invalid epsilon value: -1");
    refuses(() => new optim.RMSprop(params(), { alpha: -1 }), "RMSprop: Invalid alpha value: -1");
    refuses(() => new optim.lrScheduler.StepLR(new optim.SGD(params(), { lr: 0.1 }), loose({ gamma: 0.5 })), "StepLR: stepSize is required");
    refuses(() => new optim.lrScheduler.StepLR(loose({ lr: 0.1 }), { stepSize: 2 }), "StepLR: an object { lr } is not an Optimizer");
  });

  test("params are parameters", () => {
    refuses(
      () => new optim.SGD(loose(new nn.Linear(2, 2)), { lr: 0.1 }),
      "SGD: params must be an iterable of parameters, like model.parameters(), got a Linear",
    );
    refuses(
      () => new optim.Adam(loose([tfTorch.randn([2])])),
      "Adam: optimizer can only optimize parameters (model.parameters()), but one of the params is a tensor of shape [2]",
    );
    refuses(() => new optim.Adam([]), "Adam: optimizer got an empty parameter list");
  });

  test("valid options still work, AdamW's decay defaulting to 1e-2", () => {
    assert.equal(new optim.SGD(params(), { lr: 0.1, momentum: 0.9, nesterov: true }).nesterov, true);
    assert.equal(new optim.AdamW(params()).weightDecay, 1e-2);
    assert.equal(new optim.AdamW(params(), { weightDecay: 0 }).weightDecay, 0);
    assert.equal(new optim.Adam(params()).weightDecay, 0);
    assert.equal(new optim.RMSprop(params(), { momentum: 0.9, centered: true }).lr, 1e-2);
  });
});

describe("forward checks the state like PyTorch's check_forward_args", () => {
  const x = () => tfTorch.randn([5, 3, 10]);
  const h = () => tfTorch.randn([2, 3, 20]);
  let lstm: nn.LSTM;
  before(() => (lstm = new nn.LSTM(10, 20, 2))); // after the backend is set up

  test("an LSTM needs [h0, c0]", () => {
    refuses(
      () => lstm.forward(x(), loose(h())),
      "LSTM.forward: the state must be [h0, c0], two tensors (or null for zeros), got a tensor of shape [2, 3, 20]",
      nn.UsageError,
    );
    refuses(
      () => lstm.forward(x(), loose([h()])),
      "LSTM.forward: the state must be [h0, c0], two tensors (or null for zeros), got an array of 1: a tensor of shape [2, 3, 20]",
      nn.UsageError,
    );
    refuses(
      () => lstm.forward(x(), loose([h(), 0])),
      "LSTM.forward: the state must be [h0, c0], two tensors (or null for zeros), got an array of 2: a tensor of shape [2, 3, 20], 0",
      nn.UsageError,
    );
    refuses(
      () => (lstm.forward as (...args: unknown[]) => unknown)(x(), h(), h()),
      "LSTM.forward takes (input, [h0, c0]), got 3 arguments — pass the state as one array [h0, c0], where PyTorch takes the tuple (h0, c0)",
      nn.UsageError,
    );
    refuses(
      () => lstm.forward(x(), [tfTorch.randn([1, 3, 20]), h()]),
      "LSTM(input_size=10, hidden_size=20, num_layers=2) got h0 [1, 3, 20]: expected [2, 3, 20] (num_layers * num_directions, batch, hidden_size)",
      nn.ShapeError,
    );
  });

  test("an RNN or a GRU needs one tensor", () => {
    const gru = new nn.GRU(10, 20);
    refuses(
      () => gru.forward(x(), loose([tfTorch.randn([1, 3, 20]), tfTorch.randn([1, 3, 20])])),
      "GRU.forward: the state must be h0, one tensor (or null for zeros), got an array of 2: a tensor of shape [1, 3, 20], a tensor of shape [1, 3, 20] — only LSTM and LSTMCell take a pair [h, c]",
      nn.UsageError,
    );
    refuses(
      () => (new nn.RNN(10, 20).forward as (...args: unknown[]) => unknown)(x(), null, 1),
      "RNN.forward takes (input, h0), got 3 arguments",
      nn.UsageError,
    );
    refuses(
      () => new nn.RNN(10, 20).forward(loose([x()])),
      "RNN.forward: the input must be a tensor or a PackedSequence, got an array of 1: a tensor of shape [5, 3, 10]",
      nn.UsageError,
    );
  });

  test("cells: LSTMCell takes [hx, cx], RNNCell and GRUCell one tensor", () => {
    const hx = tfTorch.randn([3, 20]);
    refuses(
      () => new nn.LSTMCell(10, 20).forward(tfTorch.randn([3, 10]), loose(hx)),
      "LSTMCell.forward: the state must be [hx, cx], two tensors (or null for zeros), got a tensor of shape [3, 20]",
      nn.UsageError,
    );
    refuses(
      () => new nn.LSTMCell(10, 20).forward(tfTorch.randn([3, 10]), loose([hx])),
      "LSTMCell.forward: the state must be [hx, cx], two tensors (or null for zeros), got an array of 1: a tensor of shape [3, 20]",
      nn.UsageError,
    );
    refuses(
      () => new nn.RNNCell(10, 20).forward(tfTorch.randn([3, 10]), loose([hx])),
      "RNNCell.forward: the state must be hx, one tensor (or null for zeros), got an array of 1: a tensor of shape [3, 20] — only LSTM and LSTMCell take a pair [h, c]",
      nn.UsageError,
    );
    refuses(() => new nn.GRUCell(10, 20).forward(loose(3)), "GRUCell.forward: the input must be a tensor, got 3", nn.UsageError);
  });

  test("what PyTorch accepts still works: no state, null, the right kinds, packed and unbatched input", () => {
    const [out, [hn, cn]] = lstm.forward(x());
    assert.deepEqual(
      [out.shape, hn.shape, cn.shape],
      [
        [5, 3, 20],
        [2, 3, 20],
        [2, 3, 20],
      ],
    );
    assert.deepEqual(lstm.forward(x(), null)[0].shape, [5, 3, 20]);
    assert.deepEqual(lstm.forward(x(), [h(), h()])[1][1].shape, [2, 3, 20]);
    assert.deepEqual(lstm.forward(tfTorch.randn([5, 10]), [tfTorch.randn([2, 20]), tfTorch.randn([2, 20])])[0].shape, [5, 20]);
    const gru = new nn.GRU(10, 20);
    assert.deepEqual(gru.forward(x(), tfTorch.randn([1, 3, 20]))[1].shape, [1, 3, 20]);
    const packed = nn.utils.rnn.packPaddedSequence(x(), [5, 4, 2]);
    assert.deepEqual(gru.forward(packed, tfTorch.randn([1, 3, 20]))[1].shape, [1, 3, 20]);
    const [h1, c1] = new nn.LSTMCell(10, 20).forward(tfTorch.randn([3, 10]), [tfTorch.randn([3, 20]), tfTorch.randn([3, 20])]);
    assert.deepEqual(
      [h1.shape, c1.shape],
      [
        [3, 20],
        [3, 20],
      ],
    );
    assert.deepEqual(new nn.LSTMCell(10, 20).forward(tfTorch.randn([10]))[1].shape, [20]);
    assert.deepEqual(new nn.RNNCell(10, 20).forward(tfTorch.randn([3, 10]), tfTorch.randn([3, 20])).shape, [3, 20]);
  });
});

describe("backward explains the closure and keeps what it is asked to keep", () => {
  const criterion = new nn.MSELoss();
  let fc: nn.Linear;
  let x: Tensor;
  let y: Tensor;
  before(() => ([fc, x, y] = [new nn.Linear(3, 2), tfTorch.randn([4, 3]), tfTorch.randn([4, 2])]));

  test("a loss computed before backward() ran", () => {
    const loss = criterion.forward(fc.forward(x), y);
    refuses(
      () => backward(() => loss),
      "backward(): the loss was computed before backward() ran, so no gradient was recorded. TensorFlow.js records the operations only while the function runs: compute the loss inside it, backward(() => criterion.forward(model.forward(x), y)), not const loss = …; backward(() => loss)",
      nn.UsageError,
    );
    assert.ok(!loss.isDisposed, "the user's tensor is left alone");
  });

  test("a loss no parameter reaches", () => {
    refuses(
      () => backward(() => criterion.forward(x.matMul(tf.ones([3, 2])), y)),
      /^backward\(\): the loss does not depend on any parameter: compute it from the model's output inside the function/,
      nn.UsageError,
    );
  });

  test("the function returns something else", () => {
    refuses(
      () => backward(loose(() => 3)),
      "backward(): the function must return the loss tensor, or { loss, ...tensors to keep }; it returned 3",
      nn.UsageError,
    );
    refuses(
      () => backward(() => fc.forward(x).sum(1)),
      "backward(): the loss must be a scalar, got shape [4] (reduce it with .sum() or .mean())",
      nn.UsageError,
    );
  });

  test("{ loss, out }: the loss as a number, the output kept, nothing else left behind", () => {
    fc.zeroGrad();
    const before = tf.memory().numTensors;
    const { loss, out } = backward(() => {
      const out = fc.forward(x);
      return { loss: criterion.forward(out, y), out };
    });
    assert.equal(tf.memory().numTensors, before + 3, "out and the two .grad tensors");
    assert.equal(typeof loss, "number");
    assert.deepEqual(out.shape, [4, 2]);
    const again = tf.tidy(() => criterion.forward(out, y).dataSync()[0]);
    assert.ok(Math.abs(loss - again) < 1e-6, "the kept output is the one the loss came from");
    assert.ok(fc.weight.grad && fc.bias?.grad);
    const plain: number = backward(() => criterion.forward(fc.forward(x), y));
    assert.ok(Math.abs(plain - loss) < 1e-6);
    out.dispose();
  });
});

describe("the runner reports these errors at the user's line", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "unroll-strict-"));
  const CLI = path.join(__dirname, "../../../dist/cli.js");
  const run = (name: string, source: string) => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, source);
    const result = spawnSync(process.execPath, [CLI, "run", file], { encoding: "utf8", cwd: dir });
    return { code: result.status, stderr: result.stderr, stdout: result.stdout };
  };

  test("an unknown option: OptionError at the constructor call", () => {
    const { code, stderr } = run("option.ts", `import { nn } from "unroll";\n\nconst lstm = new nn.LSTM(50, 100, { num_layers: 2 } as never);\n`);
    assert.notEqual(code, 0);
    assert.ok(stderr.startsWith("option.ts:3:14: OptionError: LSTM: unknown option 'num_layers' — did you mean 'numLayers'?"), stderr);
  });

  test("a module called as in PyTorch runs forward; a name that is not a function gets no module advice", () => {
    const ok = run(
      "call.ts",
      `import { nn, torch } from "unroll";\n\nconst rnn = new nn.RNN(4, 8);\nconst [out, h] = rnn(torch.randn([5, 2, 4]), null);\nconsole.log(out.shape, h.shape);\n`,
    );
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(ok.stderr, "", "no type error either: the call is typed as forward"); // the CLI type-checks first
    assert.match(ok.stdout, /5, 2, 8.*1, 2, 8/, ok.stdout); // output [seq, batch, hidden] and h_n [layers, batch, hidden]
    const wrong = run("not-a-module.ts", `import { torch } from "unroll";\n\nconst rnn: any = {};\nconst [out, h] = rnn(torch.randn([5, 2, 4]), null);\n`);
    assert.ok(wrong.stderr.startsWith("not-a-module.ts:4:18: TypeError: rnn is not a function or its return value is not iterable\n"), wrong.stderr);
  });

  test("OptionError and UsageError are kind 'usage', a ShapeError stays 'shape'", () => {
    const caught = (fn: () => unknown) => {
      try {
        fn();
      } catch (error) {
        return error;
      }
      assert.fail("expected a throw");
    };
    assert.equal(
      describeError(
        caught(() => new nn.GRU(5, 10, loose({ num_layers: 2 }))),
        "model.ts",
      ).kind,
      "usage",
    );
    assert.equal(
      describeError(
        caught(() => new nn.GRU(5, 10).forward(tfTorch.randn([5, 3, 5]), loose([1]))),
        "model.ts",
      ).kind,
      "usage",
    );
    assert.equal(
      describeError(
        caught(() => new nn.GRU(5, 10).forward(tfTorch.randn([5, 3, 4]))),
        "model.ts",
      ).kind,
      "shape",
    );
  });
});
