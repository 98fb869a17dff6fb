// `npm run lint`: ESLint with typescript-eslint, and the rooms' boundaries (see README, Development):
//
//   cli ──► runner ──► nn ──► TensorFlow.js
//             │
//             └──► protocol ◄── extension ◄── VS Code       webview ──► protocol
//
// The extension host reaches the runner only through its clients (they fork the processes that load the library),
// so that it never loads TensorFlow.js; the webview reaches nothing but the protocol; the library knows no tool.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

const LIBRARY = ["unroll", "@tensorflow/*"];
/** The library's modules as a path, but nn/dynamics-types.ts, nn/safetensors-dtypes.ts and nn/safetensors-header.ts:
 *  they import nothing but each other, and the tools may share them. (A regex: a glob cannot re-include a file once
 *  its folder is excluded.) */
const SHARED_LIBRARY_FILES = ["dynamics-types", "safetensors-dtypes", "safetensors-header"];
const LIBRARY_MODULES = `(^|/)nn(/(?!(${SHARED_LIBRARY_FILES.join("|")})$)[^/]+)?$`;
/** What the extension host may use of the runner: code that imports neither the library nor TensorFlow.js. */
const RUNNER_CLIENTS = ["train-client", "trace-client", "child-environment", "language", "l10n", "run-store", "failed-trace", "train-contract", "safetensors-file", "recurrent-weights", "value-summary", "checkpoint-diff"];

const RUNNER_FORBIDS = ["**/cli/*", "**/extension/*", "vscode", "**/webview/*"];

/** Refuses imports matching `patterns` (globs) and, with `library`, the library's modules. */
const forbid = (patterns, message, { library = false } = {}) => ({
  "no-restricted-imports": ["error", { patterns: [{ group: patterns, message }, ...(library ? [{ regex: LIBRARY_MODULES, message }] : [])] }],
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
  {
    files: ["src/extension/**/*.ts"],
    rules: forbid(
      [...LIBRARY, "**/cli/*", "**/runner/*", ...RUNNER_CLIENTS.map((name) => `!**/runner/${name}`)],
      "The extension host never loads the library or TensorFlow.js: reach the runner through its clients (train-client, trace-client, run-store).",
      { library: true },
    ),
  },
  {
    files: ["webview/**/*.ts"],
    rules: forbid([...LIBRARY, "vscode", "**/src/extension/*", "**/src/runner/*", "**/src/cli/*", "node:*"], "The webview talks to the host only through src/protocol.ts messages.", { library: true }),
  },
  {
    files: ["src/nn/**/*.ts"],
    rules: forbid(["unroll", "**/runner/*", "**/cli/*", "**/extension/*", "**/protocol", "vscode"], "The library knows no tool: the runner, the CLI and the extension use it, never the other way."),
  },
  {
    // What the tools share of the library loads nothing else: the host may import it without loading TensorFlow.js.
    files: SHARED_LIBRARY_FILES.map((name) => `src/nn/${name}.ts`),
    rules: {
      "no-restricted-imports": [
        "error",
        { patterns: [{ regex: `^(?!\\./(${SHARED_LIBRARY_FILES.join("|")})$)`, message: "A module the tools share imports nothing but the other shared ones." }] },
      ],
    },
  },
  {
    files: ["src/runner/**/*.ts"],
    rules: forbid(RUNNER_FORBIDS, "The runner is used by the CLI and the extension, never the other way."),
  },
  {
    // Later blocks win for the files they match: the clients keep the runner's rule and add the library's.
    files: RUNNER_CLIENTS.map((name) => `src/runner/${name}.ts`),
    rules: forbid([...RUNNER_FORBIDS, ...LIBRARY], "A runner client is loaded by the extension host: it must not load the library, TensorFlow.js or any tool.", {
      library: true,
    }),
  },
  {
    // Plain types shared by every side: it imports no code, and types only from the library's dynamics-types.ts.
    files: ["src/protocol.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            { regex: "^(?!\\./nn/dynamics-types$)", message: "protocol.ts imports nothing: it is plain types shared by every side." },
            { regex: "^\\./nn/dynamics-types$", allowTypeImports: true, message: "protocol.ts imports the library's record types as types only." },
          ],
        },
      ],
    },
  },
);
