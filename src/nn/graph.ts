// PyTorch's autograd graph, built from TensorFlow.js's own gradient functions. tfjs records gradients on one
// global tape, and only inside `tf.grad`/`engine.gradients`; PyTorch hangs a graph off the tensors (grad_fn →
// next_functions) and walks it on `loss.backward()`. This file makes the second out of the first: the engine's
// `runKernelFunc` and `addTapeNode` (tfjs-core 4.22, dist/engine.js) are patched so that a kernel run by a
// Tensor method (or a module called with Tensors), whose input requires grad, becomes a `GradNode` attached to
// its outputs, holding the tensors tfjs saved for its gradient. `backward` walks the nodes in reverse
// topological order, as tfjs's tape.ts does, and frees what they saved (PyTorch's retain_graph=False).
//
// Coexistence: while tfjs's own tape runs (`backward(() => loss)`, the runner's `backwardUnread`) nothing is
// recorded here, so the closure form costs what it cost before. Outside a Tensor method nothing is recorded
// either: library code on tfjs tensors behaves as it always did.
import { tf, type Tensor } from "./tf";
import { collectAlso, finalizationRegistry } from "./memory";

/** Where a gradient goes: output `index` of a node, or a leaf's `.grad`. */
type Edge = { node: GradNode; index: number } | { leaf: GradHolder };

/** What holds a leaf's accumulated gradient: a Parameter (its `.grad`) or a Tensor created with requiresGrad. */
export interface GradHolder {
  grad: Tensor | null;
}

type GradFunc = (dy: Tensor | Tensor[], saved: Tensor[], attrs: unknown) => Record<string, () => Tensor>;

/** PyTorch's grad_fn: the gradient of one kernel, with the tensors it saved and where its inputs came from. */
export class GradNode {
  /** What PyTorch calls this node (`TanhBackward0`); a Tensor method renames the node of its last kernel. */
  name: string;
  freed = false;
  constructor(
    readonly kernel: string,
    readonly gradient: GradFunc | undefined,
    public saved: Tensor[],
    readonly attrs: unknown,
    readonly inputs: [name: string, edge: Edge][],
    readonly outputs: { shape: number[]; dtype: tf.DataType }[],
  ) {
    this.name = backwardName(kernel);
  }
}

const EDGE = Symbol("unroll.gradEdge");
type Tracked = Tensor & { [EDGE]?: Edge };

/** A node's saved tensors are freed when nothing reaches the node any more (or by backward). */
const savedRegistry = finalizationRegistry<Tensor[]>((saved) => saved.forEach((t) => t.dispose()));
collectAlso(savedRegistry);

let recordDepth = 0; // > 0 inside a Tensor method: its kernels may be recorded
let gradEnabled = true; // false inside torch.noGrad
let recordingKernel = false; // the kernel now running is recorded (set by the runKernelFunc patch)

/** Runs `fn` (a Tensor method's tfjs ops) so that its kernels join the graph when an input requires grad. */
export function recorded<T>(fn: () => T): T {
  recordDepth++;
  try {
    return fn();
  } finally {
    recordDepth--;
  }
}

/** Runs `fn` with recording off, like `with torch.no_grad():`. */
export function withoutGrad<T>(fn: () => T): T {
  const before = gradEnabled;
  gradEnabled = false;
  try {
    return fn();
  } finally {
    gradEnabled = before;
  }
}

export const isGradEnabled = () => gradEnabled;

/** The edge a tensor's gradient flows along: its node, a leaf, or a Parameter (always a leaf). */
function edgeOf(t: Tensor | undefined): Edge | undefined {
  if (!t) return undefined;
  const edge = (t as Tracked)[EDGE];
  if (edge) return edge;
  return isParameter(t) && (t as tf.Variable).trainable ? { leaf: t as Tensor & GradHolder } : undefined;
}

/** A Parameter (module.ts), told apart without importing module.ts, which imports this file's users. A frozen one
 *  (`requiresGrad_(false)`: its variable not trainable) is a constant to the graph. */
const isParameter = (t: Tensor): boolean => t instanceof tf.Variable && (t as { isParameter?: boolean }).isParameter === true;

/** Whether `t` requires grad: a leaf that asked for it, a Parameter, or an output of a recorded node. */
export const requiresGrad = (t: Tensor): boolean => edgeOf(t) !== undefined;

/** The node that made `t` (PyTorch's `grad_fn`), or undefined for a leaf or a constant. */
export function gradNode(t: Tensor): GradNode | undefined {
  const edge = (t as Tracked)[EDGE];
  return edge && "node" in edge ? edge.node : undefined;
}

/** The holder of a leaf's gradient, made on first request (`requiresGrad_()`). */
export function leafHolder(t: Tensor, create: boolean): GradHolder | undefined {
  const edge = edgeOf(t);
  if (edge && "leaf" in edge) return edge.leaf;
  if (isParameter(t)) return t as Tensor & GradHolder; // a frozen Parameter keeps its gradient, as PyTorch's does
  if (!create || edge) return undefined;
  const holder: GradHolder = { grad: null };
  (t as Tracked)[EDGE] = { leaf: holder };
  return holder;
}

/** Stops a leaf from requiring grad (`requiresGrad_(false)`); a leaf's gradient is kept, as in PyTorch. */
export function dropLeaf(t: Tensor): void {
  delete (t as Tracked)[EDGE];
}

/** Names the node that made `t`, as PyTorch names the op the user called (`UnsqueezeBackward0` for a reshape). */
export function nameNode(t: Tensor, name: string): void {
  const node = gradNode(t);
  if (node) node.name = name;
}

interface EngineInternals {
  state: { gradientDepth: number; kernelDepth: number };
  runKernelFunc(params: { inputs: Record<string, Tensor> }): unknown;
  addTapeNode(kernel: string, inputs: Record<string, Tensor>, outputs: Tensor[], grad: GradFunc | undefined, saved: Tensor[], attrs: unknown): void;
}

let installed = false;

/** Patches the engine once (idempotent): see the file's comment. */
export function installGraph(): void {
  if (installed) return;
  installed = true;
  const engine = tf.engine() as unknown as EngineInternals;
  const run = engine.runKernelFunc.bind(engine);
  const addTapeNode = engine.addTapeNode.bind(engine);
  engine.runKernelFunc = (params) => {
    const { state } = engine;
    if (!recordDepth || !gradEnabled || state.kernelDepth > 0 || state.gradientDepth > 0 || !anyRequiresGrad(params.inputs)) return run(params);
    // tfjs saves a kernel's tensors for its gradient only while a tape is on: turn one on for this kernel.
    state.gradientDepth++;
    recordingKernel = true;
    try {
      return run(params);
    } finally {
      recordingKernel = false;
      state.gradientDepth--;
    }
  };
  engine.addTapeNode = (kernel, inputs, outputs, grad, saved, attrs) => {
    if (!recordingKernel) return addTapeNode(kernel, inputs, outputs, grad, saved, attrs);
    // Inside the kernel (kernelDepth > 0) tfjs calls this for the copies it saves: bookkeeping for its own tape.
    if (engine.state.kernelDepth === 0) attach(kernel, inputs, outputs, grad, saved, attrs);
  };
}

function anyRequiresGrad(inputs: Record<string, Tensor>): boolean {
  for (const name in inputs) if (edgeOf(inputs[name])) return true;
  return false;
}

/** Makes the node of a recorded kernel and attaches it to its float outputs (integer and boolean results, such
 *  as argmax's, do not require grad in PyTorch). */
function attach(kernel: string, inputs: Record<string, Tensor>, outputs: Tensor[], custom: GradFunc | undefined, saved: Tensor[], attrs: unknown): void {
  const edges: [string, Edge][] = [];
  for (const name in inputs) {
    const edge = edgeOf(inputs[name]);
    if (edge) edges.push([name, edge]);
  }
  if (!edges.length || !outputs.some((o) => o.dtype === "float32")) {
    saved.forEach((t) => t.dispose());
    return;
  }
  const gradient = (tf.getGradient(kernel)?.gradFunc as GradFunc | undefined) ?? custom;
  const node = new GradNode(
    kernel,
    gradient,
    saved,
    attrs,
    edges,
    outputs.map((o) => ({ shape: o.shape, dtype: o.dtype })),
  );
  if (saved.length) savedRegistry.register(node, saved, node);
  outputs.forEach((o, index) => {
    if (o.dtype === "float32") (o as Tracked)[EDGE] = { node, index };
  });
}

/** Frees what a node saved for its gradient; a later backward through it is refused, as PyTorch refuses it. */
function free(node: GradNode): void {
  node.freed = true;
  savedRegistry.unregister(node);
  node.saved.forEach((t) => t.dispose());
}

/** Adds `dx` into a leaf's `.grad` (kept: it lives until zeroGrad or the leaf goes). */
export function accumulate(holder: GradHolder, dx: Tensor): void {
  const previous = holder.grad;
  holder.grad = tf.keep(previous ? previous.add(dx) : dx.clone());
  previous?.dispose();
}

/** `root.backward(gradient)`: gradients of `root` into every leaf it depends on, through the graph. */
export function backward(root: Tensor, gradient?: Tensor, retainGraph = false): void {
  const edge = edgeOf(root);
  if (!edge) throw new Error("element 0 of tensors does not require grad and does not have a grad_fn");
  if (gradient === undefined && root.size !== 1) throw new Error("grad can be implicitly created only for scalar outputs");
  if (gradient && !tf.util.arraysEqual(gradient.shape, root.shape)) {
    throw new Error(
      `Mismatch in shape: grad_output[0] has a shape of torch.Size([${gradient.shape.join(", ")}]) and output[0] has a shape of torch.Size([${root.shape.join(", ")}]).`,
    );
  }
  withoutGrad(() =>
    tf.tidy(() => {
      const seed = gradient ? gradient.toFloat() : tf.onesLike(root).toFloat();
      if ("leaf" in edge) return void accumulate(edge.leaf, seed);
      propagate(edge.node, edge.index, seed, retainGraph);
    }),
  );
}

/** How many edges from nodes reachable from `root` lead into each node: a node runs when all have delivered. */
function consumers(root: GradNode): Map<GradNode, number> {
  const count = new Map<GradNode, number>([[root, 0]]);
  const stack = [root];
  while (stack.length) {
    const node = stack.pop()!;
    for (const [, edge] of node.inputs) {
      if (!("node" in edge)) continue;
      const seen = count.has(edge.node);
      count.set(edge.node, (count.get(edge.node) ?? 0) + 1);
      if (!seen) stack.push(edge.node);
    }
  }
  return count;
}

function propagate(root: GradNode, index: number, seed: Tensor, retainGraph: boolean): void {
  const waiting = consumers(root);
  const incoming = new Map<GradNode, (Tensor | undefined)[]>([[root, []]]);
  incoming.get(root)![index] = seed;
  const ready = [root];
  while (ready.length) {
    const node = ready.pop()!;
    const dys = node.outputs.map((o, i) => incoming.get(node)![i] ?? tf.zeros(o.shape, o.dtype));
    incoming.delete(node);
    for (const [name, dx] of inputGradients(node, dys)) {
      const edge = node.inputs.find(([n]) => n === name)![1];
      if ("leaf" in edge) {
        accumulate(edge.leaf, dx);
        dx.dispose();
        continue;
      }
      const slots = incoming.get(edge.node) ?? [];
      incoming.set(edge.node, slots);
      const previous = slots[edge.index];
      slots[edge.index] = previous ? previous.add(dx) : dx;
      if (previous) [previous, dx].forEach((t) => t.dispose());
      const left = waiting.get(edge.node)! - 1;
      waiting.set(edge.node, left);
      if (left === 0) ready.push(edge.node);
    }
    dys.forEach((t) => t.dispose());
    if (!retainGraph) free(node);
  }
}

/** The gradient of each recorded input of `node`, given the gradients of its outputs. */
function inputGradients(node: GradNode, dys: Tensor[]): [string, Tensor][] {
  if (node.freed && node.saved.length) {
    throw new Error(
      "Trying to backward through the graph a second time (or directly access saved tensors after they have already been freed). Saved intermediate values of the graph are freed when you call .backward() or autograd.grad(). Specify retain_graph=True if you need to backward through the graph a second time or if you need to access saved tensors after calling backward.",
    );
  }
  if (!node.gradient) throw new Error(`${node.name}: TensorFlow.js has no gradient for its kernel ${node.kernel}`);
  const fns = node.gradient(dys.length > 1 ? dys : dys[0], node.saved, node.attrs);
  return node.inputs.map(([name]) => {
    if (!(name in fns)) throw new Error(`${node.name}: no gradient for its input ${name}`);
    return [name, tf.tidy(fns[name]).toFloat()];
  });
}

/** PyTorch's names of the nodes of common kernels, for printing (`grad_fn=<TanhBackward0>`). */
const NAMES: Record<string, string> = {
  Add: "AddBackward0",
  AddN: "AddBackward0",
  Sub: "SubBackward0",
  Multiply: "MulBackward0",
  RealDiv: "DivBackward0",
  Pow: "PowBackward0",
  Neg: "NegBackward0",
  Exp: "ExpBackward0",
  Log: "LogBackward0",
  Sqrt: "SqrtBackward0",
  Abs: "AbsBackward0",
  Tanh: "TanhBackward0",
  Sigmoid: "SigmoidBackward0",
  Relu: "ReluBackward0",
  Softmax: "SoftmaxBackward0",
  BatchMatMul: "MmBackward0",
  Reshape: "ViewBackward0",
  Transpose: "PermuteBackward0",
  Sum: "SumBackward1",
  Mean: "MeanBackward1",
  Max: "MaxBackward1",
  Min: "MinBackward1",
  ConcatV2: "CatBackward0",
  Pack: "StackBackward0",
  Unpack: "UnbindBackward0",
  Slice: "SliceBackward0",
  StridedSlice: "SliceBackward0",
  GatherV2: "IndexSelectBackward0",
  Select: "WhereBackward0",
  ClipByValue: "ClampBackward1",
  Identity: "CloneBackward0",
  Tile: "RepeatBackward0",
  BroadcastTo: "ExpandBackward0",
  Cast: "ToCopyBackward0",
  NllLoss: "NllLossBackward0",
};

function backwardName(kernel: string): string {
  return NAMES[kernel] ?? `${kernel}Backward`;
}
