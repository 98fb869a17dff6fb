// What every command needs to know of the workspace: the model file it is about, whether the workspace is
// trusted (user code runs only then), and where runs are stored.
import * as vscode from "vscode";
import * as path from "node:path";
import type { SourceLocation } from "../common/protocol";
import type { Settings } from "./settings";
import { isModelFile } from "./trace-service";

/** The model file a command is about: its argument, else the active editor's; says so when there is none. */
export async function modelDocument(uri?: vscode.Uri): Promise<vscode.TextDocument | undefined> {
  const document = uri ? await vscode.workspace.openTextDocument(uri) : vscode.window.activeTextEditor?.document;
  if (!document || !isModelFile(document)) {
    void vscode.window.showWarningMessage(vscode.l10n.t('Unroll: open a model file first (a .ts file that imports "unroll").'));
    return undefined;
  }
  return document;
}

/** The active editor's model file, if it shows one. */
export function activeModelFile(): string | undefined {
  const document = vscode.window.activeTextEditor?.document;
  return document && isModelFile(document) ? document.uri.fsPath : undefined;
}

/** Running user code needs a trusted workspace; says so (with the way to trust) when it is not. */
export function ensureTrusted(what: string): boolean {
  if (vscode.workspace.isTrusted) return true;
  const manage = vscode.l10n.t("Manage Workspace Trust");
  void vscode.window
    .showWarningMessage(vscode.l10n.t("Unroll: {0} runs the model file's code, which Unroll does only in trusted workspaces.", what), manage)
    .then((choice) => choice && vscode.commands.executeCommand("workbench.trust.manage"));
  return false;
}

/** Every runs folder of the workspace (one per workspace folder). */
export function runsFolders(settings: Settings): string[] {
  return (vscode.workspace.workspaceFolders ?? []).map((f) => path.resolve(f.uri.fsPath, settings.runsFolder));
}

/** Where a model file's runs go: its workspace folder's runs folder, else beside the file. */
export function runsFolderFor(settings: Settings, file: string): string {
  const folder = vscode.workspace.getWorkspaceFolder(vscode.Uri.file(file));
  return path.resolve(folder ? folder.uri.fsPath : path.dirname(file), settings.runsFolder);
}

/** Opens a file at a line and column. */
export function showLocation(location: SourceLocation): void {
  const at = new vscode.Position(location.line - 1, location.column - 1);
  void vscode.window.showTextDocument(vscode.Uri.file(location.file), { selection: new vscode.Range(at, at) });
}
