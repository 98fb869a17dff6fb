// Where "unroll" resolves when ordinary resolution fails (a bare folder with no node_modules): the library's
// declarations shipped with the extension (dist/types). One rule for the editor's TS server plugin (index.ts)
// and the CLI's type checker (src/runner/typecheck.ts), so that both report the same errors.
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
