// Training sessions: "Unroll: Train Model" starts a training process for a model file (one at a time per file),
// streams its events to the file's explorer panel and the status bar, and says how the run ended; "Stop Training"
// asks it to stop. The process is detached (src/runs/detached.ts): a reload, a closed window or a dropped remote
// connection does not end it, and the next activation re-attaches to it through its run folder (the same status bar,
// live curves and Stop), unless `unroll.training.stopOnClose` asked to stop runs when VS Code closes.
import * as vscode from "vscode";
import * as path from "node:path";
import type { RunEvent, RunInfo, RunSummary } from "../common/protocol";
import { formatLoss } from "../common/format";
import { askToStop, followRun, liveRuns, stopRun } from "../runs/detached";
import { startTraining, type TrainingResult } from "../runs/train-client";
import type { TrainOptions } from "../runs/train-contract";
import type { ExplorerPanels } from "./explorer-panel";
import type { Runs } from "./runs";
import type { Settings } from "./settings";
import { TrainingStatusBar, type SessionStatus } from "./status-bar";
import type { TraceService } from "./trace-service";
import { MAX_LONG_TEXT, uiText } from "./ui-text";
import { activeModelFile, ensureTrusted, modelDocument, runsFolderFor, runsFolders, showLocation } from "./workspace";

/** What a session needs of its run, whether this host started it (train-client's Training) or re-attached to it. */
interface Trainer {
  stop(): void;
  done: Promise<TrainingResult>;
}

/** A training run the extension started, with what the status bar shows of it. */
interface Session extends SessionStatus {
  training: Trainer;
  runId?: string;
  /** The run's info as it started (its pid, for a stop when VS Code closes). */
  info?: RunInfo;
  /** The events not yet shown, in order, and the latest step not yet shown: they reach the panel (in one message) and
   *  the status bar at most every FLUSH_INTERVAL_MS. */
  pending: RunEvent[];
  pendingStep?: RunEvent;
  flushTimer?: NodeJS.Timeout;
}

/** A small model trains thousands of steps and hundreds of epochs a second; posting each to the webview floods the
 *  host (a Stop command then waits behind the queue). Steps are sampled (the panel gets the run's every step from the
 *  store at the end); the other events all go, batched. */
const FLUSH_INTERVAL_MS = 100;

const showLine = () => vscode.l10n.t("Show Line");

export class TrainingSessions implements vscode.Disposable {
  private readonly sessions = new Map<string, Session>(); // by model file
  private readonly status = new TrainingStatusBar();
  private readonly disposables: vscode.Disposable[] = [];
  private disposed = false;

  constructor(
    private readonly settings: () => Settings,
    private readonly traces: TraceService,
    private readonly runs: Runs,
    private readonly explorers: ExplorerPanels,
    private readonly log: vscode.OutputChannel,
  ) {}

  /** The session training `file`, if any. */
  get(file: string): Session | undefined {
    return this.sessions.get(file);
  }

  /** The file trained last, if one trains. */
  latestFile(): string | undefined {
    return [...this.sessions.keys()].pop();
  }

  /** Trains the file; `overrides`: its hparams' new values ("Train with…"), checked by the training process too. */
  async train(uri?: vscode.Uri, overrides?: Record<string, string>): Promise<void> {
    const document = await modelDocument(uri);
    if (!document || !ensureTrusted(vscode.l10n.t("Training"))) return;
    const file = document.uri.fsPath;
    if (this.sessions.has(file)) {
      const stop = vscode.l10n.t("Stop");
      void vscode.window
        .showInformationMessage(vscode.l10n.t("Unroll: {0} is already training.", uiText(path.basename(file))), stop)
        .then((c) => c && this.stop(document.uri));
      return;
    }
    if (document.isDirty) await document.save();
    this.explorers.show(file);
    const settings = this.settings();
    const runsFolder = runsFolderFor(settings, file);
    const session: Session = { file, training: undefined as unknown as Trainer, pending: [] };
    // Detached: outlives this window (a reload, a dropped connection); the next activation re-attaches.
    session.training = startTraining({ ...trainOptionsFor(settings, file), ...(overrides ? { overrides } : {}), detached: true }, (event) =>
      this.onEvent(session, event),
    );
    this.traces.setRunError(file, null);
    await this.watch(session, runsFolder);
  }

  /** Re-attaches to the workspace's runs still training (started before a reload of this window, or by `unroll train
   *  --detach`): each gets a session followed from its run folder, and one message says how many there are. */
  async reattach(): Promise<void> {
    const live = (await liveRuns(runsFolders(this.settings()))).filter((run) => run.info.file && !this.sessions.has(run.info.file));
    for (const run of live.reverse()) void this.follow(run); // the newest last: the status bar shows it
    if (!live.length) return;
    const names = live.map((run) => uiText(run.info.name)).join(", ");
    const stopAll = vscode.l10n.t("Stop All");
    const message =
      live.length === 1 ? vscode.l10n.t("Unroll: 1 run still training: {0}", names) : vscode.l10n.t("Unroll: {0} runs still training: {1}", live.length, names);
    void vscode.window
      .showInformationMessage(message, stopAll)
      .then((c) => c === stopAll && live.forEach((run) => this.sessions.get(run.info.file)?.training.stop()));
  }

  /** A session for a run this host did not start, from its folder as it grows: what was written before is shown from
   *  the store, what comes after as live events. */
  private async follow(run: RunSummary): Promise<void> {
    const { info, dir } = run;
    const session: Session = {
      file: info.file,
      runId: info.id,
      info,
      backend: { name: info.backendName, summary: info.backend },
      epochs: info.config.epochs,
      epoch: info.epoch,
      pending: [],
      training: undefined as unknown as Trainer,
    };
    const panel = this.explorers.get(info.file);
    if (panel) await this.runs.show(panel, dir);
    // The panel shows the run already: its `start` would make it a new, empty one.
    const follower = followRun(dir, (event) => event.type !== "start" && this.onEvent(session, event), { fromEnd: true });
    session.training = {
      stop: () => void stopRun(dir), // after its step; a step that does not end is ended with its process
      done: follower.done.then((end) => ({ run: end, ...(end.error ? { error: end.error } : {}), code: null, signal: null })),
    };
    this.disposables.push({ dispose: () => follower.cancel() });
    await this.watch(session, path.dirname(dir));
  }

  /** Shows a session while it trains, then how its run ended. */
  private async watch(session: Session, runsFolder: string): Promise<void> {
    const { file } = session;
    this.sessions.set(file, session);
    this.updateStatus();
    void vscode.commands.executeCommand("setContext", "unroll.training", true);
    const result = await session.training.done;
    if (this.disposed) return; // this window closes; the run goes on
    this.flush(session);
    this.sessions.delete(file);
    // The panel saw a sample of the steps while training: now it gets them all.
    const panel = this.explorers.get(file);
    if (panel && session.runId) void this.runs.show(panel, path.join(runsFolder, session.runId));
    void vscode.commands.executeCommand("setContext", "unroll.training", this.sessions.size > 0);
    this.updateStatus(session);
    void this.runs.refresh();
    this.traces.setRunError(file, result.error ?? null);
    const run = result.run;
    if (result.error) {
      const location = result.error.location;
      const name = uiText(path.basename(file));
      const error = uiText(result.error.message, MAX_LONG_TEXT);
      const message = location
        ? vscode.l10n.t("Unroll: training {0} failed ({1}:{2}): {3}", name, uiText(path.basename(location.file)), uiText(location.line), error)
        : vscode.l10n.t("Unroll: training {0} failed: {1}", name, error);
      // A NaN or an infinity: the gradient norm per step (Training tab) shows which parameter went first.
      const showGradients = vscode.l10n.t("Show Gradient Norms");
      const actions = [...(location ? [showLine()] : []), ...(result.error.kind === "nan" ? [showGradients] : [])];
      void vscode.window.showErrorMessage(message, ...actions).then((c) => {
        if (c === showLine() && location) showLocation(location);
        if (c === showGradients) this.explorers.show(file).postReveal("gradients");
      });
    } else if (run?.halted) {
      const { location, afterMs } = run.halted;
      const seconds = Math.round(afterMs / 100) / 10;
      const message = location
        ? vscode.l10n.t(
            "Unroll: {0} stopped at line {1} of {2}: its step had not ended {3} s after the stop.",
            uiText(run.name),
            uiText(location.line),
            uiText(path.basename(location.file)),
            seconds,
          )
        : vscode.l10n.t("Unroll: {0} stopped: its step had not ended {1} s after the stop.", uiText(run.name), seconds);
      void vscode.window.showInformationMessage(message, ...(location ? [showLine()] : [])).then((c) => c && location && showLocation(location));
    } else if (run?.status === "completed") {
      const loss = run.finalLoss !== undefined ? uiText(formatLoss(run.finalLoss)) : "–";
      vscode.window.setStatusBarMessage(vscode.l10n.t("Unroll: {0} completed, epoch loss {1}", uiText(run.name), loss), 8000);
    } else if (!run && result.code !== 0) {
      void vscode.window.showErrorMessage(
        vscode.l10n.t(
          'Unroll: the training process of {0} ended unexpectedly ({1}). See the "Unroll" output.',
          uiText(path.basename(file)),
          uiText(result.signal ?? `exit ${result.code}`),
        ),
      );
    }
  }

  stop(uri?: vscode.Uri): void {
    const file = uri?.fsPath ?? activeModelFile();
    const session = (file && this.sessions.get(file)) || [...this.sessions.values()].pop();
    if (!session) {
      void vscode.window.showInformationMessage(vscode.l10n.t("Unroll: nothing is training."));
      return;
    }
    session.training.stop(); // a step that does not end within a few seconds is ended where it is; the run "stopped"
  }

  private onEvent(session: Session, event: RunEvent): void {
    if (event.type === "step") {
      Object.assign(session, { epoch: event.epoch, step: event.step, loss: event.loss, pendingStep: event });
      return this.scheduleFlush(session);
    }
    switch (event.type) {
      case "start":
        session.runId = event.run.id;
        session.info = event.run;
        session.backend = { name: event.run.backendName, summary: event.run.backend };
        session.epochs = event.run.config.epochs;
        this.explorers.get(session.file)?.postBackend(event.run.backend);
        this.runs.scheduleRefresh();
        break;
      case "epoch":
        session.epochLoss = event.loss;
        this.runs.scheduleRefresh();
        break;
      case "gradientWarning":
        session.gradientWarning = event.warning;
        session.gradientWarnings = (session.gradientWarnings ?? 0) + 1;
        break;
      case "log":
        this.log.append(event.text);
        return;
      default:
        break;
    }
    // The step before this event is shown before it.
    if (session.pendingStep) session.pending.push(session.pendingStep);
    session.pendingStep = undefined;
    session.pending.push(event);
    this.scheduleFlush(session);
  }

  private scheduleFlush(session: Session): void {
    session.flushTimer ??= setTimeout(() => this.flush(session), FLUSH_INTERVAL_MS);
  }

  /** Shows what came since the last flush: the events in one message to the panel, and the status bar. */
  private flush(session: Session): void {
    clearTimeout(session.flushTimer);
    session.flushTimer = undefined;
    const events = session.pendingStep ? [...session.pending, session.pendingStep] : session.pending;
    session.pending = [];
    session.pendingStep = undefined;
    if (events.length && session.runId) this.explorers.get(session.file)?.postEvents(session.runId, events);
    this.updateStatus();
  }

  private updateStatus(ended?: Session): void {
    this.status.show([...this.sessions.values()].pop(), ended);
  }

  /** The window closes (or reloads): runs go on, unless unroll.training.stopOnClose asks to stop them, which is asked
   *  at once (a stop file and a signal: this host may be gone before a message would arrive). */
  dispose(): void {
    this.disposed = true;
    if (this.settings().stopOnClose) {
      for (const session of this.sessions.values()) {
        if (session.info && session.runId) askToStop(path.join(runsFolderFor(this.settings(), session.file), session.runId), session.info);
        else session.training.stop();
      }
    }
    for (const disposable of this.disposables) disposable.dispose();
    for (const session of this.sessions.values()) clearTimeout(session.flushTimer);
    this.status.dispose();
  }
}

/** A run's options from the settings: the ones every training the extension starts shares (a sweep's points too). */
export function trainOptionsFor(settings: Settings, file: string): TrainOptions {
  return {
    file,
    backend: settings.backend,
    nativeKernels: settings.nativeKernels,
    snapshotEvery: settings.snapshotEvery,
    dataTimeout: settings.dataTimeout,
    runsFolder: runsFolderFor(settings, file),
    vanishingRatio: settings.vanishingRatio,
    explodingRatio: settings.explodingRatio,
    language: vscode.env.language, // the process's messages (errors, time limits) in VS Code's language
  };
}
