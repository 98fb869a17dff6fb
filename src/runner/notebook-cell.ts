// One notebook cell as code the kernel can run with REPL rules. esbuild (compiler.ts) turns the cell's TypeScript
// into JavaScript; then its top-level declarations are rewritten onto the notebook's scope object, so that a later
// cell sees them and re-running a cell may declare its `const`s again:
//   const x = f(), { a } = o;   →   ;x = f(), ({ a } = o);       (names declared on the scope first)
//   import { torch } from "m";   →   ;({ torch: torch } = __unroll_import("m"));
//   function f() {} / class A {} →   kept, then __unroll_scope.f = f (functions at the cell's start: hoisted)
//   last expression statement    →   return (expression);          (the value Jupyter displays)
// The whole runs as `async function (__unroll_scope, …) { with (__unroll_scope) { … } }`, called by the script
// itself (its synchronous part runs inside the kernel's vm call, which SIGINT can interrupt): top-level `await`
// works, and every name a cell uses resolves to the scope when some cell declared it. Every edit keeps the lines
// where they are, so esbuild's source map still maps a line of the result to the cell's line.
import * as acorn from "acorn";
import { SourceMap } from "node:module";
import { build } from "./compiler";

/** The compiled cell: the function's source (a script expression) and how to map its positions to the cell's. */
export interface CompiledCell {
  /** A script that runs the cell and evaluates to the promise of its last expression's value. It takes its
   *  scope and import function from `globalThis[CELL_ARGUMENTS]` (a script has no parameters). */
  script: string;
  /** The cell's 1-based line and column for a 1-based line and column of `script`, or null (the wrapper's). */
  original(line: number, column: number): { line: number; column: number } | null;
}

export class CellSyntaxError extends Error {
  override name = "SyntaxError";
  constructor(
    message: string,
    readonly line: number,
    readonly column: number,
  ) {
    super(message);
  }
}

const SCOPE = "__unroll_scope";
const IMPORT = "__unroll_import";
/** Where a cell's script finds its arguments: [scope, import function]. */
export const CELL_ARGUMENTS = Symbol.for("unroll.notebook.cell");
const HEAD = `(async function (${SCOPE}, ${IMPORT}) { with (${SCOPE}) {\n`;
const TAIL = `\n} }).apply(undefined, globalThis[Symbol.for(${JSON.stringify(CELL_ARGUMENTS.description)})]);`;

/** Compiles a cell's TypeScript (throws CellSyntaxError at the cell's line on a syntax error). */
export async function compileCell(code: string, dir: string): Promise<CompiledCell> {
  let js: string;
  let map: SourceMap;
  try {
    const result = await build({
      stdin: { contents: code, loader: "ts", sourcefile: "cell.ts", resolveDir: dir },
      absWorkingDir: dir,
      entryPoints: [],
      outfile: "cell.js",
      write: false,
      bundle: false,
      platform: "node",
      format: "esm",
      target: "node20",
      sourcemap: "external",
      sourcesContent: false,
      logLevel: "silent",
      // An import a cell does not use itself is for later cells: TypeScript's elision would drop it.
      tsconfigRaw: { compilerOptions: { verbatimModuleSyntax: true } },
    });
    const files = result.outputFiles;
    js = files.find((f) => f.path.endsWith(".js"))!.text;
    map = new SourceMap(JSON.parse(files.find((f) => f.path.endsWith(".map"))!.text) as ConstructorParameters<typeof SourceMap>[0]);
  } catch (error) {
    const first = (error as { errors?: { text: string; location?: { line: number; column: number } | null }[] }).errors?.[0];
    if (!first) throw error;
    throw new CellSyntaxError(first.text, first.location?.line ?? 1, (first.location?.column ?? 0) + 1);
  }
  const body = rewrite(js);
  const bodyLines = lineStarts(body.code);
  const jsLines = lineStarts(js);
  return {
    script: HEAD + body.code + TAIL,
    original(line, column) {
      if (line < 2 || line > bodyLines.length + 1) return null; // the wrapper's lines
      const at = body.jsOffset(bodyLines[line - 2] + column - 1);
      let jsLine = jsLines.length - 1;
      while (jsLines[jsLine] > at) jsLine--;
      const entry = map.findEntry(jsLine, at - jsLines[jsLine]) as { originalLine?: number; originalColumn?: number };
      return entry.originalLine === undefined ? null : { line: entry.originalLine + 1, column: (entry.originalColumn ?? 0) + 1 };
    },
  };
}

type Node = acorn.AnyNode;
interface Edit {
  at: number;
  end: number;
  text: string;
}

/** The JavaScript of a cell with its top-level declarations moved onto the scope (lines kept), and a prologue on
 *  its first line that declares those names on the scope. */
export function rewriteTopLevel(js: string): string {
  return rewrite(js).code;
}

/** The rewrite, and where each offset of its code was in `js` (text it inserted: where the text after it was). */
export function rewrite(js: string): { code: string; jsOffset(offset: number): number } {
  const program = acorn.parse(js, { ecmaVersion: "latest", sourceType: "module", allowAwaitOutsideFunction: true });
  const edits: Edit[] = [];
  const names: string[] = [];
  const hoisted: string[] = [];
  const replace = (node: { start: number; end: number }, text: string) =>
    edits.push({ at: node.start, end: node.end, text: keepLines(js.slice(node.start, node.end), text) });
  const insert = (at: number, text: string) => edits.push({ at, end: at, text });

  const statements = program.body;
  statements.forEach((statement, index) => {
    let node: Node = statement;
    if (node.type === "ExportNamedDeclaration" || node.type === "ExportDefaultDeclaration") {
      if (!node.declaration) return replace(node, "");
      edits.push({ at: node.start, end: node.declaration.start, text: "" }); // `export` is meaningless in a cell
      node = node.declaration as Node;
    }
    if (node.type === "ImportDeclaration") {
      replace(node, ";" + importAssignments(node, names));
    } else if (node.type === "VariableDeclaration") {
      edits.push({ at: node.start, end: node.start + node.kind.length, text: ";" });
      for (const d of node.declarations) {
        names.push(...patternNames(d.id));
        if (!d.init) insert(d.id.end, " = void 0");
        else if (d.id.type === "ObjectPattern") {
          insert(d.start, "(");
          insert(d.end, ")");
        }
      }
    } else if ((node.type === "FunctionDeclaration" || node.type === "ClassDeclaration") && node.id) {
      names.push(node.id.name);
      if (node.type === "FunctionDeclaration") hoisted.push(node.id.name);
      else insert(node.end, `;${SCOPE}.${node.id.name} = ${node.id.name};`);
    } else if (node.type === "ExpressionStatement" && index === statements.length - 1 && statement === node) {
      // The statement's bounds, not the expression's: `({ a: 1 })` has its parentheses outside the expression.
      insert(node.start, "return (");
      insert(js[node.end - 1] === ";" ? node.end - 1 : node.end, ")");
    }
  });
  const declare = [...new Set(names)].map((n) => `if (!(${JSON.stringify(n)} in ${SCOPE})) ${SCOPE}.${n} = void 0;`);
  edits.push({ at: 0, end: 0, text: declare.join(" ") + hoisted.map((n) => ` ${SCOPE}.${n} = ${n};`).join("") });
  // Applied from the start (inserts at one offset in the order made): kept slices remember where they were.
  edits.sort((a, b) => a.at - b.at || a.end - b.end);
  const kept: { from: number; to: number; js: number }[] = [];
  let code = "";
  let done = 0;
  for (const edit of edits) {
    if (edit.at < done) continue; // inside an edit already made (none overlap; kept as a guard)
    kept.push({ from: code.length, to: code.length + edit.at - done, js: done });
    code += js.slice(done, edit.at) + edit.text;
    done = edit.end;
  }
  kept.push({ from: code.length, to: code.length + js.length - done, js: done });
  code += js.slice(done);
  const jsOffset = (offset: number) => {
    const slice = kept.find((k) => offset < k.to) ?? kept[kept.length - 1];
    return slice.js + Math.max(0, Math.min(offset, slice.to) - slice.from);
  };
  return { code, jsOffset };
}

/** The offset where each line of `text` starts. */
function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf("\n"); i >= 0; i = text.indexOf("\n", i + 1)) starts.push(i + 1);
  return starts;
}

/** `text` with newlines added so that it spans as many lines as `original`. */
function keepLines(original: string, text: string): string {
  const lines = (s: string) => s.split("\n").length - 1;
  return text + "\n".repeat(Math.max(0, lines(original) - lines(text)));
}

function importAssignments(node: acorn.ImportDeclaration, names: string[]): string {
  const from = `${IMPORT}(${JSON.stringify(node.source.value)})`;
  const named: string[] = [];
  const parts: string[] = [];
  for (const s of node.specifiers) {
    names.push(s.local.name);
    if (s.type === "ImportNamespaceSpecifier") parts.push(`${s.local.name} = ${from};`);
    else if (s.type === "ImportDefaultSpecifier") named.push(`default: ${s.local.name}`);
    else named.push(`${JSON.stringify(s.imported.type === "Identifier" ? s.imported.name : s.imported.value)}: ${s.local.name}`);
  }
  if (named.length) parts.push(`({ ${named.join(", ")} } = ${from});`);
  return parts.join(" ") || `${from};`;
}

/** The names a binding pattern declares. */
function patternNames(pattern: acorn.Pattern): string[] {
  switch (pattern.type) {
    case "Identifier":
      return [pattern.name];
    case "ObjectPattern":
      return pattern.properties.flatMap((p) => patternNames(p.type === "RestElement" ? p.argument : p.value));
    case "ArrayPattern":
      return pattern.elements.flatMap((e) => (e ? patternNames(e) : []));
    case "RestElement":
      return patternNames(pattern.argument);
    case "AssignmentPattern":
      return patternNames(pattern.left);
    default:
      return [];
  }
}
