// What PyTorch's names and shapes say about a recurrent module's weights, from a checkpoint's tensor list alone:
// `rnn.weight_hh_l1_reverse` is layer 1, reverse direction, of the module `rnn`; its rows stack the gates, and
// how many there are follows from the shapes (weight_hh_l{k} is [gates·hidden, hidden], or [4·hidden, proj]
// with a projection weight_hr_l{k} [proj, hidden]): 4 an LSTM (i f g o), 3 a GRU (r z n), 1 a plain RNN.
// Plain logic, no library, no file system: the checkpoint viewer's host side and the tests use it.
import { GATE_NAMES, kindOfGateCount, type RecurrentKind as Kind } from "../common/gate-layout";

export type RecurrentKind = Kind | `${Kind}Cell`;

export interface RecurrentRole {
  /** The module's name in the file, "" at the top level: "rnn", "encoder.lstm". */
  module: string;
  kind: RecurrentKind;
  /** weight_ih, weight_hh, bias_ih, bias_hh, or weight_hr (an LSTM's projection). */
  role: "weight_ih" | "weight_hh" | "bias_ih" | "bias_hh" | "weight_hr";
  /** Absent for a cell (RNNCell, LSTMCell, GRUCell: names without _l{k}). */
  layer?: number;
  direction?: "forward" | "reverse";
  hiddenSize: number;
  /** The gate blocks along the first dimension ("i f g o", "r z n"); absent for weight_hr and a plain RNN. */
  gates?: string[];
}

const NAME = /^(?:(.*)\.)?(weight|bias)_(ih|hh|hr)(?:_l(\d+)(_reverse)?)?$/;

interface Parsed {
  name: string;
  shape: readonly number[];
  module: string;
  role: RecurrentRole["role"];
  layer?: number;
  reverse: boolean;
}

function parse(name: string, shape: readonly number[]): Parsed | null {
  const m = NAME.exec(name);
  if (!m || (m[2] === "bias" && m[3] === "hr")) return null;
  return {
    name,
    shape,
    module: m[1] ?? "",
    role: `${m[2]}_${m[3]}` as RecurrentRole["role"],
    layer: m[4] === undefined ? undefined : Number(m[4]),
    reverse: !!m[5],
  };
}

/** The recurrent role of every tensor that has one, by name. A module whose shapes do not agree (a gate count
 *  other than 1, 3, 4; a projection on anything but an LSTM; a tensor whose first dimension is not gates ×
 *  hidden) gets no roles: no gate labels rather than wrong ones. */
export function recurrentRoles(tensors: readonly { name: string; shape: readonly number[] }[]): Map<string, RecurrentRole> {
  const groups = new Map<string, Parsed[]>();
  for (const t of tensors) {
    const p = parse(t.name, t.shape);
    if (!p) continue;
    const key = `${p.module}\u0000${p.layer === undefined ? "cell" : "layers"}`;
    groups.set(key, [...(groups.get(key) ?? []), p]);
  }
  const roles = new Map<string, RecurrentRole>();
  for (const members of groups.values()) {
    const hh = members.find((p) => p.role === "weight_hh" && p.shape.length === 2);
    if (!hh) continue;
    const hr = members.find((p) => p.role === "weight_hr" && p.shape.length === 2);
    const hidden = hr ? hr.shape[1] : hh.shape[1];
    if (!(hidden > 0) || hh.shape[0] % hidden !== 0) continue;
    const kind = kindOfGateCount(hh.shape[0] / hidden);
    if (!kind || (hr && kind !== "LSTM")) continue;
    const gates = GATE_NAMES[kind];
    const rows = hh.shape[0];
    const cell = hh.layer === undefined;
    const consistent = members.every((p) =>
      p.role === "weight_hr" ? p.shape.length === 2 && p.shape[1] === hidden : p.shape.length >= 1 && p.shape[0] === rows,
    );
    if (!consistent) continue;
    for (const p of members) {
      roles.set(p.name, {
        module: p.module,
        kind: cell ? `${kind}Cell` : kind,
        role: p.role,
        ...(cell ? {} : { layer: p.layer, direction: p.reverse ? "reverse" : "forward" }),
        hiddenSize: hidden,
        ...(gates.length && p.role !== "weight_hr" ? { gates: [...gates] } : {}),
      });
    }
  }
  return roles;
}
