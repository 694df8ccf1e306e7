/**
 * A Go source file read just enough to judge what it does: comments dropped, string literals set apart, the package
 * clause and the import declarations. Not a parser: a lexer that knows where comments and literals start and end, so
 * that a comment or a string can never pass for code, nor code hidden in one for a literal.
 */
export interface GoSource {
  /** The file, relative to the worker folder. */
  file: string;
  packageName: string | undefined;
  /** The code without comments; every string or rune literal replaced by `"#<n>"`, `n` its index in `strings`. */
  code: string;
  /** The value of every string literal, in order (escapes kept as written). */
  strings: string[];
  /** Import declarations: the name the file uses for the package (its alias, or the path's last element), and the path. */
  imports: Array<{ name: string; path: string }>;
}

/** Where a literal or comment starting at `start` ends (the index after it). */
function endOfQuoted(text: string, start: number, quote: string): number {
  let index = start + 1;
  while (index < text.length && text[index] !== quote && text[index] !== '\n') index += text[index] === '\\' ? 2 : 1;
  return Math.min(index + 1, text.length);
}

/** The code of a Go file without comments, with its literals set apart. */
function lex(text: string): { code: string; strings: string[] } {
  const strings: string[] = [];
  let code = '';
  let index = 0;
  while (index < text.length) {
    const char = text[index] as string;
    const next = text[index + 1];
    if (char === '/' && next === '/') {
      const end = text.indexOf('\n', index);
      index = end === -1 ? text.length : end;
      code += ' ';
    } else if (char === '/' && next === '*') {
      const end = text.indexOf('*/', index + 2);
      const stop = end === -1 ? text.length : end + 2;
      // A comment holding a line break counts as one (Go's rule for semicolon insertion).
      code += text.slice(index, stop).includes('\n') ? '\n' : ' ';
      index = stop;
    } else if (char === '`') {
      const end = text.indexOf('`', index + 1);
      const stop = end === -1 ? text.length : end;
      strings.push(text.slice(index + 1, stop));
      code += `"#${strings.length - 1}"`;
      index = stop + 1;
    } else if (char === '"') {
      const stop = endOfQuoted(text, index, '"');
      strings.push(text.slice(index + 1, stop - 1));
      code += `"#${strings.length - 1}"`;
      index = stop;
    } else if (char === "'") {
      index = endOfQuoted(text, index, "'");
      code += "' '";
    } else {
      code += char;
      index += 1;
    }
  }
  return { code, strings };
}

/** The name a package is known by when imported without an alias: its path's last element, without a major version. */
export function defaultImportName(importPath: string): string {
  const parts = importPath.split('/');
  let last = parts.at(-1) ?? importPath;
  if (/^v[0-9]+$/.test(last) && parts.length > 1) last = parts.at(-2) ?? last;
  // gopkg.in/yaml.v3 is package yaml; github.com/x/go-cortex is, by convention, cortex.
  return last
    .replace(/\.v[0-9]+$/, '')
    .replace(/^go-/, '')
    .replace(/[^A-Za-z0-9_]/g, '_');
}

function importSpec(
  alias: string | undefined,
  literal: string,
  strings: string[],
): { name: string; path: string } | undefined {
  const value = strings[Number(literal)];
  if (value === undefined) return undefined;
  return { name: alias ?? defaultImportName(value), path: value };
}

export function scanGoSource(file: string, text: string): GoSource {
  const { code, strings } = lex(text);
  const packageName = /\bpackage\s+([A-Za-z_][A-Za-z0-9_]*)/.exec(code)?.[1];
  const imports: GoSource['imports'] = [];
  const spec = /(?:([A-Za-z_][A-Za-z0-9_]*|\.)\s+)?"#([0-9]+)"/g;
  for (const block of code.matchAll(/\bimport\s*\(([^)]*)\)/g)) {
    for (const match of (block[1] ?? '').matchAll(spec)) {
      const found = importSpec(match[1], match[2] ?? '', strings);
      if (found) imports.push(found);
    }
  }
  for (const match of code.matchAll(/\bimport\s+(?:([A-Za-z_][A-Za-z0-9_]*|\.)\s+)?"#([0-9]+)"/g)) {
    const found = importSpec(match[1], match[2] ?? '', strings);
    if (found) imports.push(found);
  }
  return { file, packageName, code, strings, imports };
}

/**
 * Whether the code uses `<package>.<member>` (the package by the name this file imports it under), followed by
 * `after` (a regular expression) when given.
 */
export function usesMember(source: GoSource, importPath: string, member: string, after = ''): boolean {
  return source.imports
    .filter((entry) => entry.path === importPath && entry.name !== '_' && entry.name !== '.')
    .some((entry) =>
      new RegExp(`(?<![A-Za-z0-9_.])${entry.name}\\s*\\.\\s*${member}(?![A-Za-z0-9_])${after}`).test(source.code),
    );
}
