// The Training tab's header: the run's name, status and progress, model and optimizer, the backend it ran on (and
// the one the next run will use, when another), its GPU memory on WebGPU, and banners for an error or damaged files;
// before any run, what Train does.
import type { RunDetail } from "../src/common/protocol";
import { formatLoss } from "../src/common/format";
import { epochInProgress } from "../src/common/run-reducer";
import { ago, banner, bdi, fill, h, icon, statusIcon, statusText } from "./common";
import { GRADIENTS_ID } from "./explorer-gradients";
import { language, t, tNodes } from "./l10n";
import { backendLabel } from "./backend-label";
import { shortLabel } from "./short-text";
import { formatCount, gpuMemoryLine } from "./numbers";

export class RunHeader {
  readonly el = h("div", { class: "run-header" });
  /** What the tab says before any run. */
  readonly emptyEl = h("div");
  /** "GPU memory: …" of a run on WebGPU, updated at each step without redrawing the header. */
  private readonly gpuMemory = h("p", { class: "meta gpu-memory" });

  /** `showGradients`: the NaN error banner's link to the gradient norms. */
  constructor(private readonly showGradients: () => void) {}

  /** The run's last GPU memory figures, or nothing (not on WebGPU). */
  showGpuMemory(run: RunDetail | null): void {
    const line = gpuMemoryLine(run?.gpuMemory, t);
    this.gpuMemory.hidden = !line;
    if (!line || this.gpuMemory.title === line.title) return;
    fill(this.gpuMemory, icon("chip"), ` ${line.text}`);
    this.gpuMemory.title = line.title;
  }

  /** `backend`: what the next run will use, and why others were skipped. */
  render(run: RunDetail | null, backend: string): void {
    if (!run) {
      fill(this.el, backend ? backendDetails(t("Backend: {0}", backendLabel(backend, t)), [backend]) : null);
      fill(
        this.emptyEl,
        h("p", { class: "empty" }, t("No run yet. Train runs the experiment this file exports (its model, data, loss and optimizer) and plots it here live.")),
      );
      return;
    }
    fill(this.emptyEl);
    this.showGpuMemory(run);
    const info = run.summary.info;
    // The epoch in progress while training, as the status bar says it.
    const epoch = epochInProgress(run);
    const progress = epoch !== undefined ? t("epoch {0} / {1}", epoch, info.config.epochs) : t("{0} epochs", info.config.epochs);
    fill(
      this.el,
      h(
        "div",
        { class: "run-title" },
        statusIcon(info),
        h("strong", {}, bdi(info.name)),
        h("span", { class: "muted" }, ` ${statusText(info.status)} · ${progress} · ${t("started {0}", ago(info.startedAt))}`),
      ),
      h(
        "p",
        { class: "meta" },
        // A model's repr is one line per layer: shortened here, whole on hover.
        h("span", { class: "mono", title: info.config.model }, bdi(shortLabel(info.config.model))),
        ` · ${t("{0} parameters", formatCount(info.config.parameterCount, language))} · `,
        bdi(info.config.optimizer),
        // The mean over the last epoch that ended, labelled and written as the status bar and the notification do.
        info.finalLoss !== undefined ? ` · ${t("epoch loss {0}", formatLoss(info.finalLoss))}` : "",
      ),
      backendDetails(t("Run on: {0}", backendLabel(info.backend, t)), [
        info.backend,
        ...(backend && backend !== info.backend ? [t("Backend: {0}", backend)] : []),
      ]),
      this.gpuMemory,
      info.error
        ? banner(
            "error",
            "error",
            info.status === "failed" ? t("The run failed ({0})", info.error.kind) : t("The run reported an error ({0})", info.error.kind),
            h("span", { class: "mono" }, bdi(info.error.message)),
            ...(info.error.kind === "nan"
              ? [
                  h(
                    "a",
                    { href: `#${GRADIENTS_ID}`, class: "gradients-link", onclick: (e: Event) => (e.preventDefault(), this.showGradients()) },
                    t("See the gradient norm per step"),
                  ),
                ]
              : []),
          )
        : null,
      run.summary.damaged
        ? banner(
            "warning",
            "warning",
            t("Some of the run's files could not be read; the rest is shown"),
            h("span", { class: "mono" }, ...tNodes("damaged: {0}", bdi(run.summary.damaged))),
          )
        : null,
      run.stepsOnDisk
        ? h(
            "p",
            { class: "hint" },
            t("The loss per step is drawn from means of equal runs of steps: {0} steps are on disk (metrics.jsonl).", formatCount(run.stepsOnDisk, language)),
          )
        : null,
    );
  }
}

/** One line naming the backend; what the report says in full (the backends tried and skipped, the native kernels'
 *  library and threads) behind a disclosure. */
function backendDetails(line: string, details: string[]): HTMLElement {
  return h(
    "details",
    { class: "backend meta" },
    h("summary", {}, icon("server-process"), " ", bdi(line)),
    ...details.filter(Boolean).map((d) => h("p", { class: "mono" }, bdi(d))),
  );
}
