// The "Get started with Unroll" walkthrough (package.json "walkthroughs"; its words in package.nls.*.json and its
// media in media/walkthrough/). Each step's button runs one command here, which also completes the step
// (completionEvents onCommand:…). A lesson the workspace lacks is copied into it first, with the data it reads, so
// that the tour works in any folder.
import * as vscode from "vscode";
import * as fs from "node:fs";
import * as path from "node:path";
import type { ExplorerPanels } from "./explorer-panel";
import type { TrainingSessions } from "./sessions";
import { FIRST_LESSON, lessonNotebookIn, lessonNotebooks } from "./lesson-notebooks";
import { isModelFileText } from "./shapes";
import type { TraceService } from "./trace-service";
import { uiText } from "./ui-text";
import { isWelcomeTab, walkthroughShown } from "./walkthrough-tabs";

/** `<publisher>.<name>#<walkthrough id>` */
export const WALKTHROUGH_ID = "unroll.unroll#gettingStarted";
const SHOWN_KEY = "unroll.walkthroughShown";

export function registerWalkthrough(
  extension: vscode.ExtensionContext,
  traces: TraceService,
  sessions: TrainingSessions,
  explorers: ExplorerPanels,
): vscode.Disposable[] {
  const lessons = new Lessons(extension);
  const command = (id: string, run: () => unknown) => vscode.commands.registerCommand(`unroll.${id}`, run);
  return [
    command("getStarted", () => vscode.commands.executeCommand("workbench.action.openWalkthrough", WALKTHROUGH_ID, false)),
    // 1: h_t of RNNCell(100, 200) on a batch of 5 is [5, 200]; 2: weight_hh_l0 of LSTM(50, 100) is [4 × 100, 100].
    command("tour.rnnCell", () => lessons.hover("01_rnncell_by_hand.ts", "cell.forward(", traces)),
    command("tour.lstmWeights", () => lessons.hover("03_lstm.ts", "new nn.LSTM(50, 100", traces)),
    // 3, 4: "hello" → "ohlol", then its hidden states over time.
    command("tour.trainHello", async () => void sessions.train(vscode.Uri.file(await lessons.open("05b_hello_rnn.ts")))),
    command("tour.helloDynamics", async () => explorers.show(await lessons.path("05b_hello_rnn.ts"), { preserveFocus: false }).showTab("dynamics")),
    // 5: the names classifier (train it twice, tick both runs in the Runs view); 6: its gradients through time.
    command("tour.trainNames", async () => void sessions.train(vscode.Uri.file(await lessons.open("06_names_classifier.ts")))),
    command("tour.vanishing", async () => {
      await lessons.open("09_vanishing_gradients.ts");
      explorers.show(await lessons.path("06_names_classifier.ts")).showTab("dynamics");
    }),
    // 8: lesson 1 as a notebook; any lesson as a notebook (also in the command palette).
    command("tour.notebook", () => openLessonNotebook(extension, FIRST_LESSON)),
    command("openLessonNotebook", () => pickLessonNotebook(extension)),
  ];
}

/** How often the walkthrough is opened again while VS Code's own startup editor (its Welcome page) takes its place. */
const MAX_OPEN_TRIES = 3;
/** How long after activation the walkthrough is kept in place: past it, VS Code's startup is long over. */
const WATCH_MS = 30_000;
/** Tabs are looked at once they have been still this long: opening an editor changes them more than once. */
const SETTLE_MS = 1_000;

/**
 * Opens the walkthrough the first time Unroll activates in a workspace with model files (unless the user asked for no
 * editor at startup), and records it as shown only once it was. VS Code opens its own startup editor (the Welcome page,
 * one editor for every walkthrough) around the time extensions activate; on a first day it opens it inside its first
 * featured walkthrough ("Setup VS Code Web" in code-server), where openWalkthrough does nothing ("currently in a
 * walkthrough"). So each open first goes back to the Welcome page's index when a Welcome editor is active, and while
 * VS Code starts the walkthrough is opened again when a Welcome editor appears that is not known to show it.
 */
export async function showWalkthroughOnce(extension: vscode.ExtensionContext, hasModelFiles = workspaceHasModelFiles): Promise<void> {
  if (extension.globalState.get(SHOWN_KEY) || vscode.workspace.getConfiguration("workbench").get("startupEditor") === "none") return;
  if (!(await hasModelFiles())) return;
  const titles = walkthroughTitles(extension);
  const tabs = () => vscode.window.tabGroups.all.flatMap((g) => g.tabs);
  const activeTab = () => vscode.window.tabGroups.activeTabGroup.activeTab;
  let tries = 0;
  let openedInWelcome = false;
  let done = false;
  const open = async () => {
    tries++;
    openedInWelcome = false;
    if (isWelcomeTab(activeTab())) await vscode.commands.executeCommand("welcome.goBack").then(undefined, () => undefined);
    await vscode.commands.executeCommand("workbench.action.openWalkthrough", WALKTHROUGH_ID, false);
    openedInWelcome = isWelcomeTab(activeTab());
  };
  const stop = () => {
    done = true;
    watcher.dispose();
    clearTimeout(settle);
  };
  const check = () => {
    if (done) return;
    if (walkthroughShown(tabs(), activeTab(), titles, openedInWelcome)) {
      void extension.globalState.update(SHOWN_KEY, true);
      stop();
    } else if (tries < MAX_OPEN_TRIES && tabs().some(isWelcomeTab)) void open(); // the Welcome editor shows another page
  };
  let settle: NodeJS.Timeout | undefined;
  const watcher = vscode.window.tabGroups.onDidChangeTabs(() => {
    clearTimeout(settle);
    settle = setTimeout(check, SETTLE_MS);
  });
  setTimeout(stop, WATCH_MS);
  await open();
  settle = setTimeout(check, SETTLE_MS); // the tabs may not change when the walkthrough replaces another page in place
}

/** What the walkthrough's tab may be named after, in English and in VS Code's language (package.nls*.json): VS Code
 *  titles an extension's walkthrough page with the extension's display name ("Walkthrough: Unroll"), some versions
 *  with the walkthrough's title. */
function walkthroughTitles(extension: vscode.ExtensionContext): string[] {
  const titles = (file: string) => {
    try {
      const nls = JSON.parse(fs.readFileSync(extension.asAbsolutePath(file), "utf8")) as Record<string, unknown>;
      return [nls.displayName, nls["walkthrough.title"]].filter((v): v is string => typeof v === "string" && v !== "");
    } catch {
      return [];
    }
  };
  return [...titles("package.nls.json"), ...titles(`package.nls.${vscode.env.language}.json`)];
}

/** Whether the workspace holds a model file (a .ts file that imports "unroll"), outside node_modules: the first 200
 *  TypeScript files are looked at, their first 64 kB each. */
async function workspaceHasModelFiles(): Promise<boolean> {
  const files = await vscode.workspace.findFiles("**/*.ts", "**/{node_modules,.unroll,out,dist}/**", 200);
  for (const uri of files) {
    try {
      const bytes = await vscode.workspace.fs.readFile(uri);
      if (isModelFileText(Buffer.from(bytes.subarray(0, 64 * 1024)).toString("utf8"))) return true;
    } catch {
      // unreadable: not a model file we can show
    }
  }
  return false;
}

/** Opens a lesson notebook from the workspace folder (copied there first when absent), or from the extension's
 *  storage when no folder is open: never from the extension's folder, which a saved notebook would write into. */
async function openLessonNotebook(extension: vscode.ExtensionContext, file: string): Promise<void> {
  const root = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? path.join(extension.globalStorageUri.fsPath, "lessons");
  const at = await lessonNotebookIn(root, file, extension.asAbsolutePath("examples"));
  await vscode.window.showNotebookDocument(await vscode.workspace.openNotebookDocument(vscode.Uri.file(at)));
}

async function pickLessonNotebook(extension: vscode.ExtensionContext): Promise<void> {
  const lessons = lessonNotebooks(extension.asAbsolutePath("examples"), vscode.env.language.startsWith("zh"));
  const pick = await vscode.window.showQuickPick(
    lessons.map(({ file, title }) => ({ label: uiText(title), description: uiText(file), file })),
    { title: vscode.l10n.t("Unroll: open a lesson as a notebook") },
  );
  if (pick) await openLessonNotebook(extension, pick.file);
}

class Lessons {
  constructor(private readonly extension: vscode.ExtensionContext) {}

  /** The lesson in the workspace (at its root or in examples/), copied to its root (with data/) when absent. */
  async path(file: string): Promise<string> {
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    const shipped = this.extension.asAbsolutePath(path.join("examples", file));
    if (!folder) return shipped;
    const found = [path.join(folder, file), path.join(folder, "examples", file)].find((f) => fs.existsSync(f));
    if (found) return found;
    const target = path.join(folder, file);
    await fs.promises.copyFile(shipped, target);
    const data = this.extension.asAbsolutePath(path.join("examples", "data"));
    if (!fs.existsSync(path.join(folder, "data"))) await fs.promises.cp(data, path.join(folder, "data"), { recursive: true });
    return target;
  }

  async open(file: string): Promise<string> {
    const at = await this.path(file);
    await vscode.window.showTextDocument(vscode.Uri.file(at), { viewColumn: vscode.ViewColumn.One });
    return at;
  }

  /** Opens the lesson at the first `text`, waits for its trace, and shows the hover there. */
  async hover(file: string, text: string, traces: TraceService): Promise<void> {
    const editor = await vscode.window.showTextDocument(vscode.Uri.file(await this.path(file)), { viewColumn: vscode.ViewColumn.One });
    const lines = editor.document.getText().split("\n");
    const line = Math.max(
      0,
      lines.findIndex((l) => l.includes(text)),
    );
    const at = new vscode.Position(line, Math.max(0, lines[line].indexOf(text)) + (text.startsWith("new ") ? 4 : 0));
    editor.selection = new vscode.Selection(at, at);
    editor.revealRange(new vscode.Range(at, at), vscode.TextEditorRevealType.InCenter);
    await traces.trace(editor.document);
    await vscode.commands.executeCommand("editor.action.showHover");
  }
}
