// Finds every string built from data that reaches VS Code's UI without the escaping helpers of
// src/extension/ui-text.ts (issue 20). It reads the extension's sources with the TypeScript compiler (parsed and
// bound, not type-checked) and follows each value that reaches a sink back to where it comes from:
//
//   sinks      notifications (message, items, options.detail), setStatusBarMessage, quick picks (and a QuickPick's
//              `.items =`) and input boxes, dialogs' and progress' titles (and progress.report's message), webview
//              panel titles, `x.text/tooltip/title/label/description/detail =`, CodeLens and TreeItem titles;
//              `new MarkdownString(…)`, `.appendMarkdown(…)` and `new Hover(…)` in markdown
//   safe       literals; numbers (arithmetic, toFixed, Math.*, .length); uiText(…) (plain) or markdownText(…),
//              markdownCode(…), hoverMarkdown(…) (markdown); vscode.l10n.t("literal", …safe arguments);
//              templates, `+`, `??`, `?:`, arrays, `.join` and `.map` of safe parts; a local constant, variable
//              (with every assignment and push) or function (every return) made of safe parts; a parameter whose
//              every call site in the scanned files passes a safe argument
//   unsafe     everything else: a property read from data (`run.info.name`), a callback's parameter, a call of
//              anything not listed above
//
//   findUnescaped([{ name: "src/extension/runs.ts", text }]) → [{ file, line, text: "run.info.id", sink: "showWarningMessage" }]
import ts from "typescript";

export interface Finding {
  file: string;
  line: number; // 1-based
  /** The expression that carries data (the innermost one found). */
  text: string;
  /** What it reaches, and where: "showWarningMessage (runs.ts:230)". */
  sink: string;
}

type Mode = "plain" | "markdown";

const NOTIFICATIONS = new Set(["showInformationMessage", "showWarningMessage", "showErrorMessage"]);
/** Calls whose object-literal arguments' text properties are shown (quick picks, dialogs, progress, tree views). */
const OPTION_CALLS = new Set(["showQuickPick", "createQuickPick", "showInputBox", "showOpenDialog", "showSaveDialog", "withProgress", "createTreeView"]);
/** Properties VS Code shows, in object literals given to the calls above and in assignments. */
const TEXT_PROPERTIES = new Set(["label", "description", "detail", "tooltip", "title", "text", "placeHolder", "placeholder", "prompt"]);
const PLAIN_HELPERS = new Set(["uiText"]);
const MARKDOWN_HELPERS = new Set(["markdownText", "markdownCode", "hoverMarkdown"]);
const NUMBER_METHODS = new Set(["toFixed", "toExponential", "toPrecision"]);

export function findUnescaped(files: { name: string; text: string }[]): Finding[] {
  return new Scanner(files).scan();
}

class Scanner {
  private readonly program: ts.Program;
  private readonly checker: ts.TypeChecker;
  private readonly sources: ts.SourceFile[];
  private readonly memo = new Map<string, ts.Node | null>();
  private readonly pending = new Set<string>();
  private readonly findings: Finding[] = [];

  constructor(files: { name: string; text: string }[]) {
    const options: ts.CompilerOptions = { noResolve: true, noLib: true, types: [], target: ts.ScriptTarget.ES2022 };
    const byName = new Map(files.map((f) => [f.name, ts.createSourceFile(f.name, f.text, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS)]));
    const host = ts.createCompilerHost(options);
    host.getSourceFile = (name) => byName.get(name);
    host.fileExists = (name) => byName.has(name);
    host.readFile = (name) => files.find((f) => f.name === name)?.text;
    this.program = ts.createProgram([...byName.keys()], options, host);
    this.checker = this.program.getTypeChecker();
    this.sources = [...byName.values()];
  }

  scan(): Finding[] {
    for (const source of this.sources) this.visit(source);
    return this.findings;
  }

  private visit(node: ts.Node): void {
    if (ts.isCallExpression(node)) this.checkCall(node);
    else if (ts.isNewExpression(node)) this.checkNew(node);
    else if (ts.isBinaryExpression(node)) this.checkAssignment(node);
    ts.forEachChild(node, (child) => this.visit(child));
  }

  private checkCall(call: ts.CallExpression): void {
    const name = calleeName(call.expression);
    if (!name) return;
    const args = [...call.arguments];
    if (NOTIFICATIONS.has(name)) for (const arg of args) this.checkShown(arg, name, call);
    else if (name === "setStatusBarMessage" && args[0]) this.require(args[0], "plain", name, call);
    else if (name === "createWebviewPanel" && args[1]) this.require(args[1], "plain", name, call);
    else if (name === "appendMarkdown" && args[0]) this.require(args[0], "markdown", name, call);
    else if (name === "report" && args[0] && ts.isObjectLiteralExpression(args[0])) this.checkProperties(args[0], name, call, ["message"]);
    else if (OPTION_CALLS.has(name)) {
      if (name === "showQuickPick" && args[0]) this.checkItems(args[0], name, call);
      for (const arg of args) if (ts.isObjectLiteralExpression(arg)) this.checkProperties(arg, name, call);
    }
  }

  private checkNew(expression: ts.NewExpression): void {
    const name = calleeName(expression.expression);
    const args = [...(expression.arguments ?? [])];
    if (name === "MarkdownString" && args[0]) this.require(args[0], "markdown", name, expression);
    else if (name === "Hover" && args[0] && !isNewOf(args[0], "MarkdownString")) this.require(args[0], "markdown", name, expression);
    else if (name === "TreeItem" && args[0] && !ts.isObjectLiteralExpression(args[0])) this.require(args[0], "plain", name, expression);
    else if (name === "CodeLens" && args[1] && ts.isObjectLiteralExpression(args[1])) this.checkProperties(args[1], name, expression);
  }

  /** `x.text = …`, `x.tooltip += …`; `md.isTrusted = …` only on a MarkdownString of literal text; never supportHtml. */
  private checkAssignment(node: ts.BinaryExpression): void {
    const op = node.operatorToken.kind;
    if ((op !== ts.SyntaxKind.EqualsToken && op !== ts.SyntaxKind.PlusEqualsToken) || !ts.isPropertyAccessExpression(node.left)) return;
    const property = node.left.name.text;
    const sink = `.${property} =`;
    if (TEXT_PROPERTIES.has(property)) this.require(node.right, "plain", sink, node);
    if (property === "items") this.checkItems(node.right, sink, node); // a QuickPick's
    if (property === "supportHtml" && node.right.kind !== ts.SyntaxKind.FalseKeyword) this.report(node.right, sink, node);
    if (property === "isTrusted" && node.right.kind !== ts.SyntaxKind.FalseKeyword) {
      const markdown = this.initializerOf(node.left.expression);
      const text = markdown && ts.isNewExpression(markdown) ? markdown.arguments?.[0] : undefined;
      if (!text || !isLiteralText(text)) this.report(node.left, "isTrusted on a MarkdownString not made of literal text", node);
    }
  }

  /** A notification's argument: the message, an item (a string, or an object whose title shows), or the options. */
  private checkShown(arg: ts.Expression, sink: string, at: ts.Node): void {
    if (ts.isObjectLiteralExpression(arg)) this.checkProperties(arg, sink, at);
    else if (ts.isSpreadElement(arg)) this.require(arg.expression, "plain", sink, at);
    else this.require(arg, "plain", sink, at);
  }

  /** A quick pick's items: strings, or objects whose label, description and detail show. */
  private checkItems(items: ts.Expression, sink: string, at: ts.Node): void {
    const e = skipOuter(items);
    if (ts.isArrayLiteralExpression(e)) for (const item of e.elements) this.checkItems(ts.isSpreadElement(item) ? item.expression : item, sink, at);
    else if (ts.isObjectLiteralExpression(e)) this.checkProperties(e, sink, at);
    else if (ts.isConditionalExpression(e)) [e.whenTrue, e.whenFalse].forEach((b) => this.checkItems(b, sink, at));
    else if (ts.isCallExpression(e) && calleeName(e.expression) === "map" && e.arguments[0] && isFunction(e.arguments[0]))
      for (const r of returned(e.arguments[0])) this.checkItems(r, sink, at);
    else if (ts.isIdentifier(e) && this.initializerOf(e)) this.checkItems(this.initializerOf(e)!, sink, at);
    else this.require(e, "plain", sink, at);
  }

  private checkProperties(object: ts.ObjectLiteralExpression, sink: string, at: ts.Node, shown: Iterable<string> = TEXT_PROPERTIES): void {
    const names = new Set(shown);
    for (const p of object.properties) {
      const name = p.name && (ts.isIdentifier(p.name) || ts.isStringLiteral(p.name)) ? p.name.text : undefined;
      if (!name || !names.has(name)) continue;
      if (ts.isPropertyAssignment(p)) this.require(p.initializer, "plain", sink, at);
      else if (ts.isShorthandPropertyAssignment(p)) this.require(p.name, "plain", sink, at);
    }
  }

  private require(e: ts.Expression, mode: Mode, sink: string, at: ts.Node): void {
    const leaf = this.unsafe(e, mode);
    if (leaf) this.report(leaf, sink, at);
  }

  private report(leaf: ts.Node, sink: string, at: ts.Node): void {
    const where = (n: ts.Node) => {
      const source = n.getSourceFile();
      return { file: source.fileName, line: source.getLineAndCharacterOfPosition(n.getStart()).line + 1 };
    };
    const { file, line } = where(leaf);
    const sinkAt = where(at);
    const finding = { file, line, text: leaf.getText().slice(0, 80), sink: `${sink} (${sinkAt.file.split("/").pop()}:${sinkAt.line})` };
    if (!this.findings.some((f) => f.file === finding.file && f.line === finding.line && f.text === finding.text && f.sink === finding.sink))
      this.findings.push(finding);
  }

  /** The first part of `e` that carries data to a `mode` sink unescaped, or null when all of it is safe. */
  private unsafe(e: ts.Expression, mode: Mode): ts.Node | null {
    const key = `${e.getSourceFile().fileName}:${e.pos}:${e.end}:${e.kind}:${mode}`;
    const known = this.memo.get(key);
    if (known !== undefined) return known;
    if (this.pending.has(key)) return null; // a cycle (a recursive call, a parameter passed on): the other paths decide
    this.pending.add(key);
    const result = this.unsafeUncached(e, mode);
    this.pending.delete(key);
    this.memo.set(key, result);
    return result;
  }

  private unsafeUncached(expression: ts.Expression, mode: Mode): ts.Node | null {
    const e = skipOuter(expression);
    const all = (parts: readonly ts.Expression[]) => {
      for (const p of parts) {
        const leaf = this.unsafe(p, mode);
        if (leaf) return leaf;
      }
      return null;
    };
    if (ts.isStringLiteral(e) || ts.isNoSubstitutionTemplateLiteral(e) || ts.isNumericLiteral(e)) return null;
    if ([ts.SyntaxKind.TrueKeyword, ts.SyntaxKind.FalseKeyword, ts.SyntaxKind.NullKeyword].includes(e.kind)) return null;
    if (ts.isPrefixUnaryExpression(e) || ts.isPostfixUnaryExpression(e) || ts.isTypeOfExpression(e)) return null; // numbers, booleans
    if (ts.isTemplateExpression(e)) return all(e.templateSpans.map((s) => s.expression));
    if (ts.isConditionalExpression(e)) return all([e.whenTrue, e.whenFalse]);
    if (ts.isBinaryExpression(e)) return this.unsafeBinary(e, mode);
    if (ts.isArrayLiteralExpression(e)) return all(e.elements.map((x) => (ts.isSpreadElement(x) ? x.expression : x)));
    if (ts.isObjectLiteralExpression(e)) return this.unsafeObject(e, mode);
    if (ts.isCallExpression(e)) return this.unsafeCall(e, mode);
    if (ts.isNewExpression(e)) return isNewOf(e, "MarkdownString") ? null : e; // checked as its own sink
    if (ts.isElementAccessExpression(e)) return this.unsafe(e.expression, mode);
    if (ts.isPropertyAccessExpression(e)) {
      if (e.name.text === "length") return null;
      const object = this.initializerOf(e.expression);
      return object && ts.isObjectLiteralExpression(skipOuter(object)) ? this.unsafe(e.expression, mode) : e;
    }
    if (ts.isIdentifier(e)) return e.text === "undefined" ? null : this.unsafeIdentifier(e, mode);
    return e;
  }

  private unsafeBinary(e: ts.BinaryExpression, mode: Mode): ts.Node | null {
    const k = e.operatorToken.kind;
    const numeric = [
      ts.SyntaxKind.MinusToken,
      ts.SyntaxKind.AsteriskToken,
      ts.SyntaxKind.SlashToken,
      ts.SyntaxKind.PercentToken,
      ts.SyntaxKind.AsteriskAsteriskToken,
    ];
    const comparison = [
      ts.SyntaxKind.LessThanToken,
      ts.SyntaxKind.GreaterThanToken,
      ts.SyntaxKind.LessThanEqualsToken,
      ts.SyntaxKind.GreaterThanEqualsToken,
      ts.SyntaxKind.EqualsEqualsEqualsToken,
      ts.SyntaxKind.ExclamationEqualsEqualsToken,
      ts.SyntaxKind.EqualsEqualsToken,
      ts.SyntaxKind.ExclamationEqualsToken,
    ];
    if (numeric.includes(k) || comparison.includes(k)) return null;
    if (k === ts.SyntaxKind.CommaToken) return this.unsafe(e.right, mode);
    return this.unsafe(e.left, mode) ?? this.unsafe(e.right, mode); // +, ??, ||, &&
  }

  private unsafeObject(e: ts.ObjectLiteralExpression, mode: Mode): ts.Node | null {
    for (const p of e.properties) {
      const value = ts.isPropertyAssignment(p) ? p.initializer : ts.isShorthandPropertyAssignment(p) ? p.name : ts.isSpreadAssignment(p) ? p.expression : p;
      const leaf = ts.isMethodDeclaration(value) || ts.isAccessor(value) ? value : this.unsafe(value as ts.Expression, mode);
      if (leaf) return leaf;
    }
    return null;
  }

  private unsafeCall(e: ts.CallExpression, mode: Mode): ts.Node | null {
    const name = calleeName(e.expression);
    const args = [...e.arguments];
    if (name && (mode === "plain" ? PLAIN_HELPERS : MARKDOWN_HELPERS).has(name)) return null;
    if (isL10n(e.expression)) {
      if (!args[0] || !isLiteralText(args[0])) return args[0] ?? e; // a message that cannot be looked up
      for (const arg of args.slice(1)) {
        const leaf = this.unsafe(ts.isSpreadElement(arg) ? arg.expression : arg, mode);
        if (leaf) return leaf;
      }
      return null;
    }
    if (name && NUMBER_METHODS.has(name)) return null; // a number's digits, or a TypeError for anything else
    if (ts.isPropertyAccessExpression(e.expression)) {
      const receiver = e.expression.expression;
      if (ts.isIdentifier(receiver) && (receiver.text === "Math" || receiver.text === "Number")) return null;
      if (name === "join") return this.unsafe(receiver, mode) ?? (args[0] ? this.unsafe(args[0], mode) : null);
      if (name === "map" && args[0] && isFunction(args[0])) {
        for (const r of returned(args[0])) {
          const leaf = this.unsafe(r, mode);
          if (leaf) return leaf;
        }
        return null;
      }
    }
    if (ts.isIdentifier(e.expression) && e.expression.text === "Number") return null;
    const fn = this.functionOf(e.expression);
    if (!fn) return e;
    for (const r of returned(fn)) {
      const leaf = this.unsafe(r, mode);
      if (leaf) return leaf;
    }
    return null;
  }

  private unsafeIdentifier(id: ts.Identifier, mode: Mode): ts.Node | null {
    const declaration = this.declarationOf(id);
    if (!declaration) return id;
    if (ts.isVariableDeclaration(declaration) && ts.isIdentifier(declaration.name)) return this.unsafeVariable(declaration, mode);
    if (ts.isParameter(declaration)) return this.unsafeParameter(declaration, mode);
    return id; // destructured from data, imported from outside, …
  }

  /** A variable: its initializer, every assignment and every `push` (arrays built up) in its file. */
  private unsafeVariable(declaration: ts.VariableDeclaration, mode: Mode): ts.Node | null {
    if (declaration.initializer) {
      const leaf = this.unsafe(declaration.initializer, mode);
      if (leaf) return leaf;
    }
    const symbol = this.checker.getSymbolAtLocation(declaration.name);
    let found: ts.Node | null = null;
    const visit = (node: ts.Node): void => {
      if (found) return;
      if (ts.isBinaryExpression(node) && isAssignment(node.operatorToken.kind) && this.isSymbol(node.left, symbol)) found = this.unsafe(node.right, mode);
      else if (
        ts.isCallExpression(node) &&
        ts.isPropertyAccessExpression(node.expression) &&
        ["push", "unshift"].includes(node.expression.name.text) &&
        this.isSymbol(node.expression.expression, symbol)
      ) {
        for (const arg of node.arguments) found ??= this.unsafe(ts.isSpreadElement(arg) ? arg.expression : arg, mode);
      }
      ts.forEachChild(node, visit);
    };
    visit(declaration.getSourceFile());
    return found;
  }

  /** A parameter: what every call site passes (or its default); a callback's parameter is data, unless it is an
   *  element of a safe array being mapped. */
  private unsafeParameter(parameter: ts.ParameterDeclaration, mode: Mode): ts.Node | null {
    const fn = parameter.parent;
    const index = fn.parameters.indexOf(parameter);
    if (!ts.isIdentifier(parameter.name)) return parameter;
    const call = fn.parent;
    if (ts.isCallExpression(call) && call.arguments.includes(fn as ts.Expression)) {
      const mapped = ts.isPropertyAccessExpression(call.expression) && ["map", "forEach", "filter"].includes(call.expression.name.text) && index === 0;
      return mapped ? this.unsafe((call.expression as ts.PropertyAccessExpression).expression, mode) : parameter;
    }
    const name = functionName(fn);
    if (!name) return parameter;
    const calls = this.callsOf(name);
    if (!calls.length) return parameter; // nothing in the scanned files calls it: it could be given anything
    for (const c of calls) {
      const arg = c.arguments[index];
      if (c.arguments.some((a, i) => i <= index && ts.isSpreadElement(a))) return c;
      const given = arg ?? parameter.initializer;
      if (!given) continue; // left out: undefined
      const leaf = this.unsafe(given, mode);
      if (leaf) return leaf;
    }
    return null;
  }

  private callsOf(name: string): ts.CallExpression[] {
    const calls: ts.CallExpression[] = [];
    const visit = (node: ts.Node): void => {
      if (ts.isCallExpression(node) && calleeName(node.expression) === name) calls.push(node);
      ts.forEachChild(node, visit);
    };
    this.sources.forEach(visit);
    return calls;
  }

  private isSymbol(node: ts.Node, symbol: ts.Symbol | undefined): boolean {
    return !!symbol && ts.isIdentifier(node) && this.checker.getSymbolAtLocation(node) === symbol;
  }

  /** Where an identifier is declared: in its file, else (an import) a top-level declaration of that name in the
   *  scanned files. */
  private declarationOf(id: ts.Identifier): ts.Declaration | undefined {
    const symbol = ts.isShorthandPropertyAssignment(id.parent)
      ? this.checker.getShorthandAssignmentValueSymbol(id.parent)
      : this.checker.getSymbolAtLocation(id);
    const declaration = symbol?.valueDeclaration ?? symbol?.declarations?.[0];
    if (declaration && ts.isImportSpecifier(declaration)) return this.exported((declaration.propertyName ?? declaration.name).text);
    return declaration;
  }

  private exported(name: string): ts.Declaration | undefined {
    for (const source of this.sources) {
      for (const statement of source.statements) {
        if (ts.isFunctionDeclaration(statement) && statement.name?.text === name) return statement;
        if (ts.isVariableStatement(statement))
          for (const d of statement.declarationList.declarations) if (ts.isIdentifier(d.name) && d.name.text === name) return d;
      }
    }
    return undefined;
  }

  /** The value a name was given when declared (`const x = …`), if it is a variable. */
  private initializerOf(e: ts.Expression): ts.Expression | undefined {
    const target = skipOuter(e);
    if (!ts.isIdentifier(target)) return undefined;
    const declaration = this.declarationOf(target);
    return declaration && ts.isVariableDeclaration(declaration) ? declaration.initializer : undefined;
  }

  /** The function a callee names: a function declaration, a `const f = () => …`, or a method of this class. */
  private functionOf(callee: ts.Expression): ts.FunctionLikeDeclaration | undefined {
    const e = skipOuter(callee);
    if (ts.isIdentifier(e)) {
      const declaration = this.declarationOf(e);
      if (declaration && ts.isFunctionDeclaration(declaration)) return declaration;
      const init = declaration && ts.isVariableDeclaration(declaration) ? declaration.initializer && skipOuter(declaration.initializer) : undefined;
      return init && isFunction(init) ? init : undefined;
    }
    if (ts.isPropertyAccessExpression(e) && e.expression.kind === ts.SyntaxKind.ThisKeyword) {
      const cls = ts.findAncestor(e, ts.isClassLike);
      return cls?.members.find((m): m is ts.MethodDeclaration => ts.isMethodDeclaration(m) && ts.isIdentifier(m.name) && m.name.text === e.name.text);
    }
    return undefined;
  }
}

const skipOuter = (e: ts.Expression): ts.Expression => {
  let x = e;
  while (
    ts.isParenthesizedExpression(x) ||
    ts.isAsExpression(x) ||
    ts.isNonNullExpression(x) ||
    ts.isAwaitExpression(x) ||
    ts.isSatisfiesExpression(x) ||
    ts.isTypeAssertionExpression(x)
  )
    x = x.expression;
  return x;
};

/** `showWarningMessage` of `vscode.window.showWarningMessage`, `MarkdownString` of `new vscode.MarkdownString`. */
function calleeName(e: ts.Expression): string | undefined {
  const x = skipOuter(e);
  if (ts.isIdentifier(x)) return x.text;
  if (ts.isPropertyAccessExpression(x)) return x.name.text;
  return undefined;
}

const isNewOf = (e: ts.Expression, name: string) => ts.isNewExpression(skipOuter(e)) && calleeName((skipOuter(e) as ts.NewExpression).expression) === name;

/** `vscode.l10n.t` or `l10n.t`. */
function isL10n(e: ts.Expression): boolean {
  return ts.isPropertyAccessExpression(e) && e.name.text === "t" && /(^|\.)l10n$/.test(e.expression.getText());
}

/** A string literal, or `l10n.t("literal")` with no arguments. */
function isLiteralText(e: ts.Expression): boolean {
  const x = skipOuter(e);
  if (ts.isStringLiteral(x) || ts.isNoSubstitutionTemplateLiteral(x)) return true;
  return ts.isCallExpression(x) && isL10n(x.expression) && x.arguments.length === 1 && isLiteralText(x.arguments[0]);
}

const isFunction = (e: ts.Node): e is ts.ArrowFunction | ts.FunctionExpression => ts.isArrowFunction(e) || ts.isFunctionExpression(e);

const isAssignment = (k: ts.SyntaxKind) =>
  k === ts.SyntaxKind.EqualsToken ||
  k === ts.SyntaxKind.PlusEqualsToken ||
  k === ts.SyntaxKind.QuestionQuestionEqualsToken ||
  k === ts.SyntaxKind.BarBarEqualsToken;

/** What a function returns: its expression body, or each `return` of its own (not of functions inside). */
function returned(fn: ts.FunctionLikeDeclaration): ts.Expression[] {
  if (!fn.body) return [];
  if (!ts.isBlock(fn.body)) return [fn.body];
  const out: ts.Expression[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isReturnStatement(node) && node.expression) out.push(node.expression);
    if (!ts.isFunctionLike(node)) ts.forEachChild(node, visit);
  };
  ts.forEachChild(fn.body, visit);
  return out;
}

/** The name calls use for a function: `function f`, `const f = () => …`, a method `f(…)`, a property `f: () => …`. */
function functionName(fn: ts.SignatureDeclaration): string | undefined {
  if ((ts.isFunctionDeclaration(fn) || ts.isMethodDeclaration(fn)) && fn.name && ts.isIdentifier(fn.name)) return fn.name.text;
  const parent = fn.parent;
  if ((ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent) || ts.isPropertyDeclaration(parent)) && ts.isIdentifier(parent.name))
    return parent.name.text;
  return undefined;
}
