// What the Parameters and Dynamics tabs write beside a parameter or a layer: gate names, layer and direction.
import type { LayerDynamics, ParameterSnapshot } from "../src/common/protocol";
import { english, formatShape, type Translate } from "../src/common/format";
import type { GateName } from "../src/common/gate-layout";

/** Every gate of src/common/gate-layout.ts, named (the type refuses one left out). */
const gateNames = (t: Translate): Record<GateName, string> => ({
  i: t("input gate"),
  f: t("forget gate"),
  g: t("cell candidate"),
  o: t("output gate"),
  r: t("reset gate"),
  z: t("update gate"),
  n: t("new gate"),
});

/** "f (forget gate)" */
export const gateTitle = (g: string, t: Translate = english) => {
  const names: Partial<Record<string, string>> = gateNames(t);
  const name = names[g];
  return name ? `${g} (${name})` : g;
};

/** What a parameter's card says under its name: "layer 0, forward · gates i f g o · downsampled from [1024, 256]". */
export function parameterNote(p: ParameterSnapshot, t: Translate = english): string {
  const parts: string[] = [];
  const direction = p.direction && directionName(p.direction, t);
  if (p.layer !== undefined) parts.push(`${t("layer {0}", p.layer)}${direction ? `, ${direction}` : ""}`);
  else if (direction) parts.push(direction);
  if (p.gates && p.gates.length > 1) parts.push(t("gates {0}", p.gates.join(" ")));
  if (p.heatmap.downsampledFrom) parts.push(t("downsampled from {0}", formatShape(p.heatmap.downsampledFrom)));
  return parts.join(" · ");
}

/** "rnn · layer 1 · reverse" */
export const dynamicsLabel = (d: LayerDynamics, t: Translate = english) =>
  `${d.module} (${d.kind}) · ${t("layer {0}", d.layer)} · ${directionName(d.direction, t)}`;

/** "forward", "reverse", in the user's words. */
const directionName = (direction: string, t: Translate) => ({ forward: t("forward"), reverse: t("reverse") })[direction] ?? direction;
