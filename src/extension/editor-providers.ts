// Hovers, inlay hints and CodeLens for model files, all answered from the last trace (no tracing here).
import * as vscode from "vscode";
import type { TraceEntry } from "../common/protocol";
import { words } from "./l10n";
import { codeLensLine, hoverMarkdown, inlayText, lineNotes } from "./shapes";
import { isModelFile, type TraceService } from "./trace-service";
import { markdownText } from "./ui-text";

/** The entry under the cursor: the one starting at or before the column, else the line's first. */
function entryAt(entries: TraceEntry[], column: number): TraceEntry {
  const before = entries.filter((e) => e.location.column - 1 <= column).sort((a, b) => b.location.column - a.location.column);
  return before[0] ?? entries[0];
}

export class ShapeHoverProvider implements vscode.HoverProvider {
  constructor(private readonly traces: TraceService) {}

  provideHover(document: vscode.TextDocument, position: vscode.Position): vscode.Hover | undefined {
    if (!vscode.workspace.isTrusted) {
      if (!isModelFile(document)) return undefined;
      const md = new vscode.MarkdownString(
        vscode.l10n.t("Unroll runs model files (shape traces, training) only in trusted workspaces. [Manage Workspace Trust](command:workbench.trust.manage)"),
      );
      md.isTrusted = { enabledCommands: ["workbench.trust.manage"] };
      return new vscode.Hover(md);
    }
    const traced = this.traces.get(document.uri);
    const line = traced?.tracker.tracedAt(position.line);
    if (!traced || line === undefined) return undefined;
    const entries = traced.byLine.get(line)!;
    const notes = lineNotes(words().t, traced.tracker.isStale(line), traced.earlier.has(line)).map((note) => `${markdownText(note)}\n\n---\n\n`);
    const md = new vscode.MarkdownString(notes.join("") + hoverMarkdown(entryAt(entries, position.character), words()));
    md.supportHtml = false;
    return new vscode.Hover(md);
  }
}

export class ShapeInlayHintsProvider implements vscode.InlayHintsProvider {
  readonly onDidChangeInlayHints: vscode.Event<void>;

  constructor(
    private readonly traces: TraceService,
    private readonly enabled: () => boolean,
  ) {
    this.onDidChangeInlayHints = (listener, thisArg, disposables) => traces.onDidChange(() => listener.call(thisArg), undefined, disposables);
  }

  provideInlayHints(document: vscode.TextDocument, range: vscode.Range): vscode.InlayHint[] {
    const traced = this.traces.get(document.uri);
    if (!traced || !this.enabled()) return [];
    const hints: vscode.InlayHint[] = [];
    for (const [line, entries] of traced.byLine) {
      const now = traced.tracker.lineNow(line);
      if (now === undefined || now < range.start.line || now > range.end.line || now >= document.lineCount) continue;
      const stale = traced.tracker.isStale(line);
      const earlier = traced.earlier.has(line);
      const text = inlayText(entries, stale, earlier);
      if (!text) continue;
      const hint = new vscode.InlayHint(document.lineAt(now).range.end, text);
      hint.paddingLeft = true;
      const hovers = entries.map((e) => hoverMarkdown(e, words()));
      const notes = lineNotes(words().t, stale, earlier).map((note) => markdownText(note));
      hint.tooltip = new vscode.MarkdownString([...notes, ...hovers].join("\n\n---\n\n"));
      hints.push(hint);
    }
    return hints;
  }
}

export class ModelCodeLensProvider implements vscode.CodeLensProvider {
  provideCodeLenses(document: vscode.TextDocument): vscode.CodeLens[] {
    if (!isModelFile(document)) return [];
    const { line, experiment } = codeLensLine(document.getText());
    const range = new vscode.Range(line, 0, line, 0);
    const lenses = [
      new vscode.CodeLens(range, { title: `$(graph) ${vscode.l10n.t("Trace shapes")}`, command: "unroll.trace", arguments: [document.uri] }),
      new vscode.CodeLens(range, { title: vscode.l10n.t("Open explorer"), command: "unroll.openExplorer", arguments: [document.uri] }),
    ];
    if (experiment)
      lenses.unshift(new vscode.CodeLens(range, { title: `$(play) ${vscode.l10n.t("Train")}`, command: "unroll.train", arguments: [document.uri] }));
    return lenses;
  }
}
