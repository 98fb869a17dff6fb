// A TypeScript server plugin (contributed through `typescriptServerPlugins`): where "unroll" cannot be
// resolved normally (a bare folder with no node_modules), it resolves to the declarations shipped with
// the extension, so that a model file type-checks with completions and hover docs; Node's types likewise.
// A notebook's TypeScript cells are one program (notebook.ts).
import * as path from "node:path";
import type * as ts from "typescript/lib/tsserverlibrary";
import * as fs from "node:fs";
import { addShippedNodeTypes, resolveUnrollToShipped } from "./resolve";
import { NotebookPrograms, type NotebookConfiguration, type ServerHooks } from "./notebook";

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
      const notebooks = new NotebookPrograms(info.languageServiceHost, info.languageService, typescript, serverHooks(typescript, info.project));
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

/** The cells as tsserver holds them (open files, each cell in a project of its own), and the virtual files' script
 *  infos. Outside tsserver (the unit tests' plain host) none: the host's own files are the cells. */
function serverHooks(typescript: typeof ts, project: ts.server.Project): ServerHooks {
  const service = project.projectService;
  if (!service.openFiles || !service.getScriptInfoForPath) return {};
  const open = () => [...service.openFiles.keys()].flatMap((p) => service.getScriptInfoForPath(p) ?? []);
  const info = (fileName: string) => open().find((i) => i.fileName === fileName);
  return {
    cells: {
      files: () => open().map((i) => i.fileName),
      snapshot: (fileName) => info(fileName)?.getSnapshot(),
      version: (fileName) => info(fileName)?.getLatestVersion() ?? "",
    },
    // Not on disk: its content is the host's (getScriptSnapshot), the script info only holds tsserver's cache; held
    // by the project, else tsserver drops it as an orphan.
    register: (fileName) =>
      service
        .getOrCreateScriptInfoForNormalizedPath(typescript.server.toNormalizedPath(fileName), false, undefined, typescript.ScriptKind.TS, false, {
          fileExists: () => true,
        })
        ?.attachToProject(project),
    refresh: () => {
      (project as unknown as { markAsDirty?(): void }).markAsDirty?.(); // not in the typings, in every tsserver since 2.x
      project.updateGraph();
    },
  };
}

// tsserver requires the plugin module itself to be the factory.
module.exports = init;
