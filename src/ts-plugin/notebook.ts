// One program made of a notebook's TypeScript cells. VS Code gives tsserver each cell as its own in-memory file
// (`^/vscode-notebook-cell/<authority>/<notebook path>#<cell fragment>`), so a name from cell 1 would be "Cannot
// find name" in cell 3. Here the project also holds, per notebook, a virtual file beside the notebook that
// concatenates its cells in order (see concatenate: scopes as the kernel's REPL rules give them); a cell's
// diagnostics, hovers, completions, signature help and definitions are answered from that file, with positions
// mapped both ways.
import * as path from "node:path";
import type * as ts from "typescript/lib/tsserverlibrary";

/** The concatenation is a module: its names never clash with the global scripts the cells are on their own. */
/** The module's end: the helpers the kernel gives every cell (src/runner/notebook-display.ts), declared so that
 *  `report({ loss })` is no "Cannot find name"; a cell may declare its own, which shadows them. */
const TAIL = `
declare function report(values: Record<string, number | { item(): number | boolean }>, step?: number): void;
declare function display(value: unknown): void;
declare function heatmap(source: object, nameOrOptions?: string | { gates?: "RNN" | "LSTM" | "GRU"; title?: string }): object;
export {};
`;
/** Errors the kernel's REPL rules make wrong: a cell declaring (or importing) a name another cell declared. */
const REDECLARATIONS = new Set([
  2300, // Duplicate identifier 'x'.
  2451, // Cannot redeclare block-scoped variable 'x'.
  2393, // Duplicate function implementation.
  2440, // Import declaration conflicts with local declaration of 'x'.
]);

/** A cell's file name taken apart: `notebook` names the notebook (`/dir/lesson.ipynb`), `key` the cell
 *  (`/dir/lesson.ipynb#W0sZmlsZQ==`, as the extension names it: its URI's path and fragment), `handle` the order
 *  VS Code made cells in (the fragment's number, base 7). Null for any other file. */
export function parseCellFile(fileName: string): { notebook: string; key: string; handle: number } | null {
  const match = /^\^?\/vscode-notebook-cell\/[^/]*(\/[^#]*)#(.+)$/.exec(fileName);
  if (!match) return null;
  const [, notebook, fragment] = match;
  const digits = /^[W-Za-z]([0-6]+)s/.exec(fragment);
  return { notebook, key: `${notebook}#${fragment}`, handle: digits ? parseInt(digits[1], 7) : Number.MAX_SAFE_INTEGER };
}

/** Where the concatenation of `notebook`'s cells lives: beside it, so that its imports resolve from its folder. */
export function virtualFileName(notebook: string): string {
  return path.posix.join(path.posix.dirname(notebook), `.${path.posix.basename(notebook)}.unroll-cells.ts`);
}

/** A stretch of a cell in the concatenation: `length` characters from `cellStart` in the cell are at `start`. */
interface Segment {
  fileName: string;
  cellStart: number;
  start: number;
  length: number;
}

/** The cells joined into one text, and where each stretch of a cell sits in it. */
export interface Concatenation {
  text: string;
  segments: Segment[];
}

/** A top-level import of a cell, by offsets. */
export type Range = { start: number; end: number };

/**
 * The cells as one module with the scopes the kernel gives them: each cell is a block nested in the one before
 * (`{ cell 1 { cell 2 { cell 3 } } }`), so a later cell sees every earlier name and a name it declares again
 * shadows the earlier one from there on, with its own type. Imports cannot sit in a block: they go to the top, in
 * cell order, and are blanked (spaces, lines kept) where they were.
 */
export function concatenate(cells: { fileName: string; text: string; imports: Range[] }[]): Concatenation {
  let text = "";
  const segments: Segment[] = [];
  const add = (fileName: string, cellStart: number, piece: string) => {
    segments.push({ fileName, cellStart, start: text.length, length: piece.length });
    text += piece;
  };
  for (const cell of cells)
    for (const r of cell.imports) {
      add(cell.fileName, r.start, cell.text.slice(r.start, r.end));
      text += "\n";
    }
  for (const cell of cells) {
    text += "{\n";
    let body = cell.text;
    for (const r of cell.imports) body = body.slice(0, r.start) + body.slice(r.start, r.end).replace(/[^\n]/g, " ") + body.slice(r.end);
    add(cell.fileName, 0, body);
    text += "\n";
  }
  return { text: text + "}".repeat(cells.length) + TAIL, segments };
}

/** The cell that holds position `at` of the concatenation, and `at` in that cell. */
export function cellAt(concatenation: Concatenation, at: number): { fileName: string; position: number } | null {
  const segment = concatenation.segments.find((s) => at >= s.start && at <= s.start + s.length);
  return segment ? { fileName: segment.fileName, position: segment.cellStart + at - segment.start } : null;
}

/** Where `position` of cell `fileName` is in the concatenation (in an import: the import at the top). */
export function inConcatenation(concatenation: Concatenation, fileName: string, position: number): number | null {
  const holding = concatenation.segments.filter((s) => s.fileName === fileName && position >= s.cellStart && position <= s.cellStart + s.length);
  if (!holding.length) return null;
  const segment = holding.reduce((a, b) => (b.length < a.length ? b : a));
  return segment.start + position - segment.cellStart;
}

/** The offsets of `text`'s top-level imports (`import … from`, `import x = require(…)`). */
export function topLevelImports(typescript: typeof ts, text: string): Range[] {
  const source = typescript.createSourceFile("cell.ts", text, typescript.ScriptTarget.Latest, false, typescript.ScriptKind.TS);
  return source.statements
    .filter((s) => typescript.isImportDeclaration(s) || typescript.isImportEqualsDeclaration(s))
    .map((s) => ({ start: s.getStart(source), end: s.end }));
}

/** The configuration the extension sends (`_typescript.configurePlugin`): each notebook's cells in their order,
 *  by key (see parseCellFile). Without it, cells go in the order VS Code made them. */
export interface NotebookConfiguration {
  notebooks?: Record<string, string[]>;
}

/** Where the cells are read from. tsserver puts each cell of a notebook in an inferred project of its own (they have
 *  no project root), so a project's cells are read from all the files open in tsserver, not from the project. */
export interface CellSource {
  /** Every open file's name (cells among them). */
  files(): readonly string[];
  snapshot(fileName: string): ts.IScriptSnapshot | undefined;
  version(fileName: string): string;
}

/** What tsserver needs beyond the host. `register`: tsserver keeps each file's parse on its script info, so a virtual
 *  file needs one (none exists on disk), made before the file is first used. `refresh`: a cell of another project
 *  changed the concatenation: the project must build its program again. */
export interface ServerHooks {
  cells?: CellSource;
  register?(fileName: string): void;
  refresh?(): void;
}

/** Adds the notebooks' virtual files to `host` (the project); `languageService` answers cells from them. `service`
 *  is the project's own language service (over `host`). */
export class NotebookPrograms {
  private order: Record<string, string[]> = {};
  private readonly cache = new Map<string, { version: string; concatenation: Concatenation }>();
  private readonly cells: CellSource;
  /** The version of each virtual file the project's program was last built with. */
  private readonly built = new Map<string, string>();
  private readonly original: Pick<ts.LanguageServiceHost, "getScriptFileNames" | "getScriptSnapshot" | "getScriptVersion">;
  readonly languageService: ts.LanguageService;

  constructor(
    host: ts.LanguageServiceHost,
    private readonly service: ts.LanguageService,
    private readonly typescript: typeof ts,
    private readonly hooks: ServerHooks = {},
  ) {
    this.original = {
      getScriptFileNames: host.getScriptFileNames.bind(host),
      getScriptSnapshot: host.getScriptSnapshot.bind(host),
      getScriptVersion: host.getScriptVersion.bind(host),
    };
    this.cells = hooks.cells ?? {
      files: this.original.getScriptFileNames,
      snapshot: this.original.getScriptSnapshot,
      version: this.original.getScriptVersion,
    };
    host.getScriptFileNames = () => {
      const names = this.original.getScriptFileNames();
      const virtual = this.notebooks(names).map(virtualFileName);
      virtual.forEach((v) => hooks.register?.(v));
      return [...names, ...virtual];
    };
    host.getScriptSnapshot = (fileName) => {
      const virtual = this.virtual(fileName);
      return virtual ? typescript.ScriptSnapshot.fromString(virtual.text) : this.original.getScriptSnapshot(fileName);
    };
    host.getScriptVersion = (fileName) => (this.isVirtual(fileName) ? this.versionOf(fileName) : this.original.getScriptVersion(fileName));
    this.languageService = this.proxy();
  }

  configure(configuration: NotebookConfiguration | undefined): void {
    this.order = configuration?.notebooks ?? {};
  }

  /** The notebooks some of `fileNames` are cells of. */
  private notebooks(fileNames: readonly string[]): string[] {
    const notebooks = new Set<string>();
    for (const name of fileNames) {
      const cell = parseCellFile(name);
      if (cell) notebooks.add(cell.notebook);
    }
    return [...notebooks];
  }

  private notebookOfVirtual(fileName: string): string | undefined {
    return this.notebooks(this.original.getScriptFileNames()).find((n) => virtualFileName(n) === fileName);
  }

  private isVirtual(fileName: string): boolean {
    return fileName.endsWith(".unroll-cells.ts") && this.notebookOfVirtual(fileName) !== undefined;
  }

  /** The open cells of `notebook`, in the notebook's order. */
  private cellsOf(notebook: string): string[] {
    const cells = this.cells
      .files()
      .map((fileName) => ({ fileName, cell: parseCellFile(fileName) }))
      .filter((c) => c.cell?.notebook === notebook);
    const order = this.order[notebook] ?? [];
    const rank = (key: string, handle: number) => (order.includes(key) ? order.indexOf(key) : order.length + handle);
    return cells.sort((a, b) => rank(a.cell!.key, a.cell!.handle) - rank(b.cell!.key, b.cell!.handle)).map((c) => c.fileName);
  }

  private versionOf(virtual: string): string {
    const notebook = this.notebookOfVirtual(virtual)!;
    return this.cellsOf(notebook)
      .map((cell) => `${cell}@${this.cells.version(cell)}`)
      .join("|");
  }

  /** The concatenation for a virtual file name, or undefined for any other file. */
  private virtual(fileName: string): Concatenation | undefined {
    if (!this.isVirtual(fileName)) return undefined;
    const version = this.versionOf(fileName);
    const cached = this.cache.get(fileName);
    if (cached?.version === version) return cached.concatenation;
    const notebook = this.notebookOfVirtual(fileName)!;
    const cells = this.cellsOf(notebook).map((cell) => {
      const snapshot = this.cells.snapshot(cell);
      const text = snapshot ? snapshot.getText(0, snapshot.getLength()) : "";
      return { fileName: cell, text, imports: topLevelImports(this.typescript, text) };
    });
    const concatenation = concatenate(cells);
    this.cache.set(fileName, { version, concatenation });
    return concatenation;
  }

  /** For a cell: its notebook's virtual file and concatenation. */
  private forCell(fileName: string): { virtual: string; concatenation: Concatenation } | null {
    const cell = parseCellFile(fileName);
    if (!cell) return null;
    const virtual = virtualFileName(cell.notebook);
    const version = this.isVirtual(virtual) ? this.versionOf(virtual) : undefined;
    if (version === undefined) return null;
    if (this.built.has(virtual) && this.built.get(virtual) !== version) this.hooks.refresh?.();
    this.built.set(virtual, version);
    const concatenation = this.virtual(virtual);
    return concatenation ? { virtual, concatenation } : null;
  }

  /** The language service with cells answered from their notebook's concatenation. */
  private proxy(): ts.LanguageService {
    const service = this.service;
    const proxy = Object.create(null) as ts.LanguageService;
    for (const key of Object.keys(service) as (keyof ts.LanguageService)[]) {
      const member = service[key];
      (proxy as unknown as Record<string, unknown>)[key] = typeof member === "function" ? (member as (...a: unknown[]) => unknown).bind(service) : member;
    }
    const diagnostics =
      (ask: (fileName: string) => ts.Diagnostic[]) =>
      (fileName: string): ts.Diagnostic[] => {
        const at = this.forCell(fileName);
        return at ? this.cellDiagnostics(ask(at.virtual) as ts.Diagnostic[], at.concatenation, fileName) : ask(fileName);
      };
    proxy.getSemanticDiagnostics = diagnostics((f) => service.getSemanticDiagnostics(f));
    // Suggestions carry their file: the cell's (cellDiagnostics sets it).
    proxy.getSuggestionDiagnostics = diagnostics((f) => service.getSuggestionDiagnostics(f)) as ts.LanguageService["getSuggestionDiagnostics"];
    proxy.getQuickInfoAtPosition = (fileName, position, ...rest) =>
      this.answer(
        fileName,
        position,
        (f, p) => service.getQuickInfoAtPosition(f, p, ...rest),
        (info, map) => {
          const textSpan = map(info.textSpan);
          return textSpan && { ...info, textSpan };
        },
      );
    proxy.getCompletionsAtPosition = (fileName, position, ...rest) =>
      this.answer(
        fileName,
        position,
        (f, p) => service.getCompletionsAtPosition(f, p, ...rest),
        (info, map) => ({
          ...info,
          optionalReplacementSpan: info.optionalReplacementSpan && map(info.optionalReplacementSpan),
          entries: info.entries.map((e) => ({ ...e, replacementSpan: e.replacementSpan && map(e.replacementSpan) })),
        }),
      );
    proxy.getCompletionEntryDetails = (fileName, position, name, format, source, preferences, data) =>
      this.answer(
        fileName,
        position,
        (f, p) => service.getCompletionEntryDetails(f, p, name, format, source, preferences, data),
        (details) => ({
          ...details,
          codeActions: details.codeActions?.map((a) => ({ ...a, changes: this.cellChanges(a.changes) })),
        }),
      );
    proxy.getSignatureHelpItems = (fileName, position, options) =>
      this.answer(
        fileName,
        position,
        (f, p) => service.getSignatureHelpItems(f, p, options),
        (items, map) => {
          const applicableSpan = map(items.applicableSpan);
          return applicableSpan && { ...items, applicableSpan };
        },
      );
    proxy.getDefinitionAndBoundSpan = (fileName, position) =>
      this.answer(
        fileName,
        position,
        (f, p) => service.getDefinitionAndBoundSpan(f, p),
        (found, map) => {
          const textSpan = map(found.textSpan);
          return textSpan && { textSpan, definitions: found.definitions?.flatMap((d) => this.cellDefinition(d)) };
        },
      );
    proxy.getDefinitionAtPosition = (fileName, position) =>
      this.answer(
        fileName,
        position,
        (f, p) => service.getDefinitionAtPosition(f, p),
        (found) => found.flatMap((d) => this.cellDefinition(d)),
      );
    return proxy;
  }

  /** `ask` at the cell's position in its concatenation, its answer's spans mapped back into the cell by `mapBack`
   *  (a span that leaves the cell maps to undefined); any other file is asked directly. */
  private answer<T>(
    fileName: string,
    position: number,
    ask: (fileName: string, position: number) => T | undefined,
    mapBack: (answer: T, map: (span: ts.TextSpan) => ts.TextSpan | undefined) => T | undefined,
  ): T | undefined {
    const at = this.forCell(fileName);
    const inVirtual = at && inConcatenation(at.concatenation, fileName, position);
    if (!at || inVirtual === null) return ask(fileName, position);
    const answer = ask(at.virtual, inVirtual);
    if (answer === undefined) return undefined;
    const map = (span: ts.TextSpan) => {
      const cell = cellAt(at.concatenation, span.start);
      return cell?.fileName === fileName ? { start: cell.position, length: span.length } : undefined;
    };
    return mapBack(answer, map);
  }

  /** The concatenation's diagnostics that fall in cell `fileName`, at their place in the cell. */
  private cellDiagnostics(all: readonly ts.Diagnostic[], concatenation: Concatenation, fileName: string): ts.Diagnostic[] {
    const file = this.service.getProgram()?.getSourceFile(fileName);
    const located = (d: ts.DiagnosticRelatedInformation): ts.DiagnosticRelatedInformation | null => {
      if (d.start === undefined) return null;
      const cell = cellAt(concatenation, d.start);
      if (!cell) return null;
      return { ...d, start: cell.position, file: this.service.getProgram()?.getSourceFile(cell.fileName) };
    };
    const mapped: ts.Diagnostic[] = [];
    for (const d of all) {
      if (REDECLARATIONS.has(d.code) || d.start === undefined) continue;
      const cell = cellAt(concatenation, d.start);
      if (cell?.fileName !== fileName) continue;
      const relatedInformation = d.relatedInformation?.map(located).filter((r): r is ts.DiagnosticRelatedInformation => r !== null);
      mapped.push({ ...d, file, start: cell.position, relatedInformation });
    }
    return mapped;
  }

  /** A definition in a concatenation, moved to the cell it is in (others kept as they are). */
  private cellDefinition(definition: ts.DefinitionInfo): ts.DefinitionInfo[] {
    const concatenation = this.virtual(definition.fileName);
    if (!concatenation) return [definition];
    const cell = cellAt(concatenation, definition.textSpan.start);
    if (!cell) return [];
    const contextSpan = definition.contextSpan && cellAt(concatenation, definition.contextSpan.start);
    return [
      {
        ...definition,
        fileName: cell.fileName,
        textSpan: { start: cell.position, length: definition.textSpan.length },
        contextSpan: contextSpan ? { start: contextSpan.position, length: definition.contextSpan!.length } : undefined,
      },
    ];
  }

  /** Text changes in a concatenation (an auto-import), moved to the cells they fall in. */
  private cellChanges(changes: readonly ts.FileTextChanges[]): ts.FileTextChanges[] {
    return changes.flatMap((change) => {
      const concatenation = this.virtual(change.fileName);
      if (!concatenation) return [change];
      const byCell = new Map<string, ts.TextChange[]>();
      for (const edit of change.textChanges) {
        const cell = cellAt(concatenation, edit.span.start);
        if (!cell) continue;
        byCell.set(cell.fileName, [...(byCell.get(cell.fileName) ?? []), { ...edit, span: { start: cell.position, length: edit.span.length } }]);
      }
      return [...byCell].map(([fileName, textChanges]) => ({ fileName, textChanges }));
    });
  }
}
