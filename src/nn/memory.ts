// Tensors a program no longer reaches are freed, as in PyTorch, without dispose() or tidy(). Each Tensor
// registers its tfjs tensor in a FinalizationRegistry (the held value is the tfjs tensor, never the Tensor, or it
// would never become unreachable). Node 20 runs finalization callbacks only between tasks, never inside a
// synchronous loop; started with `--expose-gc --harmony-weak-refs-with-cleanup-some` (the runner's child
// processes are), a loop that has made many tensors since the last collection collects right away: gc() and
// cleanupSome() free what it dropped, in the middle of the loop. Without those flags freeing happens between
// tasks (after an await, between epochs, at a timer).
import { tf, type Tensor } from "./tf";

interface CleanupSome {
  cleanupSome?: () => void;
}

/** Frees a tfjs tensor a Tensor owned, and the gradient its leaf held. */
type Release = (t: Tensor) => void;

let release: Release = (t) => t.dispose();
const registry = new FinalizationRegistry<Tensor>((t) => release(t));

/** How many tensors may be made between two collections in a loop (when gc() is available). */
const TENSORS_PER_COLLECTION = 4000;
/** How many bytes the engine's tensors may grow by between two collections. */
const BYTES_PER_COLLECTION = 256 * 2 ** 20;

let made = 0;
let bytesAtCollection = 0;
const others: CleanupSome[] = [];

/** Also cleans `r` on a collection (the graph's registry of saved tensors). */
export function collectAlso(r: FinalizationRegistry<never> | FinalizationRegistry<Tensor[]>): void {
  others.push(r as CleanupSome);
}

/** Sets what freeing a tensor also frees (the graph's leaf gradients); called once by the Tensor class. */
export function onRelease(fn: Release): void {
  release = fn;
}

/** `owner` now owns `t`: `t` is freed when `owner` is unreachable, or by `disown` + dispose. tf.keep, so that a
 *  tidy() around PyTorch-style code does not free a tensor the program still holds. */
export function own(owner: object, t: Tensor): void {
  tf.keep(t);
  registry.register(owner, t, owner);
  if (++made % 256 === 0) collectIfPressed();
}

export function disown(owner: object): void {
  registry.unregister(owner);
}

const gc = (globalThis as { gc?: () => void }).gc;
const canCollect = () => gc !== undefined && typeof (registry as CleanupSome).cleanupSome === "function";

/** Collects when the tensors made, or the engine's bytes, grew past a threshold since the last collection. */
function collectIfPressed(): void {
  if (made >= TENSORS_PER_COLLECTION || tf.memory().numBytes - bytesAtCollection >= BYTES_PER_COLLECTION) collectNow();
}

/** Frees every unreachable tensor now, where the flags allow it (gc() and cleanupSome()); says whether it could. */
export function collectNow(): boolean {
  made = 0;
  if (!canCollect()) return false;
  gc!();
  (registry as CleanupSome).cleanupSome!();
  for (const r of others) r.cleanupSome?.();
  bytesAtCollection = tf.memory().numBytes;
  return true;
}
