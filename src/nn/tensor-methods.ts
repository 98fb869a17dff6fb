// The names of torch.Tensor's methods, and TensorFlow.js's and PyTorch's spellings of them, without loading the
// library: the runner explains "x.argMax is not a function" from them ("tensors have no method argMax; did you
// mean argmax?"). tensor-class.test.ts checks the list against the class.

export const TENSOR_METHODS = [
  "size",
  "dim",
  "numel",
  "item",
  "tolist",
  "toString",
  "toTf",
  "dispose",
  "requiresGrad_",
  "backward",
  "detach",
  "clone",
  "to",
  "float",
  "long",
  "bool",
  "view",
  "reshape",
  "unsqueeze",
  "squeeze",
  "permute",
  "transpose",
  "t",
  "flatten",
  "contiguous",
  "expand",
  "expandAs",
  "repeat",
  "split",
  "chunk",
  "at",
  "select",
  "narrow",
  "indexSelect",
  "maskedFill",
  "add",
  "sub",
  "mul",
  "div",
  "pow",
  "matmul",
  "neg",
  "abs",
  "relu",
  "exp",
  "log",
  "sqrt",
  "tanh",
  "sigmoid",
  "softmax",
  "logSoftmax",
  "clamp",
  "sum",
  "mean",
  "var",
  "std",
  "max",
  "min",
  "argmax",
  "argmin",
  "eq",
  "ne",
  "gt",
  "ge",
  "lt",
  "le",
] as const;

/** TensorFlow.js's names (and a few habits) for what torch.Tensor calls otherwise. */
const SPELLINGS: Record<string, string> = {
  argMax: "argmax",
  argMin: "argmin",
  expandDims: "unsqueeze",
  dataSync: "tolist",
  arraySync: "tolist",
  array: "tolist",
  data: "tolist",
  gather: "indexSelect",
  toFloat: "float",
  toInt: "long",
  asType: "to",
  cast: "to",
  maximum: "max",
  minimum: "min",
  greater: "gt",
  less: "lt",
  equal: "eq",
  notEqual: "ne",
  greaterEqual: "ge",
  lessEqual: "le",
  clipByValue: "clamp",
  slice: "narrow",
  rank: "dim",
  mm: "matmul",
  matMul: "matmul",
  dot: "matmul",
  type: "to",
};

const distance = (a: string, b: string): number => {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length];
};

/** The torch.Tensor method nearest `name` (a tfjs name, PyTorch's snake_case, a typo), or undefined. */
export function nearestTensorMethod(name: string): string | undefined {
  if (SPELLINGS[name]) return SPELLINGS[name];
  const camel = name.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
  const exact = TENSOR_METHODS.find((m) => m.toLowerCase() === camel.toLowerCase());
  if (exact) return exact;
  if (name.length < 4) return undefined;
  let best: string | undefined;
  let bestDistance = 3;
  for (const m of TENSOR_METHODS) {
    const d = distance(camel.toLowerCase(), m.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [m, d];
  }
  return best;
}
