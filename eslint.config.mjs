// `npm run lint`: ESLint with typescript-eslint, and the storeys' boundaries, one rule per folder (see
// docs/ARCHITECTURE.md). An arrow is "may import"; test/unit/boundaries.test.ts shows each rule refusing an import.
//
//   3  on top: the processes   cli, runner ──► nn, runs, common     extension ──► runs, common, VS Code
//                              webview ──► common
//   2  the library, the runs   nn ──► common, TensorFlow.js, native/          runs ──► common, Node
//   1  the ground floor        common ──► nothing
//
// common (the ground floor) imports nothing of the project: the host, the processes and the webviews all load it.
// runs (host-safe) never loads the library or TensorFlow.js: the extension host loads it. The library knows no tool.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

const LIBRARY = ["unroll", "@tensorflow/*", "**/nn", "**/nn/*"];
const TOOLS = ["**/runner/*", "**/cli/*", "**/extension/*", "**/webview/*", "**/ts-plugin/*", "vscode"];

/** A folder's rule: refuses imports matching `patterns` (gitignore-style globs, as written in the import) or `regex`. */
const folder = (files, patterns, message, regex) => ({
  files: [files],
  rules: { "no-restricted-imports": ["error", { patterns: [...(patterns.length ? [{ group: patterns, message }] : []), ...(regex ? [{ regex, message }] : [])] }] },
});

export default tseslint.config(
  { ignores: ["dist/", "out/", "node_modules/", "test/e2e/node_modules/", "test/e2e/out/", "**/*.js", "**/*.mjs", "!eslint.config.mjs"] },
  { linterOptions: { reportUnusedDisableDirectives: "error" } },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrors: "none" }],
    },
  },
  // The ground floor: plain types and pure functions, loaded everywhere (the browser too): nothing but each other.
  folder("src/common/**/*.ts", [], "src/common imports nothing but src/common: the host, the processes and the webviews all load it.", "^(?!\\./[^/]+$)"),
  folder("src/nn/**/*.ts", ["unroll", "**/runs/*", ...TOOLS], "The library knows no tool: it imports src/common, TensorFlow.js and its native kernels only."),
  folder("src/runs/**/*.ts", [...LIBRARY, ...TOOLS], "src/runs is loaded by the extension host: it imports src/common and Node only, never the library or TensorFlow.js."),
  folder("src/runner/**/*.ts", ["**/cli/*", "**/extension/*", "**/webview/*", "vscode"], "The runner's processes are started by the CLI and the extension, never the other way."),
  folder("src/cli/**/*.ts", ["**/extension/*", "**/webview/*", "vscode"], "The CLI runs without VS Code: it imports the runner, src/runs, src/common and the library."),
  folder("src/extension/**/*.ts", [...LIBRARY, "**/runner/*", "**/cli/*", "**/webview/*"], "The extension host never loads the library or TensorFlow.js: it starts processes through src/runs."),
  folder("src/ts-plugin/**/*.ts", [...LIBRARY, "**/common/*", "**/runs/*", ...TOOLS.filter((p) => p !== "**/ts-plugin/*")], "The TypeScript server plugin imports nothing of the project."),
  folder("webview/**/*.ts", [...LIBRARY, "vscode", "node:*"], "The webviews import src/common only: they talk to the host through its messages.", "(^|/)src/(?!common/)"),
);
