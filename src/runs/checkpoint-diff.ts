// Two checkpoints compared, for the checkpoint viewer: tensors paired by name and shape, and for each pair the
// difference B − A summarised as a tensor is (statistics, per-gate statistics, a heatmap downsampled by averaging
// blocks that keep the gate blocks apart), read from both files in the same bounded chunks as one file's
// (safetensors-file.ts): a tensor too large to read whole is compared on the same evenly spaced sample in both.
// Total: a damaged or hostile file gives a comparison with `error`, never a throw.
import type { CheckpointComparison, CheckpointTensor, UncomparedTensor } from "../common/protocol";
import { BYTES } from "../common/safetensors-dtypes";
import type { HeaderEntry } from "../common/safetensors-header";
import { recurrentRoles } from "./recurrent-weights";
import { FLOATS, MAX_HEATMAPS, MAX_TENSORS, summarizeValues, tensorValues, valuePlan, withRole, withSafetensors, type ValueSource } from "./safetensors-file";

export interface TensorPair {
  name: string;
  a: HeaderEntry;
  b: HeaderEntry;
}

const sameShape = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((d, i) => d === b[i]);

/** The tensors of A paired with B's of the same name and shape, in A's order, at most `max` pairs; every other
 *  tensor listed with why it is not compared (in A's order, then B's). */
export function pairTensors(a: readonly HeaderEntry[], b: readonly HeaderEntry[], max = MAX_TENSORS): { pairs: TensorPair[]; uncompared: UncomparedTensor[] } {
  const inB = new Map(b.map((e) => [e.name, e]));
  const inA = new Set(a.map((e) => e.name));
  const pairs: TensorPair[] = [];
  const uncompared: UncomparedTensor[] = [];
  for (const ea of a) {
    const eb = inB.get(ea.name);
    if (!eb) uncompared.push({ name: ea.name, reason: "onlyA", shapeA: ea.shape });
    else if (!sameShape(ea.shape, eb.shape)) uncompared.push({ name: ea.name, reason: "shape", shapeA: ea.shape, shapeB: eb.shape });
    else if (pairs.length >= max) uncompared.push({ name: ea.name, reason: "limit", shapeA: ea.shape });
    else pairs.push({ name: ea.name, a: ea, b: eb });
  }
  for (const eb of b) if (!inA.has(eb.name)) uncompared.push({ name: eb.name, reason: "onlyB", shapeB: eb.shape });
  return { pairs, uncompared };
}

/** B − A, element by element, over the same element ranges of both tensors (their dtypes may differ). */
export function differenceValues(a: ValueSource, b: ValueSource): ValueSource {
  return async function* () {
    const bs = b()[Symbol.asyncIterator]();
    for await (const ca of a()) {
      const next = await bs.next();
      if (next.done) return;
      const cb = next.value;
      const n = Math.min(ca.values.length, cb.values.length);
      const values = new Float64Array(n);
      for (let k = 0; k < n; k++) values[k] = cb.values[k] - ca.values[k];
      yield { first: ca.first, values };
    }
  };
}

/** The comparison of two safetensors files: B − A for every pair of tensors (pairTensors). */
export async function compareCheckpoints(fileA: string, fileB: string): Promise<CheckpointComparison> {
  const failed = (error: string): CheckpointComparison => ({ fileA, fileB, differences: [], uncompared: [], error });
  const result = await withSafetensors(fileA, (a) =>
    withSafetensors(fileB, async (b) => {
      const { pairs, uncompared } = pairTensors(a.header.entries, b.header.entries);
      const roles = recurrentRoles(a.header.entries);
      const differences: CheckpointTensor[] = [];
      for (const [i, { name, a: ea, b: eb }] of pairs.entries()) {
        // Planned for the wider dtype, so neither file's reads pass MAX_TENSOR_READ; the same ranges in both.
        const { ranges, sampled } = valuePlan(ea.size, Math.max(BYTES[ea.dtype], BYTES[eb.dtype]));
        const source = differenceValues(tensorValues(ea, a.readData, ranges), tensorValues(eb, b.readData, ranges));
        const dtype = ea.dtype === eb.dtype ? ea.dtype : `${ea.dtype} → ${eb.dtype}`;
        const role = roles.get(name);
        const heatmap = i < MAX_HEATMAPS && (FLOATS.has(ea.dtype) || FLOATS.has(eb.dtype));
        differences.push(
          withRole(await summarizeValues({ name, dtype, shape: ea.shape, size: ea.size }, source, { heatmap, gates: role?.gates, sampled }), role),
        );
      }
      return { fileA, fileB, differences, uncompared };
    }),
  );
  if ("error" in result) return failed(`${fileA}: ${result.error}`);
  if ("error" in result.value) return failed(`${fileB}: ${result.value.error}`);
  return result.value.value;
}
