// Telling runs apart: the experiment a run belongs to (its model file), an automatic label from what differs
// between the runs of one experiment (`lr 0.3 · 18:14`), the user's own label, tags and note (meta.json), and
// runs grouped by experiment, with room for deeper levels (a sweep inside an experiment). Pure functions over the
// protocol's types: the host, the Runs view and the Runs table label and group runs the same way.
import type { Hyperparameters, RunInfo, RunMeta } from "./protocol";

/** The most hyperparameters an automatic label names (the first that differ, in the order runs record them). */
export const MAX_LABEL_KEYS = 3;

/** What a run of an experiment needs for labelling and grouping. */
export interface Identified {
  info: Pick<RunInfo, "id" | "name" | "file" | "startedAt" | "hparams">;
  meta?: RunMeta;
}

/** The experiment a run belongs to: its model file (runs of one file train the same thing), else its name. */
export const experimentOf = (run: Identified): string => run.info.file || run.info.name;

/** A hyperparameter's value as a label shows it: numbers short (`0.3`, `1e-4`), text as it is. */
export function labelValue(value: number | string | boolean): string {
  if (typeof value !== "number") return String(value);
  if (value !== 0 && (Math.abs(value) < 1e-3 || Math.abs(value) >= 1e5))
    return value
      .toExponential(2)
      .replace(/\.?0+e/, "e")
      .replace("e+", "e");
  return String(Number(value.toPrecision(4)));
}

/** A start time as a label shows it: the local hour and minute (`18:14`), with seconds when minutes repeat. */
export function clockOf(iso: string, seconds = false): string {
  const t = new Date(iso);
  if (Number.isNaN(t.getTime())) return "";
  const two = (n: number) => String(n).padStart(2, "0");
  return `${two(t.getHours())}:${two(t.getMinutes())}${seconds ? `:${two(t.getSeconds())}` : ""}`;
}

/** The hyperparameters whose values differ between the runs (a run without one counts as a value of its own), in
 *  first-seen order. */
export function differingKeys(hparams: readonly (Hyperparameters | undefined)[]): string[] {
  const keys: string[] = [];
  for (const h of hparams) for (const k of Object.keys(h ?? {})) if (!keys.includes(k)) keys.push(k);
  const valueOf = (h: Hyperparameters | undefined, k: string) => (h && Object.hasOwn(h, k) ? JSON.stringify(h[k]) : undefined);
  return keys.filter((k) => new Set(hparams.map((h) => valueOf(h, k))).size > 1);
}

/**
 * Each run's automatic label, keyed by position: what differs from the other runs of its experiment (its name
 * when their names differ, then `lr 0.3 · batchSize 8`), then its start time (`18:14`, with seconds where two runs of the experiment share a
 * minute and a label). Runs of other experiments do not count: a run of one file is never labelled by another's.
 */
export function automaticLabels(runs: readonly Identified[]): string[] {
  const labels = new Array<string>(runs.length);
  const byExperiment = new Map<string, number[]>();
  runs.forEach((r, i) => byExperiment.set(experimentOf(r), [...(byExperiment.get(experimentOf(r)) ?? []), i]));
  for (const members of byExperiment.values()) {
    const keys = differingKeys(members.map((i) => runs[i].info.hparams)).slice(0, MAX_LABEL_KEYS);
    // Runs of one file under different names (an experiment renamed, hparams passed as a name): the name differs too.
    const named = new Set(members.map((i) => runs[i].info.name)).size > 1;
    const parts = members.map((i) => {
      const h = runs[i].info.hparams ?? {};
      return [...(named ? [runs[i].info.name] : []), ...keys.filter((k) => Object.hasOwn(h, k)).map((k) => `${k} ${labelValue(h[k])}`)];
    });
    const label = (j: number, seconds: boolean) => [...parts[j], clockOf(runs[members[j]].info.startedAt, seconds)].filter(Boolean).join(" · ");
    const first = members.map((_, j) => label(j, false));
    members.forEach((i, j) => {
      const repeated = first.some((l, k) => k !== j && l === first[j]);
      labels[i] = (repeated ? label(j, true) : first[j]) || runs[i].info.id;
    });
  }
  return labels;
}

/** What a run is called where runs are listed: the user's label, else the automatic one. */
export const runTitle = (run: Identified, automatic: string): string => run.meta?.label || automatic;

/** The runs, each with what it is called: its user's label, else what differs from the other runs of its
 *  experiment (the host's listing labels every run this way). */
export function labelled<T extends Identified>(runs: readonly T[]): (T & { label: string })[] {
  const automatic = automaticLabels(runs);
  return runs.map((r, i) => ({ ...r, label: runTitle(r, automatic[i]) }));
}

/** Runs in groups: one level per `levels` entry (an experiment; a sweep inside it), each group titled; a run whose
 *  key at a level is undefined stays a direct member of the group above. Groups keep the order of their first run. */
export interface RunGroup<T> {
  /** The group's key, unique among its siblings (an experiment: its model file). */
  key: string;
  title: string;
  /** Its runs not in a sub-group, in the order given. */
  runs: T[];
  groups: RunGroup<T>[];
}

export interface GroupLevel<T> {
  keyOf(run: T): string | undefined;
  /** The group's title, from all of its runs (those of its sub-groups too). */
  titleOf(runs: readonly T[]): string;
}

export function groupRuns<T>(runs: readonly T[], levels: readonly GroupLevel<T>[]): RunGroup<T>[] {
  const root: RunGroup<T> = { key: "", title: "", runs: [], groups: [] };
  for (const run of runs) {
    let group = root;
    for (const level of levels) {
      const key = level.keyOf(run);
      if (key === undefined) break;
      let child = group.groups.find((g) => g.key === key);
      if (!child) group.groups.push((child = { key, title: "", runs: [], groups: [] }));
      group = child;
    }
    group.runs.push(run);
  }
  const title = (groups: RunGroup<T>[], depth: number) => {
    for (const g of groups) {
      g.title = levels[depth].titleOf(runsOf([g]));
      title(g.groups, depth + 1);
    }
  };
  title(root.groups, 0);
  return root.runs.length ? [...root.groups, root] : root.groups;
}

/** Grouping by experiment: keyed by the model file, titled with the file's name and the runs' name (the file's
 *  name alone when its runs have different names). */
export const byExperiment = <T extends Identified>(): GroupLevel<T> => ({
  keyOf: experimentOf,
  titleOf: (runs) => experimentTitle(runs[0]?.info.file ?? "", new Set(runs.map((r) => r.info.name))),
});

/** `hello → ohlol (RNN) (05b_hello_rnn.ts)`: the runs' one name and the file's; the file's alone when names differ. */
export function experimentTitle(file: string, names: ReadonlySet<string>): string {
  const base = file.split(/[\\/]/).pop() ?? "";
  const name = names.size === 1 ? [...names][0] : "";
  return base && name ? `${name} (${base})` : name || base;
}

/** Every run of the groups, depth first (the order the Runs view and table list them). */
export const runsOf = <T>(groups: readonly RunGroup<T>[]): T[] => groups.flatMap((g) => [...g.runs, ...runsOf(g.groups)]);
