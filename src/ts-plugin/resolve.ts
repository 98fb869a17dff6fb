// Where "unroll" resolves when ordinary resolution fails (a bare folder with no node_modules): the library's
// declarations shipped with the extension (dist/types). One rule for the editor's TS server plugin (index.ts)
// and the CLI's type checker (src/runner/typecheck.ts), so that both report the same errors. Node's types
// likewise: a project's own @types/node, else the copy shipped beside the declarations.
import * as path from "node:path";
import type * as ts from "typescript";

/** Makes `host` resolve "unroll" to `declarations` wherever it would otherwise not resolve at all. */
export function resolveUnrollToShipped(typescript: typeof ts, host: ts.LanguageServiceHost, declarations: string): void {
  const shipped: ts.ResolvedModuleFull = { resolvedFileName: declarations, extension: typescript.Extension.Dts, isExternalLibraryImport: true };
  const original = host.resolveModuleNameLiterals?.bind(host);
  host.resolveModuleNameLiterals = (literals, containingFile, redirected, options, sourceFile, reused) => {
    const resolved = original
      ? original(literals, containingFile, redirected, options, sourceFile, reused)
      : literals.map((l) => typescript.resolveModuleName(l.text, containingFile, options, host, undefined, redirected));
    return resolved.map((r, i) => (literals[i].text === "unroll" && !r.resolvedModule ? { resolvedModule: shipped } : r));
  };
}

/** The `@types` folder with Node's types that a file in `dir` sees (a project's node_modules, looked up from `dir`
 *  as Node resolves packages), else the one shipped beside `declarations` (dist/types/node_modules/@types). */
export function nodeTypeRoot(dir: string, declarations: string, exists: (file: string) => boolean): string {
  for (let d = dir; ; d = path.dirname(d)) {
    const typeRoot = path.join(d, "node_modules", "@types");
    if (exists(path.join(typeRoot, "node", "index.d.ts"))) return typeRoot;
    if (path.dirname(d) === d) return path.join(path.dirname(declarations), "node_modules", "@types");
  }
}

/** Makes the project of `host` include Node's types shipped beside `declarations` when its folder has none of its
 *  own: `import * as fs from "node:fs"` and `__dirname` then type-check in a bare folder as in a Node project. */
export function addShippedNodeTypes(host: ts.LanguageServiceHost, declarations: string, exists: (file: string) => boolean): void {
  const shipped = path.join(path.dirname(declarations), "node_modules", "@types");
  if (nodeTypeRoot(host.getCurrentDirectory(), declarations, exists) !== shipped) return;
  const original = host.getScriptFileNames.bind(host);
  const index = path.join(shipped, "node", "index.d.ts");
  host.getScriptFileNames = () => [...original(), index];
}
