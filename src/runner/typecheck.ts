// Type-checks model files with the TypeScript compiler API, against the library's shipped declarations
// (dist/types), "unroll" resolving as in the editor (src/ts-plugin/resolve.ts). Used by the CLI only: the
// editor has its own TypeScript server. esbuild bundles this file with TypeScript into dist/typecheck.js
// (typecheck-process.ts), which the CLI runs as a process with a memory and a time limit (typecheck-client.ts),
// so its other paths never pay TypeScript's load time and a type that exhausts the heap ends only that process.
//
// One long-lived LanguageService per Checker: the lib and library declarations are parsed once, and a
// re-check re-reads only the files whose modification time or size changed.
import * as fs from "node:fs";
import * as path from "node:path";
import ts from "typescript";
import { nodeTypeRoot, resolveUnrollToShipped } from "../ts-plugin/resolve";
import { textHash, type Source } from "./typecheck-cache";

export interface TypeDiagnostic {
  file: string; // absolute
  line: number; // 1-based
  column: number; // 1-based, in UTF-16 code units (as editors count)
  code: number; // 2322 for TS2322
  message: string; // the whole message chain, one line per link
}

/** The file's type errors, or why it could not be checked at all (a reason, without the file's name). */
export type CheckResult = { diagnostics: TypeDiagnostic[] } | { error: string };

/** A check's result with every file it read but TypeScript's own lib files, for the cache (typecheck-cache.ts). */
export type CheckedResult = { diagnostics: TypeDiagnostic[]; sources: Source[] } | { error: string };

/** Bundled, the declarations and TypeScript's lib files sit beside dist/typecheck.js (esbuild.mjs copies the libs). */
export const SHIPPED_DECLARATIONS = path.join(__dirname, "types", "index.d.ts");
const LIB_DIRECTORY = [path.join(__dirname, "typescript"), path.dirname(ts.getDefaultLibFilePath({}))].find((d) => fs.existsSync(path.join(d, "lib.d.ts")))!;

const TYPESCRIPT = /\.(ts|tsx|mts|cts)$/i;
const MAX_BYTES = 4 << 20; // a model file; anything bigger is not worth parsing

/** Model files: strict ES2022 modules, bundler resolution (as esbuild compiles them), DOM and ES2022 libs (console). */
const OPTIONS: ts.CompilerOptions = {
  strict: true,
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.ESNext,
  moduleResolution: ts.ModuleResolutionKind.Bundler,
  esModuleInterop: true,
  resolveJsonModule: true,
  allowImportingTsExtensions: true,
  skipLibCheck: true,
  noEmit: true,
};

/** Node's types as the file's folder sees them (a project's @types/node), else those shipped with Unroll. The
 *  type root is named: TypeScript would look from the working directory, not from the file. */
function nodeTypes(dir: string, declarations: string): Pick<ts.CompilerOptions, "types" | "typeRoots"> {
  return { types: ["node"], typeRoots: [nodeTypeRoot(dir, declarations, fs.existsSync)] };
}

/** Why `file` cannot be type-checked, or null when it can. */
function unreadable(file: string): string | null {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : `cannot read it (${(error as Error).message})`;
  }
  if (stat.isDirectory()) return "is a directory";
  if (!stat.isFile()) return "is not a regular file";
  if (!TYPESCRIPT.test(file)) return "is not a TypeScript file (.ts, .tsx, .mts, .cts)";
  if (stat.size > MAX_BYTES) return `is too large to type-check (${(stat.size / (1 << 20)).toFixed(1)} MB)`;
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (error) {
    return `cannot read it (${(error as Error).message})`;
  }
  return bytes.includes(0) ? "is not a text file (it contains NUL bytes)" : null;
}

/** `mtime:size`, so that a saved file is re-read and an unchanged one is not. */
function version(file: string): string {
  try {
    const stat = fs.statSync(file);
    return `${stat.mtimeMs}:${stat.size}`;
  } catch {
    return "missing";
  }
}

export class Checker {
  private readonly service: ts.LanguageService;
  private root = "";
  private options = OPTIONS;
  private typesKey = "";

  constructor(private readonly declarations = SHIPPED_DECLARATIONS) {
    const host: ts.LanguageServiceHost = {
      getCompilationSettings: () => this.options,
      getScriptFileNames: () => (this.root ? [this.root] : []),
      getScriptVersion: version,
      getScriptSnapshot: (file) => {
        const text = ts.sys.readFile(file); // undefined for a file that vanished or cannot be read: reported as unresolved
        return text === undefined ? undefined : ts.ScriptSnapshot.fromString(text);
      },
      getCurrentDirectory: () => process.cwd(),
      getDefaultLibFileName: (options) => path.join(LIB_DIRECTORY, ts.getDefaultLibFileName(options)),
      fileExists: ts.sys.fileExists,
      readFile: ts.sys.readFile,
      readDirectory: ts.sys.readDirectory,
      directoryExists: ts.sys.directoryExists,
      getDirectories: ts.sys.getDirectories,
      realpath: ts.sys.realpath,
      useCaseSensitiveFileNames: () => ts.sys.useCaseSensitiveFileNames,
    };
    resolveUnrollToShipped(ts, host, declarations);
    this.service = ts.createLanguageService(host, ts.createDocumentRegistry());
  }

  /** The type errors of `file` and of the user's files it imports (not of declarations). Never throws. */
  check(file: string): CheckedResult {
    const absolute = path.resolve(file);
    const why = unreadable(absolute);
    if (why) return { error: why };
    try {
      this.root = absolute;
      const types = nodeTypes(path.dirname(absolute), this.declarations);
      if (JSON.stringify(types) !== this.typesKey) [this.options, this.typesKey] = [{ ...OPTIONS, ...types }, JSON.stringify(types)]; // same options, same program
      const program = this.service.getProgram()!;
      const isRoot = (f: ts.SourceFile) => path.resolve(f.fileName) === absolute;
      const own = program
        .getSourceFiles()
        .filter((f) => isRoot(f) || (!f.isDeclarationFile && !program.isSourceFileFromExternalLibrary(f) && TYPESCRIPT.test(f.fileName)))
        .sort((a, b) => Number(isRoot(b)) - Number(isRoot(a))); // the file asked for first
      const diagnostics = [
        ...this.service.getCompilerOptionsDiagnostics(),
        ...own.flatMap((f) => [...this.service.getSyntacticDiagnostics(f.fileName), ...this.service.getSemanticDiagnostics(f.fileName)]),
      ];
      const sources = program
        .getSourceFiles()
        .filter((f) => !program.isSourceFileDefaultLibrary(f))
        .map((f): Source => [path.resolve(f.fileName), textHash(f.text)]);
      return { diagnostics: diagnostics.filter((d) => d.category === ts.DiagnosticCategory.Error).map((d) => located(d, absolute)), sources };
    } catch (error) {
      return { error: `TypeScript failed on it (${error instanceof Error ? error.message : String(error)})` };
    }
  }
}

/** A diagnostic as file:line:col; one that belongs to no file (options, libs) is placed at the top of `root`. */
function located(d: ts.Diagnostic, root: string): TypeDiagnostic {
  const message = ts.flattenDiagnosticMessageText(d.messageText, "\n");
  if (!d.file || d.start === undefined) return { file: root, line: 1, column: 1, code: d.code, message };
  const { line, character } = d.file.getLineAndCharacterOfPosition(d.start);
  return { file: path.resolve(d.file.fileName), line: line + 1, column: character + 1, code: d.code, message };
}
