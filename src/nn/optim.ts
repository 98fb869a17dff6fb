// Optimizers with PyTorch's update rules (torch.optim, single-tensor path), gradient clipping and StepLR.
// Usage, as in PyTorch:
//   optimizer.zeroGrad();
//   const loss = backward(() => criterion.forward(model.forward(x), y));
//   optimizer.step();
import { tf, type Tensor } from "./tf";
import { isParameterLike, variableOf, type Parameter, type ParameterVariable } from "./module";

/** What optimizers and clipGradNorm take: `model.parameters()` (Tensors), or their tf.Variables. */
export type Params = Iterable<Parameter | ParameterVariable>;
import { OptionError } from "./errors";
import { boolean, checkOptions, nonNegative, number, positiveInteger, required, show, type Check } from "./options";
import { nativeKernels, optimizerStepOnHeap, type NativeAddon, type NativeOptimizer } from "./native";

const validLr = nonNegative("learning rate");

let fusedSteps = 0;

/** How many optimizer steps the native kernels have run as one fused call (for tests: proof the path ran). */
export function fusedOptimizerSteps(): number {
  return fusedSteps;
}

abstract class Optimizer {
  /** The parameters' tf.Variables, which hold the gradients and are updated in place. */
  readonly params: ParameterVariable[];
  /** The learning rate; a scheduler changes it between steps. */
  lr: number;
  protected stepCount = 0;
  private readonly state = new Map<ParameterVariable, Record<string, Tensor>>();

  /** Checks `options` against `checks` (each subclass's own); `defaultLr` is for those where lr is optional. */
  constructor(params: Params, options: unknown, checks: Record<string, Check>, defaultLr?: number) {
    const name = this.constructor.name;
    if (typeof (params as Partial<Iterable<unknown>> | null)?.[Symbol.iterator] !== "function") {
      throw new OptionError(`${name}: params must be an iterable of parameters, like model.parameters(), got ${show(params)}`);
    }
    const given = [...params];
    const other = given.find((p) => !isParameterLike(p));
    if (other) throw new OptionError(`${name}: optimizer can only optimize parameters (model.parameters()), but one of the params is ${show(other)}`);
    this.params = given.map(variableOf);
    if (!this.params.length) throw new OptionError(`${name}: optimizer got an empty parameter list`);
    this.lr = checkOptions<{ lr?: number }>(name, options, checks as { lr: Check }).lr ?? defaultLr!;
  }

  /** Clears every parameter's gradient (PyTorch's `zero_grad(set_to_none=True)`). */
  zeroGrad(): void {
    for (const p of this.params) {
      p.grad?.dispose();
      p.grad = null;
    }
  }

  /** Updates every parameter that has a gradient: in one call of the native kernels when they are in use on
   *  the wasm backend, else in tfjs ops, parameter by parameter. */
  step(): void {
    this.stepCount++;
    const addon = nativeKernels();
    // Gradients of another shape or dtype go the tfjs way, which refuses them with tfjs's message.
    const plain = this.params.every((p) => !p.grad || (p.grad.dtype === "float32" && tf.util.arraysEqual(p.grad.shape, p.shape)));
    if (addon && plain && tf.getBackend() === "wasm") this.fusedStep(addon);
    else this.tfjsStep();
  }

  private tfjsStep(): void {
    tf.tidy(() => {
      for (const p of this.params) {
        if (!p.grad) continue;
        const state = this.state.get(p) ?? {};
        const next = this.update(p, p.grad, state);
        p.assign(next.param);
        for (const [key, value] of Object.entries(next.state)) {
          if (state[key] !== value) state[key]?.dispose();
          state[key] = tf.keep(value);
        }
        this.state.set(p, state);
      }
    });
  }

  /** The native kernels' step: the same update rules, every parameter in one call (native/optimizer.cc). */
  private fusedStep(addon: NativeAddon): void {
    const { hyper, stateKeys } = this.fused();
    const params = this.params.filter((p) => p.grad);
    const slots = params.map((p) => {
      const state = this.state.get(p);
      return { param: p, grad: p.grad!, state: state ? stateKeys.map((k) => state[k]) : null };
    });
    const results = optimizerStepOnHeap(addon, { ...hyper, lr: this.lr, step: this.stepCount }, slots, stateKeys.length);
    params.forEach((p, i) => {
      p.assign(results[i].param);
      results[i].param.dispose();
      this.state.set(p, Object.fromEntries(stateKeys.map((k, j) => [k, tf.keep(results[i].state[j])])));
    });
    fusedSteps++;
  }

  /** The hyperparameters of the fused step (all but lr and the step number), and the names of the state
   *  tensors it keeps per parameter, in the order native/optimizer.cc takes them (the tfjs path's names). */
  protected abstract fused(): { hyper: Omit<NativeOptimizer, "lr">; stateKeys: string[] };

  /** The new value of one parameter and its new state (momentum buffers, averages). */
  protected abstract update(p: Tensor, grad: Tensor, state: Record<string, Tensor>): { param: Tensor; state: Record<string, Tensor> };

  dispose(): void {
    for (const s of this.state.values()) Object.values(s).forEach((t) => t.dispose());
    this.state.clear();
  }
}

const validEps = nonNegative("epsilon value");
/** PyTorch's check, each beta in [0, 1). */
const validBetas: Check = (v, name) => {
  if (!Array.isArray(v) || v.length !== 2) return `${name} must be a pair [beta1, beta2], got ${show(v)}`;
  const i = v.findIndex((b) => !(typeof b === "number" && b >= 0 && b < 1));
  return i < 0 ? undefined : `Invalid beta parameter at index ${i}: ${show(v[i])}`;
};

const withDecay = (grad: Tensor, p: Tensor, weightDecay: number) => (weightDecay ? grad.add(p.mul(weightDecay)) : grad);

export interface SGDOptions {
  lr: number;
  momentum?: number;
  dampening?: number;
  weightDecay?: number;
  nesterov?: boolean;
}

export class SGD extends Optimizer {
  readonly momentum: number;
  readonly dampening: number;
  readonly weightDecay: number;
  readonly nesterov: boolean;
  constructor(params: Params, options: SGDOptions) {
    super(params, options, {
      lr: required(validLr),
      momentum: nonNegative("momentum value"),
      dampening: number,
      weightDecay: nonNegative("weightDecay value"),
      nesterov: boolean,
    });
    const { momentum = 0, dampening = 0, weightDecay = 0, nesterov = false } = options;
    if (nesterov && (momentum <= 0 || dampening !== 0))
      throw new OptionError(`${this.constructor.name}: Nesterov momentum requires a momentum and zero dampening`);
    this.momentum = momentum;
    this.dampening = dampening;
    this.weightDecay = weightDecay;
    this.nesterov = nesterov;
  }

  protected fused() {
    const { momentum, dampening, nesterov, weightDecay } = this;
    return { hyper: { kind: 0, momentum, dampening, nesterov, weightDecay }, stateKeys: momentum ? ["momentum"] : [] };
  }

  protected update(p: Tensor, grad: Tensor, state: Record<string, Tensor>) {
    let g = withDecay(grad, p, this.weightDecay);
    const next: Record<string, Tensor> = {};
    if (this.momentum) {
      const buf = state.momentum ? state.momentum.mul(this.momentum).add(g.mul(1 - this.dampening)) : g.clone();
      next.momentum = buf;
      g = this.nesterov ? g.add(buf.mul(this.momentum)) : buf;
    }
    return { param: p.sub(g.mul(this.lr)), state: next };
  }
}

export interface AdamOptions {
  lr?: number;
  betas?: [number, number];
  eps?: number;
  weightDecay?: number;
  amsgrad?: boolean;
}

export class Adam extends Optimizer {
  readonly betas: [number, number];
  readonly eps: number;
  readonly weightDecay: number;
  readonly amsgrad: boolean;
  /** AdamW decays the weights directly instead of adding the decay to the gradient (a getter, so that Adam's
   *  constructor already sees AdamW's). */
  protected get decoupled(): boolean {
    return false;
  }

  constructor(params: Params, options: AdamOptions = {}) {
    super(params, options, { lr: validLr, betas: validBetas, eps: validEps, weightDecay: nonNegative("weightDecay value"), amsgrad: boolean }, 1e-3);
    const { betas = [0.9, 0.999], eps = 1e-8, weightDecay = this.decoupled ? 1e-2 : 0, amsgrad = false } = options;
    this.betas = betas;
    this.eps = eps;
    this.weightDecay = weightDecay;
    this.amsgrad = amsgrad;
  }

  protected fused() {
    const { betas, eps, weightDecay, amsgrad, decoupled } = this;
    const hyper = { kind: 1, beta1: betas[0], beta2: betas[1], eps, weightDecay, amsgrad, decoupled };
    return { hyper, stateKeys: ["expAvg", "expAvgSq", ...(amsgrad ? ["maxExpAvgSq"] : [])] };
  }

  protected update(p: Tensor, grad: Tensor, state: Record<string, Tensor>) {
    const [beta1, beta2] = this.betas;
    const t = this.stepCount;
    let param = p;
    let g = grad;
    if (this.decoupled) param = p.mul(1 - this.lr * this.weightDecay);
    else g = withDecay(grad, p, this.weightDecay);
    const m = (state.expAvg ?? tf.zerosLike(p)).mul(beta1).add(g.mul(1 - beta1));
    const v = (state.expAvgSq ?? tf.zerosLike(p)).mul(beta2).add(g.square().mul(1 - beta2));
    const next: Record<string, Tensor> = { expAvg: m, expAvgSq: v };
    let vUsed = v;
    if (this.amsgrad) vUsed = next.maxExpAvgSq = state.maxExpAvgSq ? tf.maximum(state.maxExpAvgSq, v) : v;
    const biasCorrection1 = 1 - beta1 ** t;
    const biasCorrection2 = 1 - beta2 ** t;
    const denom = vUsed.sqrt().div(Math.sqrt(biasCorrection2)).add(this.eps);
    return { param: param.sub(m.div(denom).mul(this.lr / biasCorrection1)), state: next };
  }
}

/** Adam with decoupled weight decay, 1e-2 by default. */
export class AdamW extends Adam {
  protected override get decoupled(): boolean {
    return true;
  }
}

export interface RMSpropOptions {
  lr?: number;
  alpha?: number;
  eps?: number;
  weightDecay?: number;
  momentum?: number;
  centered?: boolean;
}

export class RMSprop extends Optimizer {
  readonly alpha: number;
  readonly eps: number;
  readonly weightDecay: number;
  readonly momentum: number;
  readonly centered: boolean;
  constructor(params: Params, options: RMSpropOptions = {}) {
    super(
      params,
      options,
      {
        lr: validLr,
        alpha: nonNegative("alpha value"),
        eps: validEps,
        weightDecay: nonNegative("weightDecay value"),
        momentum: nonNegative("momentum value"),
        centered: boolean,
      },
      1e-2,
    );
    const { alpha = 0.99, eps = 1e-8, weightDecay = 0, momentum = 0, centered = false } = options;
    this.alpha = alpha;
    this.eps = eps;
    this.weightDecay = weightDecay;
    this.momentum = momentum;
    this.centered = centered;
  }

  protected fused() {
    const { alpha, eps, weightDecay, momentum, centered } = this;
    const stateKeys = ["squareAvg", ...(centered ? ["gradAvg"] : []), ...(momentum > 0 ? ["momentum"] : [])];
    return { hyper: { kind: 2, alpha, eps, weightDecay, momentum, centered }, stateKeys };
  }

  protected update(p: Tensor, grad: Tensor, state: Record<string, Tensor>) {
    const g = withDecay(grad, p, this.weightDecay);
    const a = this.alpha;
    const squareAvg = (state.squareAvg ?? tf.zerosLike(p)).mul(a).add(g.square().mul(1 - a));
    const next: Record<string, Tensor> = { squareAvg };
    let avg: Tensor;
    if (this.centered) {
      const gradAvg = (next.gradAvg = (state.gradAvg ?? tf.zerosLike(p)).mul(a).add(g.mul(1 - a)));
      avg = squareAvg.sub(gradAvg.square()).sqrt().add(this.eps);
    } else {
      avg = squareAvg.sqrt().add(this.eps);
    }
    if (this.momentum > 0) {
      const buf = (next.momentum = (state.momentum ?? tf.zerosLike(p)).mul(this.momentum).add(g.div(avg)));
      return { param: p.sub(buf.mul(this.lr)), state: next };
    }
    return { param: p.sub(g.div(avg).mul(this.lr)), state: next };
  }
}

/** Scales the gradients so that their total norm is at most `maxNorm`; returns the norm before clipping. */
export function clipGradNorm(params: Params, maxNorm: number, normType = 2): number {
  const withGrad = [...params].map(variableOf).filter((p) => p.grad);
  if (!withGrad.length) return 0;
  const total = tf.tidy(() => {
    const norms = withGrad.map((p) => (normType === Infinity ? p.grad!.abs().max() : p.grad!.abs().pow(normType).sum()));
    return normType === Infinity
      ? tf.stack(norms).max().dataSync()[0]
      : tf
          .stack(norms)
          .sum()
          .pow(1 / normType)
          .dataSync()[0];
  });
  scaleGradients(withGrad, maxNorm, total);
  return total;
}

/** The second half of clipGradNorm, for a caller that knows the gradients' total norm already (the training loop
 *  reads every gradient's norm anyway): scales them by maxNorm / (totalNorm + 1e-6) when that is below 1. */
export function scaleGradients(params: Params, maxNorm: number, totalNorm: number): void {
  const coef = maxNorm / (totalNorm + 1e-6);
  if (coef >= 1) return;
  for (const p of [...params].map(variableOf)) {
    const old = p.grad;
    if (!old) continue;
    p.grad = tf.keep(tf.tidy(() => old.mul(coef)));
    old.dispose();
  }
}

/** Multiplies the learning rate by `gamma` every `stepSize` epochs; call `step()` once per epoch. */
export class StepLR {
  private readonly baseLr: number;
  lastEpoch = 0;
  constructor(
    readonly optimizer: Optimizer,
    readonly options: { stepSize: number; gamma?: number },
  ) {
    if (!(optimizer instanceof Optimizer)) throw new OptionError(`StepLR: ${show(optimizer)} is not an Optimizer`);
    checkOptions("StepLR", options, { stepSize: required(positiveInteger), gamma: number });
    this.baseLr = optimizer.lr;
  }

  step(): void {
    this.lastEpoch++;
    this.optimizer.lr = this.baseLr * (this.options.gamma ?? 0.1) ** Math.floor(this.lastEpoch / this.options.stepSize);
  }

  getLastLr(): number[] {
    return [this.optimizer.lr];
  }
}

export type { Optimizer };
