// A TypeScript server plugin (contributed through `typescriptServerPlugins`): where "unroll" cannot be
// resolved normally (a bare folder with no node_modules), it resolves to the declarations shipped with
// the extension, so that a model file type-checks with completions and hover docs; Node's types likewise.
// A notebook's TypeScript cells are one program (notebook.ts).
import * as path from "node:path";
import type * as ts from "typescript/lib/tsserverlibrary";
import * as fs from "node:fs";
import { addShippedNodeTypes, resolveUnrollToShipped } from "./resolve";
import { NotebookPrograms, type NotebookConfiguration } from "./notebook";

/** The plugin package sits in <extension>/node_modules/unroll-types; the declarations in <extension>/dist/types. */
const DECLARATIONS = path.join(__dirname, "..", "..", "dist", "types", "index.d.ts");

function init({ typescript }: { typescript: typeof ts }) {
  const projects = new Set<NotebookPrograms>();
  let configuration: NotebookConfiguration | undefined;
  return {
    create(info: ts.server.PluginCreateInfo): ts.LanguageService {
      resolveUnrollToShipped(typescript, info.languageServiceHost, DECLARATIONS);
      addShippedNodeTypes(info.languageServiceHost, DECLARATIONS, fs.existsSync);
      info.project.projectService.logger.info(`unroll-types: "unroll" falls back to ${DECLARATIONS}`);
      const service = info.project.projectService;
      // Not on disk: its content is the host's (getScriptSnapshot), the script info only holds tsserver's cache; held
      // by the project, else tsserver drops it as an orphan.
      const register = (fileName: string) =>
        service
          .getOrCreateScriptInfoForNormalizedPath?.(typescript.server.toNormalizedPath(fileName), false, undefined, typescript.ScriptKind.TS, false, {
            fileExists: () => true,
          })
          ?.attachToProject(info.project);
      const notebooks = new NotebookPrograms(info.languageServiceHost, info.languageService, typescript, register);
      notebooks.configure(configuration);
      projects.add(notebooks);
      return notebooks.languageService;
    },
    /** From the extension (`_typescript.configurePlugin`): the order of each notebook's cells. */
    onConfigurationChanged(config: NotebookConfiguration) {
      configuration = config;
      projects.forEach((p) => p.configure(config));
      // A new order is a new concatenation: tsserver asks for diagnostics again when the extension next edits.
    },
  };
}

// tsserver requires the plugin module itself to be the factory.
module.exports = init;
