// Tensors a program no longer reaches are freed, as in PyTorch, without dispose() or tidy(). Each Tensor
// registers its tfjs tensor in a FinalizationRegistry (the held value is the tfjs tensor, never the Tensor, or it
// would never become unreachable). Node runs finalization callbacks only between tasks, never inside a
// synchronous loop, so a loop that has made many tensors since the last collection collects right away: gc() and
// FinalizationRegistry's cleanupSome() free what it dropped, in the middle of the loop. Both come from a context
// made after turning V8's flags for them on (`collector` below), so any Node or Electron has them without
// command-line flags (an unknown flag on a command line stops the process); where a V8 lacks them, freeing happens
// between tasks (after an await, between epochs, at a timer).
import * as v8 from "node:v8";
import * as vm from "node:vm";
import { tf, type Tensor } from "./tf";

interface CleanupSome {
  cleanupSome?: () => void;
}

/** Frees a tfjs tensor a Tensor owned, and the gradient its leaf held. */
type Release = (t: Tensor) => void;

/** gc() and FinalizationRegistry with cleanupSome(): V8 installs them in contexts made after their flags are on. */
const collector = ((): { gc?: () => void; registry: <T>(cleanup: (held: T) => void) => FinalizationRegistry<T> } => {
  const plain = <T>(cleanup: (held: T) => void) => new FinalizationRegistry<T>(cleanup);
  try {
    v8.setFlagsFromString("--expose-gc");
    v8.setFlagsFromString("--harmony-weak-refs-with-cleanup-some");
    const context = vm.createContext({});
    const gc = vm.runInContext("typeof gc === 'function' ? gc : undefined", context) as (() => void) | undefined;
    const registry = vm.runInContext("(cleanup) => new FinalizationRegistry(cleanup)", context) as typeof plain;
    return { gc, registry };
  } catch {
    return { registry: plain };
  }
})();

/** A FinalizationRegistry that a collection can clean in the middle of a loop (see collectNow). */
export function finalizationRegistry<T>(cleanup: (held: T) => void): FinalizationRegistry<T> {
  return collector.registry(cleanup);
}

let release: Release = (t) => t.dispose();
const registry = finalizationRegistry<Tensor>((t) => release(t));

/** How many tensors may be made between two collections in a loop (when gc() is available). */
const TENSORS_PER_COLLECTION = 4000;
/** How many bytes the engine's tensors may grow by between two collections. */
const BYTES_PER_COLLECTION = 256 * 2 ** 20;

let made = 0;
let bytesAtCollection = 0;
/** The live tensors after the last collection (-1 before the first). */
let tensorsAtCollection = -1;
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

const gc = collector.gc;
const canCollect = () => gc !== undefined && typeof (registry as CleanupSome).cleanupSome === "function";

/** Collects when the tensors made, or the engine's bytes, grew past a threshold since the last collection. */
function collectIfPressed(): void {
  if (made >= TENSORS_PER_COLLECTION || tf.memory().numBytes - bytesAtCollection >= BYTES_PER_COLLECTION) collectNow();
}

/** Frees every unreachable tensor now, where this V8 allows it (gc() and cleanupSome()); says whether it could. */
export function collectNow(): boolean {
  made = 0;
  if (!canCollect()) return false;
  // A cleanup can drop the last reference to more Tensors (a graph node's saved Tensors are freed with the
  // node): collect again while a round freed something, a few rounds at most.
  for (let round = 0, before = Infinity; round < 4 && tf.memory().numTensors < before; round++) {
    before = tf.memory().numTensors;
    gc!();
    (registry as CleanupSome).cleanupSome!();
    for (const r of others) r.cleanupSome?.();
  }
  bytesAtCollection = tf.memory().numBytes;
  tensorsAtCollection = tf.memory().numTensors;
  return true;
}

/** collectNow(), unless no more tensors live than after the last collection: then there is nothing new to free,
 *  and a full gc (tens of milliseconds: `npm run bench:memory`) is saved. Says whether it collected. */
export function collectIfGrown(): boolean {
  return tf.memory().numTensors > tensorsAtCollection && collectNow();
}
