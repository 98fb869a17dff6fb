// A notebook's TypeScript cells are one program in the editor (src/ts-plugin/notebook.ts): a name from an earlier cell
// is known, with its type, in later cells; a real type error lands on its cell and line. The cells are named as VS
// Code's TypeScript extension names them for tsserver. Needs `npm run build:types` (the shipped declarations).
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import Module from "node:module";
import { spawn } from "node:child_process";
import ts from "typescript";
import { tsDiagnostics } from "../../src/extension/shapes";
import { cellAt, concatenate, inConcatenation, parseCellFile, topLevelImports, virtualFileName } from "../../src/ts-plugin/notebook";

const root = path.join(__dirname, "../../..");

/** tsserver's name for cell `handle` of `notebook` (VS Code's CellUri fragment: a length letter, base 7, "s", the
 *  notebook's scheme in base64). */
const cellName = (notebook: string, handle: number) => `^/vscode-notebook-cell/ts-nul-authority${notebook}#W${handle.toString(7)}sZmlsZQ==`;

test("a cell's file name gives its notebook, its key and its handle; other files are not cells", () => {
  assert.deepEqual(parseCellFile("^/vscode-notebook-cell/ts-nul-authority/home/u/循环 网络(1) 🧪.ipynb#W10sZmlsZQ=="), {
    notebook: "/home/u/循环 网络(1) 🧪.ipynb",
    key: "/home/u/循环 网络(1) 🧪.ipynb#W10sZmlsZQ==",
    handle: 7,
  });
  assert.equal(parseCellFile("/home/u/model.ts"), null);
  assert.equal(parseCellFile("^/untitled/ts-nul-authority/Untitled-1"), null);
  assert.equal(parseCellFile("^/vscode-notebook-cell/ts-nul-authority/nb.ipynb#"), null, "no fragment: not a cell VS Code makes");
  assert.equal(parseCellFile("^/vscode-notebook-cell/ts-nul-authority/nb.ipynb#garbage")?.handle, Number.MAX_SAFE_INTEGER, "an odd fragment goes last");
  assert.equal(virtualFileName("/home/u/lesson 1.ipynb"), "/home/u/.lesson 1.ipynb.unroll-cells.ts");
});

test("positions map from a cell into the concatenation and back, at every cell's edges and in its imports", () => {
  const texts = ['import { nn } from "unroll";\nconst x = 1;', "", 'x\n+ 2;\nimport * as fs from "node:fs";\nimport y = require("y");'];
  const cells = texts.map((text, i) => ({ fileName: "abc"[i], text, imports: topLevelImports(ts, text) }));
  assert.deepEqual(
    cells.map((c) => c.imports.map((r) => c.text.slice(r.start, r.end))),
    [['import { nn } from "unroll";'], [], ['import * as fs from "node:fs";', 'import y = require("y");']],
  );
  const joined = concatenate(cells);
  for (const cell of cells) {
    for (let position = 0; position <= cell.text.length; position++) {
      const at = inConcatenation(joined, cell.fileName, position)!;
      const inImport = cell.imports.some((r) => position >= r.start && position < r.end);
      if (inImport) assert.equal(joined.text[at], cell.text[position], "an import's text is at the top");
      else if (position < cell.text.length) assert.equal(joined.text[at], cell.text[position]);
      assert.deepEqual(cellAt(joined, at), { fileName: cell.fileName, position }, `${cell.fileName}:${position}`);
    }
  }
  assert.equal(inConcatenation(joined, "d", 0), null);
  assert.equal(cellAt(joined, joined.text.length), null, "the tail that makes it a module is no cell's");
  assert.ok(joined.text.startsWith('import { nn } from "unroll";\nimport * as fs from "node:fs";\nimport y = require("y");\n{'), joined.text);
  assert.match(
    joined.text,
    /\n\}\}\}\n(declare function \w+\(.*\): \w+;\n){3}export \{\};\n$/,
    "each cell a block inside the one before, then the kernel's helpers",
  );
  assert.deepEqual(ts.transpileModule(joined.text, { reportDiagnostics: true }).diagnostics, [], "it parses");
});

/** A project as tsserver gives it to the plugin (an inferred project: the cells are its roots, TypeScript by their
 *  language, not their name): `files` by name, with versions the test bumps. */
function project(dir: string, files: Map<string, string>) {
  const versions = new Map<string, number>();
  const options: ts.CompilerOptions = {
    strict: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    types: [],
    allowNonTsExtensions: true, // as tsserver's inferred projects have it: a cell's name ends in its fragment
  };
  const host: ts.LanguageServiceHost = {
    getCompilationSettings: () => options,
    getScriptKind: (f) => (parseCellFile(f) || f.endsWith(".ts") ? ts.ScriptKind.TS : ts.ScriptKind.Unknown),
    getScriptFileNames: () => [...files.keys()],
    getScriptVersion: (f) => String(versions.get(f) ?? 0),
    getScriptSnapshot: (f) => {
      const text = files.get(f) ?? (fs.existsSync(f) ? fs.readFileSync(f, "utf8") : undefined);
      return text === undefined ? undefined : ts.ScriptSnapshot.fromString(text);
    },
    getCurrentDirectory: () => dir,
    getDefaultLibFileName: (o) => ts.getDefaultLibFilePath(o),
    fileExists: (f) => files.has(f) || ts.sys.fileExists(f),
    readFile: (f) => files.get(f) ?? ts.sys.readFile(f),
    readDirectory: ts.sys.readDirectory,
    directoryExists: ts.sys.directoryExists,
    getDirectories: ts.sys.getDirectories,
  };
  const edit = (file: string, text: string) => {
    files.set(file, text);
    versions.set(file, (versions.get(file) ?? 0) + 1);
  };
  return { host, edit };
}

/** The built plugin (node_modules/unroll-types), loaded under this checkout's path (see types-plugin.test.ts). */
function loadPlugin() {
  const pluginFile = path.join(root, "node_modules/unroll-types/index.js");
  const pluginModule = new Module(pluginFile) as Module & { _compile(code: string, file: string): void };
  pluginModule.filename = pluginFile;
  pluginModule._compile(fs.readFileSync(pluginFile, "utf8"), pluginFile);
  return pluginModule.exports as (m: { typescript: typeof ts }) => {
    create(info: unknown): ts.LanguageService;
    onConfigurationChanged(config: unknown): void;
  };
}

const messages = (diagnostics: readonly ts.Diagnostic[]) => diagnostics.map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n"));

test("a 3-cell notebook is one program: names of earlier cells resolve with their types, a type error lands on its cell's line", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "unroll-nb-"));
  const notebook = path.join(dir, "循环 网络(1) 🧪.ipynb");
  const [one, two, three] = [0, 1, 2].map((handle) => cellName(notebook, handle));
  const cells = new Map([
    [one, 'import { nn, torch } from "unroll";\nconst cell1 = new nn.RNNCell(100, 20);\nfunction twice(n: number) {\n  return 2 * n;\n}'],
    [two, "const x = torch.randn([3, 100]);\nconst h = cell1(x);\nh.shape"],
    [three, "// re-run cells may declare again\nconst x = 1;\nconst n: number = twice(x);\nconst wrong: string = twice(n);\ncell1."],
  ]);
  const { host, edit } = project(dir, cells);
  const base = ts.createLanguageService(host);
  assert.ok(
    messages(base.getSemanticDiagnostics(three)).some((m) => m.includes("Cannot find name 'twice'")),
    "without the plugin, cell 3 does not know cell 1's function",
  );

  const plugin = loadPlugin()({ typescript: ts });
  const service = plugin.create({
    languageServiceHost: host,
    languageService: ts.createLanguageService(host),
    project: { projectService: { logger: { info() {} } } },
  });
  assert.deepEqual(messages(service.getSemanticDiagnostics(one)), []);
  assert.deepEqual(messages(service.getSemanticDiagnostics(two)), []);
  const errors = service.getSemanticDiagnostics(three);
  assert.deepEqual(messages(errors), ["Type 'number' is not assignable to type 'string'."], "only the real error: x declared again is no error");
  const text = cells.get(three)!;
  assert.equal(errors[0].start, text.indexOf("wrong"), "at its place in cell 3");
  assert.equal(errors[0].file?.fileName, three);
  assert.equal(ts.getLineAndCharacterOfPosition(errors[0].file!, errors[0].start!).line, 3, "on cell 3's fourth line");

  const hover = service.getQuickInfoAtPosition(two, cells.get(two)!.indexOf("cell1"))!;
  assert.match(ts.displayPartsToString(hover.displayParts), /const cell1: nn\.RNNCell/);
  assert.deepEqual(hover.textSpan, { start: cells.get(two)!.indexOf("cell1"), length: "cell1".length }, "the hover's span is in cell 2");
  const shape = service.getQuickInfoAtPosition(two, cells.get(two)!.lastIndexOf("shape"))!;
  assert.match(ts.displayPartsToString(shape.displayParts), /shape/);

  const completions = service.getCompletionsAtPosition(three, text.length, {})?.entries.map((e) => e.name) ?? [];
  for (const name of ["forward", "weight_ih", "numParameters"]) assert.ok(completions.includes(name), `cell1. offers ${name}`);
  const names = service.getCompletionsAtPosition(three, text.indexOf("twice(x)"), {})?.entries.map((e) => e.name) ?? [];
  for (const name of ["cell1", "twice", "torch", "nn", "h"]) assert.ok(names.includes(name), `cell 3 offers ${name} from earlier cells`);

  const definition = service.getDefinitionAndBoundSpan(three, text.indexOf("twice(x)"))!;
  assert.deepEqual(
    definition.definitions?.map((d) => [d.fileName, d.textSpan.start]),
    [[one, cells.get(one)!.indexOf("twice")]],
    "go to definition lands in cell 1",
  );

  // An edit to cell 1 reaches cell 3: the concatenation follows the cells' versions.
  edit(one, cells.get(one)!.replace("return 2 * n;", 'return "twice " + n;'));
  assert.deepEqual(messages(service.getSemanticDiagnostics(three)).slice(0, 1), ["Type 'string' is not assignable to type 'number'."]);
  assert.equal(service.getSemanticDiagnostics(three)[0].start, text.indexOf("n: number"));
});

test("the extension's order of the cells wins over the order they were made in", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "unroll-nb-"));
  const notebook = path.join(dir, "moved.ipynb");
  const [first, second] = [0, 1].map((handle) => cellName(notebook, handle));
  // Cell made second, moved above: it declares what the first-made cell uses.
  const cells = new Map([
    [first, "const y: number = early + 1;"],
    // (with an import: a cell without one is a global script to tsserver, its names known everywhere anyway)
    [second, 'import { torch } from "unroll";\nconst early = torch.randn([2]).numel();'],
  ]);
  const { host } = project(dir, cells);
  const plugin = loadPlugin()({ typescript: ts });
  const service = plugin.create({
    languageServiceHost: host,
    languageService: ts.createLanguageService(host),
    project: { projectService: { logger: { info() {} } } },
  });
  assert.deepEqual(messages(service.getSemanticDiagnostics(first)), ["Cannot find name 'early'."], "in made order, early comes later");
  const key = (name: string) => parseCellFile(name)!.key;
  plugin.onConfigurationChanged({ notebooks: { [notebook]: [key(second), key(first)] } });
  assert.deepEqual(messages(service.getSemanticDiagnostics(first)), []);
  assert.deepEqual(messages(service.getSemanticDiagnostics(second)), []);
});

/** A tsserver as VS Code's TypeScript extension runs it: the plugin as a global plugin, cells opened as in-memory
 *  TypeScript files. `request` answers a command's body. */
function tsserver(probe: string) {
  const server = spawn(
    process.execPath,
    [
      require.resolve("typescript/lib/tsserver.js"),
      "--globalPlugins",
      "unroll-types",
      "--pluginProbeLocations",
      probe,
      "--disableAutomaticTypingAcquisition",
      "--useInferredProjectPerProjectRoot",
    ],
    {
      stdio: ["pipe", "pipe", "ignore"],
    },
  );
  let seq = 0;
  let buffer = "";
  const waiting = new Map<number, (body: unknown) => void>();
  const events: { event: string; body: unknown }[] = [];
  server.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    buffer += chunk;
    for (let end = buffer.indexOf("\n"); end >= 0; end = buffer.indexOf("\n")) {
      const line = buffer.slice(0, end).trim();
      buffer = buffer.slice(end + 1);
      if (!line.startsWith("{")) continue; // Content-Length headers
      const message = JSON.parse(line) as { type: string; request_seq: number; body?: unknown; success?: boolean; message?: string };
      if (message.type === "event") events.push(message as unknown as { event: string; body: unknown });
      if (message.type === "response") waiting.get(message.request_seq)?.(message.success === false ? { error: message.message } : message.body);
    }
  });
  const request = (command: string, args: unknown) =>
    new Promise<unknown>((resolve) => {
      waiting.set(++seq, resolve);
      server.stdin.write(JSON.stringify({ seq, type: "request", command, arguments: args }) + "\n");
    });
  /** The first event named `event` whose body satisfies `match` (tsserver's answers to geterr, as VS Code gets them). */
  const event = async (name: string, match: (body: unknown) => boolean) => {
    for (;;) {
      const found = events.find((e) => e.event === name && match(e.body));
      if (found) return found.body;
      await new Promise((resolve) => server.stdout.once("data", resolve));
    }
  };
  return { request, event, close: () => server.kill() };
}

test("the kernel's helpers (report, display, heatmap) are known in every cell, and a cell may declare its own", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "unroll-nb-"));
  const notebook = path.join(dir, "helpers.ipynb");
  const [one, two] = [0, 1].map((handle) => cellName(notebook, handle));
  const cells = new Map([
    [
      one,
      'import { nn, torch } from "unroll";\nconst lstm = new nn.LSTM(4, 8);\nconst loss = torch.tensor(0.5);\nreport({ loss, acc: 0.9 }, 1);\ndisplay(heatmap(lstm, "weight_hh_l0"));',
    ],
    [two, 'const display = (s: string) => s.length;\nconst n: number = display("x");\nreport({ loss: "high" });'],
  ]);
  const { host } = project(dir, cells);
  const plugin = loadPlugin()({ typescript: ts });
  const service = plugin.create({
    languageServiceHost: host,
    languageService: ts.createLanguageService(host),
    project: { projectService: { logger: { info() {} } } },
  });
  assert.deepEqual(messages(service.getSemanticDiagnostics(one)), []);
  // The cell's own display shadows the helper; a report of a string is a type error, on its line.
  const errors = service.getSemanticDiagnostics(two);
  assert.equal(errors.length, 1, messages(errors).join("; "));
  assert.match(messages(errors)[0], /not assignable/);
  assert.equal(errors[0].start, cells.get(two)!.indexOf('loss: "high"'));
});

test("inside tsserver, as VS Code opens a notebook's cells: one program, errors on their cell's line, hovers across cells", async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "unroll-nb-server-"));
  const notebook = path.join(dir, "循环 网络(1) 🧪.ipynb");
  const server = tsserver(root);
  t.after(() => server.close());
  // The options VS Code's TypeScript extension gives inferred projects.
  await server.request("compilerOptionsForInferredProjects", {
    options: {
      module: "ESNext",
      moduleResolution: "Node",
      target: "ES2020",
      jsx: "react",
      strict: true,
      allowJs: true,
      allowSyntheticDefaultImports: true,
      allowNonTsExtensions: true,
      resolveJsonModule: true,
    },
  });
  const cells = [
    'import { nn, torch } from "unroll";\nconst cell1 = new nn.RNNCell(100, 20);',
    "const h = cell1(torch.randn([3, 100]));",
    "const x = 1;\nconst n: string = h.numel();",
  ];
  const names = cells.map((_, i) => cellName(notebook, i));
  // No project root, as VS Code opens a cell (its scheme is no workspace folder's): tsserver gives each cell an
  // inferred project of its own.
  for (const [i, text] of cells.entries()) await server.request("open", { file: names[i], fileContent: text, scriptKindName: "TS" });
  type Diagnostic = { text: string; start: { line: number; offset: number } };
  const diagnostics = async (i: number) => (await server.request("semanticDiagnosticsSync", { file: names[i] })) as Diagnostic[];
  assert.deepEqual(await diagnostics(0), []);
  assert.deepEqual(await diagnostics(1), [], "cell1 and torch are known in cell 2");
  const third = await diagnostics(2);
  assert.deepEqual(
    third.map((d) => [d.text, d.start.line]),
    [["Type 'number' is not assignable to type 'string'.", 2]],
  );
  // As VS Code asks: geterr, answered by events (tsserver drops a semantic diagnostic that has no file).
  void server.request("geterr", { files: [names[2]], delay: 0 });
  const reported = (await server.event("semanticDiag", (b) => (b as { file: string }).file === names[2])) as { diagnostics: Diagnostic[] };
  assert.deepEqual(
    reported.diagnostics.map((d) => [d.text, d.start.line]),
    [["Type 'number' is not assignable to type 'string'.", 2]],
  );
  const hover = (await server.request("quickinfo", { file: names[1], line: 1, offset: cells[1].indexOf("cell1") + 1 })) as { displayString: string };
  assert.match(hover.displayString, /const cell1: nn\.RNNCell/);
  // Typing in cell 2 (before its semicolon) reaches cell 3: h is a number now.
  await server.request("change", {
    file: names[1],
    line: 1,
    offset: cells[1].length,
    endLine: 1,
    endOffset: cells[1].length,
    insertString: ".numel()",
  });
  assert.deepEqual(
    (await diagnostics(2)).map((d) => [d.text, d.start.line]),
    [["Property 'numel' does not exist on type 'number'.", 2]],
  );
});

test("tsserver's diagnostics of a cell become plain data the extension shows; malformed ones are left out", () => {
  const good = {
    start: { line: 2, offset: 7 },
    end: { line: 2, offset: 12 },
    text: "Type 'number' is not assignable to type 'string'.",
    code: 2322,
    category: "error",
  };
  assert.deepEqual(tsDiagnostics([good]), [{ start: { line: 2, column: 7 }, end: { line: 2, column: 12 }, message: good.text, code: 2322, category: "error" }]);
  for (const body of [undefined, null, "x", 42, {}, { length: 1, 0: good }]) assert.deepEqual(tsDiagnostics(body), [], JSON.stringify(body));
  const hostile = [
    null,
    7,
    { ...good, start: { line: 0, offset: 1 } },
    { ...good, end: { line: 2.5, offset: 1 } },
    { ...good, start: "2:7" },
    { ...good, text: { toString: () => "x" } },
    { ...good, text: "[link](command:workbench.action.quit)", category: "<b>", code: "2322" },
  ];
  assert.deepEqual(
    tsDiagnostics(hostile),
    [{ start: { line: 2, column: 7 }, end: { line: 2, column: 12 }, message: "[link](command:workbench.action.quit)", code: 0, category: "error" }],
    "a diagnostic's text stays text (VS Code shows a diagnostic's message as plain text)",
  );
});
