import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

/** A code: capitals, digits and single underscores, e.g. `UPDATE_NOT_FOUND` or `USAGE`. */
const codeShape = /^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*$/;

/** Every `.ts` file under `folder`, as paths relative to `root`. */
export function sourceFiles(root: string, folder: string): string[] {
  const found: string[] = [];
  const walk = (directory: string): void => {
    for (const entry of readdirSync(path.join(root, directory), { withFileTypes: true })) {
      const relative = path.posix.join(directory, entry.name);
      if (entry.isDirectory()) walk(relative);
      else if (entry.name.endsWith('.ts')) found.push(relative);
    }
  };
  walk(folder);
  return found.sort();
}

function parse(root: string, file: string): ts.SourceFile {
  return ts.createSourceFile(file, readFileSync(path.join(root, file), 'utf8'), ts.ScriptTarget.Latest, true);
}

/** The name a call is made through: `fail(...)`, `this.fail(...)`, `new UsageError(...)` -> `fail`, `UsageError`. */
function calleeName(node: ts.CallExpression | ts.NewExpression): string | undefined {
  const callee = node.expression;
  if (ts.isIdentifier(callee)) return callee.text;
  if (ts.isPropertyAccessExpression(callee)) return callee.name.text;
  return undefined;
}

/**
 * The positions of the parameters named `code` (or `...Code`), by function name, over every function of `sources`:
 * `fail(code, message, hint)`, `readJson(file, code, what)`. A literal passed there is a code the function emits.
 */
export function codeParameters(sources: ts.SourceFile[]): Map<string, Set<number>> {
  const positions = new Map<string, Set<number>>();
  const record = (name: string, parameters: ts.NodeArray<ts.ParameterDeclaration>): void => {
    parameters.forEach((parameter, index) => {
      if (ts.isIdentifier(parameter.name) && /(?:^c|C)ode$/.test(parameter.name.text)) {
        positions.set(name, new Set([...(positions.get(name) ?? []), index]));
      }
    });
  };
  const visit = (node: ts.Node): void => {
    if ((ts.isFunctionDeclaration(node) || ts.isMethodDeclaration(node)) && node.name && ts.isIdentifier(node.name))
      record(node.name.text, node.parameters);
    if (ts.isVariableDeclaration(node) && ts.isIdentifier(node.name) && node.initializer) {
      const value = node.initializer;
      if (ts.isArrowFunction(value) || ts.isFunctionExpression(value)) record(node.name.text, value.parameters);
    }
    ts.forEachChild(node, visit);
  };
  for (const source of sources) visit(source);
  return positions;
}

/** Climbs from a literal through `a ? 'X' : 'Y'`, `x ?? 'X'`, `x || 'X'`, parentheses and `as`. */
function valuePosition(node: ts.Node): ts.Node {
  let current = node;
  for (;;) {
    const parent = current.parent;
    const through =
      (ts.isConditionalExpression(parent) && parent.condition !== current) ||
      (ts.isBinaryExpression(parent) &&
        parent.right === current &&
        [ts.SyntaxKind.QuestionQuestionToken, ts.SyntaxKind.BarBarToken].includes(parent.operatorToken.kind)) ||
      ts.isParenthesizedExpression(parent) ||
      ts.isAsExpression(parent) ||
      ts.isSatisfiesExpression(parent);
    if (!through) return current;
    current = parent;
  }
}

/**
 * `Object.assign(new Error(...), { code: 'ETIMEDOUT' })`: an error made to look like Node's own, for code that
 * matches Node's codes. Not a code of neurons.
 */
function isNodeErrorCode(object: ts.Node): boolean {
  const call = object.parent;
  return ts.isCallExpression(call) && call.expression.getText() === 'Object.assign';
}

/** `outcome.problem?.code ?? 'SMOKE_FAILED'`: the code shown when a problem has none. */
function isProblemCodeFallback(literal: ts.StringLiteral): boolean {
  const parent = literal.parent;
  return (
    ts.isBinaryExpression(parent) &&
    parent.right === literal &&
    parent.operatorToken.kind === ts.SyntaxKind.QuestionQuestionToken &&
    /\bproblems?\b.*\.code$/.test(parent.left.getText())
  );
}

/** Whether a code-shaped literal is emitted where it stands (rather than matched, compared or named). */
function isEmitted(literal: ts.StringLiteral, parameters: Map<string, Set<number>>): boolean {
  if (isProblemCodeFallback(literal)) return true;
  const value = valuePosition(literal);
  const parent = value.parent;
  // `{ code: 'X', ... }`: a problem, an error or an event.
  if (ts.isPropertyAssignment(parent) && parent.initializer === value) {
    if (ts.isIdentifier(parent.name) && parent.name.text === 'code') return !isNodeErrorCode(parent.parent);
    // `const commandCodes = { invalid: 'DEF_COMMAND_INVALID', ... }`: a table of codes.
    return isCodeTable(parent.parent);
  }
  // `fail('X', ...)`, `readJson(file, 'X', ...)`: an argument whose parameter is a code.
  if (
    (ts.isCallExpression(parent) || ts.isNewExpression(parent)) &&
    parent.arguments?.includes(value as ts.Expression)
  ) {
    const name = calleeName(parent);
    const index = parent.arguments.indexOf(value as ts.Expression);
    return name !== undefined && (parameters.get(name)?.has(index) ?? false);
  }
  // `type TlsProblemCode = 'TLS_UNTRUSTED' | ...`: the codes a function returns.
  if (ts.isLiteralTypeNode(literal.parent)) {
    let alias: ts.Node = literal.parent;
    while (ts.isUnionTypeNode(alias.parent) || ts.isLiteralTypeNode(alias)) alias = alias.parent;
    return ts.isTypeAliasDeclaration(alias) && /Code$/.test(alias.name.text);
  }
  return false;
}

/** An object literal held by a `const ...Codes`: each of its values is a code. */
function isCodeTable(object: ts.Node): boolean {
  const holder = valuePosition(object).parent;
  return ts.isVariableDeclaration(holder) && ts.isIdentifier(holder.name) && /Codes$/.test(holder.name.text);
}

/** Every code the files emit, with the places it is emitted from (`file:line`). */
export function emittedCodes(root: string, files: string[]): Map<string, string[]> {
  const sources = files.map((file) => parse(root, file));
  const parameters = codeParameters(sources);
  const emitted = new Map<string, string[]>();
  for (const source of sources) {
    const visit = (node: ts.Node): void => {
      if (ts.isStringLiteral(node) && codeShape.test(node.text) && isEmitted(node, parameters)) {
        const line = source.getLineAndCharacterOfPosition(node.getStart()).line + 1;
        emitted.set(node.text, [...(emitted.get(node.text) ?? []), `${source.fileName}:${line}`]);
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return emitted;
}
