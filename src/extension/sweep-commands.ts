// "Unroll: Train with…" (the experiment's hparams, overridden in one input) and "Unroll: Sweep…" (values per
// declared hparam, then the points run in the background, several at a time, with progress, cancellable). Both
// read the declared hparams from the file's trace and check what is typed with `--set`'s check (did-you-mean
// included) as it is typed.
import * as vscode from "vscode";
import * as path from "node:path";
import type { Hyperparameters } from "../common/protocol";
import { bestRunIndex, DEFAULT_SWEEP_METRIC, sweepValue } from "../common/sweep";
import { applyOverrides } from "../runs/overrides";
import { parseOverrides } from "../runs/train-contract";
import { checkPoints, describePoint, fitAxes, gridPoints, parseAxis, randomPoints, type Axis, type Point } from "../runs/sweep-plan";
import { defaultParallel, startSweep } from "../runs/sweep";
import type { Rooms } from "./commands";
import { trainOptionsFor } from "./sessions";
import { uiText } from "./ui-text";
import { ensureTrusted, modelDocument } from "./workspace";

/** How many points "Sweep…" draws from ranges unless told otherwise. */
const DEFAULT_DRAWS = 8;

/** The file and its declared hparams (tracing it now when no trace has them); undefined, having said why, when none. */
async function declaredOf(
  rooms: Rooms,
  uri: vscode.Uri | undefined,
  what: string,
): Promise<{ document: vscode.TextDocument; declared: Hyperparameters } | undefined> {
  const document = await modelDocument(uri);
  if (!document || !ensureTrusted(what)) return undefined;
  if (document.isDirty) await document.save();
  const trace = rooms.traces.get(document.uri)?.trace ?? (await rooms.traces.trace(document));
  const declared = trace?.experiment?.hparams;
  if (declared && Object.keys(declared).length) return { document, declared };
  const name = uiText(path.basename(document.uri.fsPath));
  void vscode.window.showWarningMessage(
    trace?.experiment
      ? vscode.l10n.t("Unroll: {0} declares no hparams: add hparams: { lr: 0.1 } to its defineExperiment and read them in model, optimizer or data.", name)
      : vscode.l10n.t("Unroll: {0} exports no experiment to train, or its trace failed (see its problems).", name),
  );
  return undefined;
}

/** The error message of `check` (shown under the input while typing), or undefined when it passes. */
function problem(check: () => unknown): string | undefined {
  try {
    check();
    return undefined;
  } catch (error) {
    return uiText((error as Error).message);
  }
}

/** `lr=0.03 hidden=64`: the overrides typed in one line (names and values without spaces). */
const overridesOf = (text: string) => parseOverrides(text.trim().split(/\s+/).filter(Boolean));

export async function trainWith(rooms: Rooms, uri?: vscode.Uri): Promise<void> {
  const found = await declaredOf(rooms, uri, vscode.l10n.t("Training"));
  if (!found) return;
  const { document, declared } = found;
  const text = await vscode.window.showInputBox({
    title: vscode.l10n.t("Unroll: train {0} with", uiText(path.basename(document.uri.fsPath))),
    prompt: vscode.l10n.t("The hparams to change, as NAME=VALUE separated by spaces"),
    value: describePoint(Object.fromEntries(Object.entries(declared).map(([k, v]) => [k, String(v)]))),
    validateInput: (value) => (value.trim() ? problem(() => applyOverrides(declared, overridesOf(value))) : undefined),
  });
  if (text === undefined) return;
  await rooms.sessions.train(document.uri, text.trim() ? overridesOf(text) : undefined);
}

/** Asks for each declared hparam's values (empty: keep it); undefined when cancelled. */
async function askAxes(declared: Hyperparameters, file: string): Promise<Axis[] | undefined> {
  const axes: Axis[] = [];
  const names = Object.keys(declared);
  for (const [i, name] of names.entries()) {
    const was = uiText(declared[name]); // a value from the user's file, shown as text
    const axisOf = (value: string) => fitAxes([parseAxis(`${name}=${value}`)], declared)[0];
    const text = await vscode.window.showInputBox({
      title: vscode.l10n.t("Unroll: sweep {0} ({1}/{2})", uiText(file), uiText(i + 1), uiText(names.length)),
      prompt: vscode.l10n.t("Values of {0} (declared {1}): V1,V2,… or LOW:HIGH to draw from; empty keeps {1}", uiText(name), was),
      placeHolder: typeof declared[name] === "number" ? "0.01,0.03,0.1  ·  1e-4:1e-1" : was,
      validateInput: (value) =>
        value.trim()
          ? problem(() => {
              const axis = axisOf(value);
              if (axis.kind === "list") checkPoints(declared, gridPoints([axis]));
            })
          : undefined,
    });
    if (text === undefined) return undefined;
    if (text.trim()) axes.push(axisOf(text));
  }
  return axes;
}

/** The points of the axes: their grid, or draws when a range is among them (asking how many). */
async function askPoints(axes: Axis[], declared: Hyperparameters): Promise<Point[] | undefined> {
  if (!axes.some((a) => a.kind === "range")) return gridPoints(axes);
  const text = await vscode.window.showInputBox({
    title: vscode.l10n.t("Unroll: how many points to draw from the ranges"),
    value: String(DEFAULT_DRAWS),
    validateInput: (value) => problem(() => checkPoints(declared, randomPoints(axes, Number(value), 0))),
  });
  return text === undefined ? undefined : randomPoints(axes, Number(text), Math.floor(Math.random() * 2 ** 31));
}

export async function sweep(rooms: Rooms, uri?: vscode.Uri): Promise<void> {
  const found = await declaredOf(rooms, uri, vscode.l10n.t("Sweeping"));
  if (!found) return;
  const { document, declared } = found;
  const file = document.uri.fsPath;
  const axes = await askAxes(declared, path.basename(file));
  if (!axes) return;
  if (!axes.length) {
    void vscode.window.showInformationMessage(vscode.l10n.t("Unroll: no values given: nothing to sweep."));
    return;
  }
  const points = await askPoints(axes, declared);
  if (!points) return;
  const wrong = problem(() => checkPoints(declared, points)); // checked as typed: this is the last word
  if (wrong) void vscode.window.showErrorMessage(vscode.l10n.t("Unroll: {0}", wrong));
  else await runSweep(rooms, file, axes, points);
}

/** Runs the points in the background (a notification with progress and Cancel), refreshing the runs as they end;
 *  says the best at the end, with a button to the Runs table. */
async function runSweep(rooms: Rooms, file: string, axes: Axis[], points: Point[]): Promise<void> {
  const parallel = defaultParallel();
  const names = axes.map((a) => a.name);
  const title = vscode.l10n.t("Unroll: sweep of {0} ({1} runs, {2} at a time)", uiText(path.basename(file)), points.length, Math.min(parallel, points.length));
  const outcomes = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, async (progress, token) => {
    let ended = 0;
    const running = startSweep({ base: trainOptionsFor(rooms.settings(), file), points, names, parallel }, (event) => {
      if (event.type === "point-start") rooms.runs.scheduleRefresh();
      if (event.type !== "point-end") return;
      ended++;
      progress.report({ increment: 100 / points.length, message: vscode.l10n.t("{0}/{1} runs ended", ended, points.length) });
      rooms.runs.scheduleRefresh();
    });
    token.onCancellationRequested(() => running.stop());
    return running.done;
  });
  void rooms.runs.refresh();
  const runs = outcomes.map((o) => o.result?.run ?? {});
  const best = bestRunIndex(runs, DEFAULT_SWEEP_METRIC);
  const run = outcomes[best]?.result?.run;
  const done = outcomes.filter((o) => o.result?.run?.status === "completed").length;
  const compare = vscode.l10n.t("Compare Runs");
  const message = run
    ? vscode.l10n.t(
        "Unroll: sweep ended, {0}/{1} runs completed; best {2} ({3} {4}).",
        done,
        points.length,
        uiText(describePoint(outcomes[best].point)),
        uiText(DEFAULT_SWEEP_METRIC),
        Number(sweepValue(run, DEFAULT_SWEEP_METRIC)!.value.toPrecision(4)),
      )
    : vscode.l10n.t("Unroll: sweep ended, {0}/{1} runs completed.", done, points.length);
  if ((await vscode.window.showInformationMessage(message, compare)) === compare) rooms.runs.showTable();
}
