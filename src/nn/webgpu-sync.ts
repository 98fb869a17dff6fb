// Synchronous reads (`dataSync()`, `arraySync()`) on the WebGPU backend in Node.
//
// The library reads values synchronously (a loss as a number, a mask's lengths…). In a browser tfjs's webgpu
// backend does that through an OffscreenCanvas, which Node lacks, so `dataSync()` threw there. A read needs a
// buffer mapped, and Dawn for Node completes a map only when its event pump runs; it schedules that pump with
// `setImmediate`. Here the pump scheduled by `mapAsync` is captured and called in a loop until the buffer is
// mapped — a synchronous wait for the GPU, as dataSync means — and handed back to the event loop afterwards so
// that asynchronous reads keep working.
import { tf } from "./tf";

interface Staging {
  size: number;
  mapState: string;
  mapAsync(mode: number): Promise<void>;
  getMappedRange(): ArrayBuffer;
  unmap(): void;
}

interface TensorData {
  values: tf.backend_util.BackendValues | null;
  dtype: tf.DataType;
  resource: Staging;
}

/** The parts of tfjs's WebGPUBackend a synchronous read uses. */
interface BackendInternals {
  tensorMap: { get(dataId: object): TensorData };
  bufferManager: { acquireBuffer(size: number, usage: number): Staging; releaseBuffer(buffer: Staging): void };
  commandEncoder: { copyBufferToBuffer(a: Staging, ao: number, b: Staging, bo: number, size: number): void };
  ensureCommandEncoderReady(): void;
  endComputePassEncoder(): void;
  submitQueue(): void;
  convertAndCacheOnCPU(dataId: object, values: tf.backend_util.BackendValues): tf.backend_util.BackendValues;
  readSync(dataId: object): tf.backend_util.BackendValues;
}

const g = globalThis as unknown as { GPUBufferUsage: { COPY_DST: number; MAP_READ: number }; GPUMapMode: { READ: number } };

/** The last event pump Dawn scheduled: used again when a map schedules none (one is already pending). */
let lastPump: (() => void) | null = null;

/** Calls `start` (which makes Dawn schedule its event pump), then runs the pump until `done()`. */
function pumpUntil(done: () => boolean, start: () => void, what: string): void {
  const realSetImmediate = globalThis.setImmediate;
  let scheduled: (() => void) | null = null;
  globalThis.setImmediate = ((fn: (...a: unknown[]) => void, ...args: unknown[]) => {
    scheduled = lastPump = () => fn(...args);
  }) as unknown as typeof setImmediate;
  try {
    start();
    const deadline = Date.now() + 120_000;
    while (!done()) {
      const pump = scheduled ?? lastPump;
      if (!pump) throw new Error(`${what}: Dawn scheduled no event processing`);
      scheduled = null;
      pump();
      if (Date.now() > deadline) throw new Error(`${what}: the GPU did not answer within 120 s`);
    }
  } finally {
    globalThis.setImmediate = realSetImmediate;
    if (scheduled) setImmediate(scheduled); // what the pump asked for last goes back to the event loop
  }
}

/** Replaces the backend's canvas-based `readSync` with a mapped staging buffer and a synchronous wait. */
export function installSyncReads(prototype: object): void {
  const backend = prototype as BackendInternals;
  const original = backend.readSync;
  backend.readSync = function (this: BackendInternals, dataId: object) {
    const data = this.tensorMap.get(dataId);
    if (data.values != null || data.dtype === "string" || data.dtype === "complex64") return original.call(this, dataId);
    const buffer = data.resource;
    const staging = this.bufferManager.acquireBuffer(buffer.size, g.GPUBufferUsage.COPY_DST | g.GPUBufferUsage.MAP_READ);
    this.ensureCommandEncoderReady();
    this.endComputePassEncoder();
    this.commandEncoder.copyBufferToBuffer(buffer, 0, staging, 0, buffer.size);
    this.submitQueue();
    let failed: unknown = null;
    pumpUntil(
      () => staging.mapState === "mapped" || failed !== null,
      () => staging.mapAsync(g.GPUMapMode.READ).catch((e: unknown) => (failed = e ?? new Error("mapAsync failed"))),
      "reading a tensor back from the GPU",
    );
    if (failed) throw failed instanceof Error ? failed : new Error(String(failed));
    const bytes = staging.getMappedRange().slice(0);
    staging.unmap();
    this.bufferManager.releaseBuffer(staging);
    return this.convertAndCacheOnCPU(dataId, tf.util.convertBackendValuesAndArrayBuffer(bytes, data.dtype));
  };
}
