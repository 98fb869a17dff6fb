// Empty tensors and zero sizes as PyTorch 1.13 (Debian's python3-torch) handles them. On the wasm backend an
// empty sum left its output unwritten (3.6e-41, or a different number near 1 on each call of CrossEntropyLoss),
// a zero-sized matMul printed XNNPACK errors, and a sequence of length 0 failed deep inside the recurrence.
// The expected values below were printed by python3-torch 1.13, e.g.
//   nn.CrossEntropyLoss(reduction=r)(torch.zeros(0, 4), torch.zeros(0, dtype=torch.long))
// for each loss and reduction, `nn.RNNCell(4, 0)`, `nn.Linear(0, 4)(torch.zeros(2, 0))`,
// `nn.LSTM(4, 3)(torch.zeros(0, 2, 4))`, `nn.LSTM(4, 3, num_layers=2, bidirectional=True)(torch.zeros(5, 0, 4))` and `nn.Linear(2, 3).load_state_dict({"weight": [[1, 2]] * 3, …})`.
import { before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { tf, nn, backward } from "unroll";
type Tensor = tf.Tensor;
import { setupBackend } from "./helpers";

before(setupBackend);

const loose = (value: unknown) => value as never;

/** What `fn` writes to stderr (XNNPACK reports there from inside the wasm module), and what it returns. */
function quietly<T>(fn: () => T): T {
  const write = process.stderr.write;
  let written = "";
  process.stderr.write = ((chunk: string | Uint8Array) => ((written += String(chunk)), true)) as typeof write;
  try {
    return fn();
  } finally {
    process.stderr.write = write;
    assert.equal(written, "", "nothing on stderr");
  }
}

const int = (shape: number[]) => () => tf.zeros(shape, "int32");
const float = (shape: number[]) => () => tf.zeros(shape);

type LossClass = new (options: { reduction: nn.Reduction }) => { forward(input: Tensor, target: Tensor): Tensor };

/** Each loss with an empty batch: its input, target and the shape of its unreduced loss. CrossEntropyLoss also
 *  with a K-dimensional input, empty either way. */
const EMPTY: [string, LossClass, () => Tensor, () => Tensor, number[]][] = [
  ["CrossEntropyLoss [0, 4]", nn.CrossEntropyLoss, float([0, 4]), int([0]), [0]],
  ["CrossEntropyLoss [0, 4, 3]", nn.CrossEntropyLoss, float([0, 4, 3]), int([0, 3]), [0, 3]],
  ["CrossEntropyLoss [2, 4, 0]", nn.CrossEntropyLoss, float([2, 4, 0]), int([2, 0]), [2, 0]],
  ["NLLLoss [0, 4]", nn.NLLLoss, float([0, 4]), int([0]), [0]],
  ["MSELoss [0, 4]", nn.MSELoss, float([0, 4]), float([0, 4]), [0, 4]],
  ["BCEWithLogitsLoss [0, 4]", nn.BCEWithLogitsLoss, float([0, 4]), float([0, 4]), [0, 4]],
];

describe("losses on an empty batch: PyTorch's 0 for a sum, NaN for a mean", () => {
  for (const [name, Loss, makeInput, makeTarget, noneShape] of EMPTY) {
    test(name, () => {
      const [input, target] = [makeInput(), makeTarget()];
      // Three calls: the unwritten output gave a different number each time.
      for (let call = 0; call < 3; call++) {
        // PyTorch: mean → nan, sum → 0.0, none → an empty tensor of the target's (or input's) shape.
        const mean = new Loss({ reduction: "mean" }).forward(input, target).dataSync()[0];
        assert.ok(Number.isNaN(mean), `${name} mean is NaN, got ${mean} (call ${call})`);
        const sum = new Loss({ reduction: "sum" }).forward(input, target);
        assert.deepEqual(sum.shape, []);
        assert.ok(Object.is(sum.dataSync()[0], 0), `${name} sum is 0, got ${sum.dataSync()[0]} (call ${call})`);
        assert.deepEqual(new Loss({ reduction: "none" }).forward(input, target).shape, noneShape);
      }
    });
  }

  test("every target ignored: mean NaN, sum 0 (PyTorch, ignore_index=-100 on a [3, 4] batch)", () => {
    const target = tf.fill([3], -100, "int32");
    assert.ok(Number.isNaN(new nn.CrossEntropyLoss().forward(tf.zeros([3, 4]), target).dataSync()[0]));
    assert.equal(new nn.CrossEntropyLoss({ reduction: "sum" }).forward(tf.zeros([3, 4]), target).dataSync()[0], 0);
  });

  test("an empty batch's mean loss reaches backward() as NaN, which stops a training run", () => {
    const model = new nn.Linear(3, 4);
    const loss = backward(() => new nn.CrossEntropyLoss().forward(model.forward(tf.zeros([0, 3])), tf.zeros([0], "int32")));
    assert.ok(Number.isNaN(loss), `loss ${loss}`);
    assert.deepEqual(model.weight.tf.grad?.shape, [4, 3]); // the graph still reaches the parameters
  });

  test("non-empty reductions are unchanged", () => {
    const x = tf.tensor2d([
      [0.5, -1, 2],
      [1, 0, -0.25],
    ]);
    const y = tf.tensor2d([
      [0, 1, 1],
      [1, 0, 0],
    ]);
    assert.ok(Math.abs(new nn.MSELoss().forward(x, y).dataSync()[0] - (0.25 + 4 + 1 + 0 + 0 + 0.0625) / 6) < 1e-6);
    assert.ok(Math.abs(new nn.MSELoss("sum").forward(x, y).dataSync()[0] - 5.3125) < 1e-6);
  });
});

describe("a batch of 0 samples through recurrent layers and cells", () => {
  // PyTorch 1.13: LSTM(4, 3, num_layers=2, bidirectional=True)(zeros(5, 0, 4)) gives out [5, 0, 6] and h_n, c_n
  // [4, 0, 3]; out.sum().backward() leaves every gradient 0; LSTMCell(4, 3)(zeros(0, 4)) gives [0, 3] twice.
  const shapes = (value: Tensor | Tensor[]) => (Array.isArray(value) ? value.map((t) => t.shape) : value.shape);
  for (const [name, Layer] of [
    ["RNN", nn.RNN],
    ["LSTM", nn.LSTM],
    ["GRU", nn.GRU],
  ] as const) {
    test(`${name}: empty outputs of PyTorch's shapes, gradients 0, nothing on stderr`, () => {
      const layer = new (Layer as typeof nn.LSTM)(4, 3, { numLayers: 2, bidirectional: true });
      const states =
        name === "LSTM"
          ? [
              [4, 0, 3],
              [4, 0, 3],
            ]
          : [4, 0, 3];
      quietly(() => {
        const [out, h] = layer.forward(tf.zeros([5, 0, 4]));
        assert.deepEqual(out.shape, [5, 0, 6]);
        assert.deepEqual(shapes(h as Tensor | Tensor[]), states);
        const batchFirst = new (Layer as typeof nn.LSTM)(4, 3, { batchFirst: true });
        assert.deepEqual(batchFirst.forward(tf.zeros([0, 5, 4]))[0].shape, [0, 5, 3]);
        const loss = backward(() => new nn.MSELoss({ reduction: "sum" }).forward(layer.forward(tf.zeros([5, 0, 4]))[0], tf.zeros([5, 0, 6])));
        assert.equal(loss, 0);
        for (const [key, p] of layer.namedParameters()) {
          assert.deepEqual(p.tf.grad?.shape, p.tf.shape, `${key} has a gradient`);
          assert.ok(
            Array.from(p.grad!.tf.dataSync()).every((g) => g === 0),
            `${key}'s gradient is 0`,
          );
        }
      });
    });
  }

  test("RNNCell, LSTMCell, GRUCell: [0, hidden]", () => {
    quietly(() => {
      assert.deepEqual(new nn.RNNCell(4, 3).forward(tf.zeros([0, 4])).shape, [0, 3]);
      assert.deepEqual(shapes(new nn.LSTMCell(4, 3).forward(tf.zeros([0, 4]))), [
        [0, 3],
        [0, 3],
      ]);
      assert.deepEqual(new nn.GRUCell(4, 3).forward(tf.zeros([0, 4])).shape, [0, 3]);
    });
  });
});

describe("sizes PyTorch refuses or accepts", () => {
  const refuses = (fn: () => unknown, message: string, type: new (...args: never[]) => Error = nn.OptionError) =>
    assert.throws(fn, (e: unknown) => e instanceof type && e.message === message);

  test("negative sizes are refused (PyTorch: 'Trying to create tensor with negative dimension -1')", () => {
    refuses(() => new nn.Linear(4, -1), "Linear: out_features must be an integer ≥ 0, got -1");
    refuses(() => new nn.Linear(-1, 4), "Linear: in_features must be an integer ≥ 0, got -1");
    refuses(() => new nn.Embedding(-1, 3), "Embedding: num_embeddings must be an integer ≥ 0, got -1");
    refuses(() => new nn.Embedding(3, -1), "Embedding: embedding_dim must be an integer ≥ 0, got -1");
    refuses(() => new nn.RNNCell(4, -1), "RNNCell: hidden_size must be a positive integer, got -1");
  });

  test("recurrent sizes of 0 are refused (PyTorch refuses LSTM(4, 0); Unroll refuses RNNCell(4, 0) and RNN(0, 4) too)", () => {
    // PyTorch 1.13 refuses hidden_size 0 for RNN/LSTM/GRU ("proj_size has to be smaller than hidden_size") but
    // builds cells and input_size 0, useless modules whose zero-sized matMuls XNNPACK rejects on wasm.
    refuses(() => new nn.LSTM(4, 0), "LSTM: hidden_size must be a positive integer, got 0");
    refuses(() => new nn.RNNCell(4, 0), "RNNCell: hidden_size must be a positive integer, got 0");
    refuses(() => new nn.GRUCell(0, 3), "GRUCell: input_size must be a positive integer, got 0");
    refuses(() => new nn.RNN(0, 4), "RNN: input_size must be a positive integer, got 0");
  });

  test("Linear and Embedding of size 0 work as in PyTorch, silently", () => {
    quietly(() => {
      // PyTorch: Linear(4, 0)(zeros(2, 4)) is [2, 0]; Linear(0, 4)(zeros(2, 0)) is the bias (0, as its bound is 0).
      assert.deepEqual(new nn.Linear(4, 0).forward(tf.ones([2, 4])).shape, [2, 0]);
      const fromNothing = new nn.Linear(0, 4).forward(tf.ones([2, 0]));
      assert.deepEqual(fromNothing.shape, [2, 4]);
      assert.deepEqual(Array.from(fromNothing.dataSync()), new Array(8).fill(0));
      assert.equal(String(new nn.Embedding(0, 3)), "Embedding(0, 3)");
      assert.deepEqual(new nn.Embedding(3, 0).forward(tf.tensor1d([1, 2], "int32")).shape, [2, 0]);
    });
  });

  test("a sequence of length 0 is refused (PyTorch: 'Expected sequence length to be larger than 0 in RNN')", () => {
    refuses(
      () => new nn.RNN(4, 3).forward(tf.zeros([0, 2, 4])),
      "RNN(input_size=4, hidden_size=3) got input [0, 2, 4]: expected sequence length to be larger than 0",
      nn.ShapeError,
    );
    refuses(
      () => new nn.LSTM(4, 3).forward(tf.zeros([0, 4])),
      "LSTM(input_size=4, hidden_size=3) got input [0, 4]: expected sequence length to be larger than 0",
      nn.ShapeError,
    );
    refuses(
      () => new nn.GRU(4, 3, { batchFirst: true }).forward(tf.zeros([2, 0, 4])),
      "GRU(input_size=4, hidden_size=3) got input [2, 0, 4]: expected sequence length to be larger than 0",
      nn.ShapeError,
    );
  });

  test("loadStateDict names the key whose value is not a tensor", () => {
    const model = new nn.Linear(2, 3);
    refuses(
      () =>
        model.loadStateDict(
          loose({
            weight: [
              [1, 2],
              [3, 4],
              [5, 6],
            ],
            bias: tf.zeros([3]),
          }),
        ),
      'Error(s) in loading state_dict for Linear:\n\tWhile copying the parameter named "weight", expected a tensor from the state dict but received an array of 3: [1, 2], [3, 4], [5, 6]',
      Error,
    );
    refuses(
      () => model.loadStateDict(loose({ weight: tf.zeros([3, 2]), bias: null })),
      'Error(s) in loading state_dict for Linear:\n\tWhile copying the parameter named "bias", expected a tensor from the state dict but received null',
      Error,
    );
    refuses(() => model.loadStateDict(loose(null)), "Expected state_dict to be dict-like, got null.", nn.UsageError);
    refuses(() => model.loadStateDict(loose(tf.zeros([2]))), "Expected state_dict to be dict-like, got a tensor of shape [2].", nn.UsageError);
    // Keys the model does not have are only unexpected, whatever their value (as in PyTorch).
    assert.deepEqual(model.loadStateDict(loose({ ...model.stateDict(), extra: "x" }), { strict: false }), { missingKeys: [], unexpectedKeys: ["extra"] });
  });
});
