// A model file in a bare folder (no node_modules, no tsconfig) type-checks through the extension's
// TypeScript server plugin and shipped declarations, with completions from the library.
// Needs `npm run build:types` (part of `npm test` and of the package build).
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import Module from "node:module";
import ts from "typescript";

const root = path.join(__dirname, "../../..");

test("a bare folder's model file has no type errors, and completion offers LSTM after nn.", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "unroll-bare-"));
  const file = path.join(dir, "model.ts");
  const text = [
    'import { nn, torch } from "unroll";',
    "const rnn = new nn.LSTM(10, 20, { numLayers: 2 });",
    "const [out, [h, c]] = rnn.forward(torch.randn([5, 3, 10]));",
    "const y = out.add(h.sum()).mean(); // chained Tensor methods are typed too",
    "const count: number = rnn.numParameters() + c.numel() + y.numel();",
    'import * as fs from "node:fs";',
    "const bytes: number = fs.statSync(__dirname).size; // Node's types ship with the extension too",
    "const completeMe = nn.",
  ].join("\n");
  fs.writeFileSync(file, text);
  const options: ts.CompilerOptions = {
    strict: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    types: [],
  };
  const host: ts.LanguageServiceHost = {
    getCompilationSettings: () => options,
    getScriptFileNames: () => [file],
    getScriptVersion: () => "1",
    getScriptSnapshot: (f) => (fs.existsSync(f) ? ts.ScriptSnapshot.fromString(fs.readFileSync(f, "utf8")) : undefined),
    getCurrentDirectory: () => dir,
    getDefaultLibFileName: (o) => ts.getDefaultLibFilePath(o),
    fileExists: ts.sys.fileExists,
    readFile: ts.sys.readFile,
    readDirectory: ts.sys.readDirectory,
    directoryExists: ts.sys.directoryExists,
    getDirectories: ts.sys.getDirectories,
  };
  const plain = ts.createLanguageService(host);
  const unresolved = plain.getSemanticDiagnostics(file).map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n"));
  assert.ok(
    unresolved.some((m) => m.includes("Cannot find module 'unroll'")),
    "without the plugin, 'unroll' does not resolve in a bare folder",
  );
  assert.ok(
    unresolved.some((m) => m.includes("Cannot find module 'node:fs'")),
    "nor does node:fs",
  );

  // Loaded under this checkout's path, not its real path: the plugin finds the declarations at ../../dist/types
  // from its own folder, and node_modules may be a link into another checkout (whose dist/types is not this
  // one's, and may be mid-rebuild). Beside this checkout's dist/, as in the packaged extension.
  const pluginFile = path.join(root, "node_modules/unroll-types/index.js");
  const pluginModule = new Module(pluginFile) as Module & { _compile(code: string, file: string): void };
  pluginModule.filename = pluginFile;
  pluginModule._compile(fs.readFileSync(pluginFile, "utf8"), pluginFile);
  const plugin = pluginModule.exports as (m: { typescript: typeof ts }) => { create(info: unknown): ts.LanguageService };
  const info = { languageServiceHost: host, languageService: ts.createLanguageService(host), project: { projectService: { logger: { info() {} } } } };
  const service = plugin({ typescript: ts }).create(info);
  const errors = service.getSemanticDiagnostics(file).filter((d) => d.start! < text.lastIndexOf("nn."));
  assert.deepEqual(
    errors.map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n")),
    [],
  );
  const completions = service.getCompletionsAtPosition(file, text.length, {})?.entries.map((e) => e.name) ?? [];
  for (const name of ["LSTM", "GRU", "RNN", "LSTMCell", "Linear", "CrossEntropyLoss"]) assert.ok(completions.includes(name), `completion offers ${name}`);
  const quickInfo = service.getQuickInfoAtPosition(file, text.indexOf("numParameters"));
  assert.match(ts.displayPartsToString(quickInfo?.documentation), /trainable numbers/, "hover docs come from the library's comments");
});
