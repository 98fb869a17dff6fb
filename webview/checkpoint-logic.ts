// The checkpoint viewer's words: what a tensor's card says under its name, one line per recurrent module, and, in a
// comparison, why a tensor was not compared and which changed most. No DOM, so that the unit tests run it under Node.
import type { CheckpointTensor, UncomparedTensor } from "../src/common/protocol";
import { english, formatShape, type Translate } from "../src/common/format";

/** "LSTM rnn · layer 1, reverse · gates i f g o · downsampled from [4096, 1024] · sampled (2,097,152 values)" */
export function tensorNote(t: CheckpointTensor): string {
  const parts: string[] = [];
  const r = t.recurrent;
  if (r)
    parts.push(
      `${r.kind} ${r.module || "(top level)"}${r.layer !== undefined ? ` · layer ${r.layer}, ${r.direction}` : ""}${r.role === "weight_hr" ? " · projection" : ""}`,
    );
  if (t.gates && t.gates.length > 1) parts.push(`gates ${t.gates.join(" ")}`);
  if (t.heatmap?.downsampledFrom) parts.push(`downsampled from ${formatShape(t.heatmap.downsampledFrom)}`);
  if (t.sampled) parts.push(`statistics of a sample of ${t.sampled.toLocaleString("en-US")} values`);
  if (t.nonFinite) parts.push(`${t.nonFinite} NaN or infinite`);
  return parts.join(" · ");
}

/** One line per recurrent module: "rnn: LSTM, hidden 8, 2 layers, bidirectional". */
export function checkpointModules(tensors: readonly CheckpointTensor[]): string[] {
  const modules = new Map<string, { kind: string; hidden: number; layers: Set<number>; reverse: boolean; projected: boolean }>();
  for (const t of tensors) {
    const r = t.recurrent;
    if (!r) continue;
    const m = modules.get(r.module) ?? { kind: r.kind, hidden: r.hiddenSize, layers: new Set<number>(), reverse: false, projected: false };
    if (r.layer !== undefined) m.layers.add(r.layer);
    m.reverse ||= r.direction === "reverse";
    m.projected ||= r.role === "weight_hr";
    modules.set(r.module, m);
  }
  return [...modules].map(([name, m]) => {
    const parts = [m.kind, `hidden ${m.hidden}`];
    if (m.layers.size) parts.push(`${m.layers.size} layer${m.layers.size > 1 ? "s" : ""}`);
    if (m.reverse) parts.push("bidirectional");
    if (m.projected) parts.push("projected");
    return `${name || "(top level)"}: ${parts.join(", ")}`;
  });
}

/** Why a tensor of two checkpoints was not compared: "only in A", "shape [8, 4] in A, [16, 4] in B"… */
export function uncomparedReason(u: UncomparedTensor, t: Translate = english): string {
  switch (u.reason) {
    case "onlyA":
      return t("only in A");
    case "onlyB":
      return t("only in B");
    case "shape":
      return t("shape {0} in A, {1} in B", formatShape(u.shapeA ?? []), formatShape(u.shapeB ?? []));
    default:
      return t("past the viewer's limit of tensors");
  }
}

/** The difference whose largest absolute value is largest (null when none changed, or none were compared). */
export function largestChange(differences: readonly CheckpointTensor[]): { name: string; maxAbs: number } | null {
  let best: { name: string; maxAbs: number } | null = null;
  for (const d of differences) {
    const maxAbs = Math.max(Math.abs(d.min), Math.abs(d.max));
    if (maxAbs > 0 && (!best || maxAbs > best.maxAbs)) best = { name: d.name, maxAbs };
  }
  return best;
}
