// Mistakes explained: a method a tensor does not have gets tensor advice (the nearest torch.Tensor method); a name
// called as a function gets none, since modules are callable; the list of method names the runner reads matches
// the class.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { notAFunctionAdvice } from "../../src/runner/model-file";
import { Tensor } from "../../src/nn/tensor-class";
import { TENSOR_METHODS, nearestTensorMethod } from "../../src/nn/tensor-methods";

/** The advice for a TypeError `message` thrown at `line` (column of the called name) of a file. */
function advice(line: string, name: string, message: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "unroll-advice-"));
  const file = path.join(dir, "循环 网络(1) 🧪.ts");
  fs.writeFileSync(file, `import { torch } from "unroll";\n${line}\n`);
  const error = new TypeError(message);
  const column = line.indexOf(`${name}(`) + 1;
  try {
    return notAFunctionAdvice(error, { file, line: 2, column });
  } finally {
    fs.rmSync(dir, { recursive: true });
  }
}

describe("a missing method is explained as a tensor's", () => {
  test("tfjs's and PyTorch's spellings and typos get the nearest torch.Tensor method", () => {
    assert.equal(advice("const i = out.argMax(1);", "argMax", "out.argMax is not a function"), ": tensors have no method argMax; did you mean out.argmax(…)?");
    assert.equal(
      advice("const y = x.index_select(0, i);", "index_select", "x.index_select is not a function"),
      ": tensors have no method index_select; did you mean x.indexSelect(…)?",
    );
    assert.equal(
      advice("const y = this.h.unsqeeze(0);", "unsqeeze", "this.h.unsqeeze is not a function"),
      ": tensors have no method unsqeeze; did you mean this.h.unsqueeze(…)?",
    );
    assert.equal(nearestTensorMethod("expandDims"), "unsqueeze");
    assert.equal(nearestTensorMethod("zzzzzz"), undefined);
  });

  test("a torch.Tensor method called on a TensorFlow.js tensor, and a container's get", () => {
    assert.equal(
      advice("loss.backward();", "backward", "loss.backward is not a function"),
      ": loss is not a torch.Tensor (a TensorFlow.js tensor has no method backward); torch.fromTf(loss) makes one",
    );
    assert.equal(
      advice("const l = layers.get(0);", "get", "layers.get is not a function"),
      ": modules in a ModuleList or Sequential are layers[0], as in PyTorch",
    );
  });

  test("a name called as a function gets no module advice: modules are callable", () => {
    assert.equal(advice("const y = this.rnn(x);", "rnn", "this.rnn is not a function"), "");
    assert.equal(advice("const y = rnn(x);", "rnn", "rnn is not a function"), "");
    assert.equal(advice("const n = model.foo(x);", "foo", "model.foo is not a function"), "");
    assert.equal(advice("const [o, h] = rnn(x);", "rnn", "rnn is not a function or its return value is not iterable"), "");
  });

  test("PyTorch's view, size and item on a TensorFlow.js tensor: tensor advice, never module advice", () => {
    for (const name of ["view", "size", "item", "unsqueeze", "permute"]) {
      assert.equal(
        advice(`const y = x.${name}(0);`, name, `x.${name} is not a function`),
        `: x is not a torch.Tensor (a TensorFlow.js tensor has no method ${name}); torch.fromTf(x) makes one`,
      );
    }
    assert.equal(advice("const y = foo().view(2);", "view", "foo(...).view is not a function"), "");
  });

  test("the runner's list of method names is the class's", () => {
    const own = Object.getOwnPropertyNames(Tensor.prototype).filter(
      (n) => n !== "constructor" && typeof Object.getOwnPropertyDescriptor(Tensor.prototype, n)!.value === "function",
    );
    assert.deepEqual([...own].sort(), [...TENSOR_METHODS].sort());
  });
});
