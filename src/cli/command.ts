import type { ParseArgsConfig } from 'node:util';

export interface CliIo {
  cwd: string;
  env: NodeJS.ProcessEnv;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

/**
 * One option of a command: how it parses, and what `neurons help <command>` (and the README's tables, checked
 * against it) says of it. One spec serves both, so the help cannot offer an option the parser refuses.
 */
export interface OptionDoc {
  type: 'string' | 'boolean';
  short?: string;
  multiple?: boolean;
  /** One line: what the option does. */
  description: string;
  /** The value's placeholder in help (`DIR`, `N`); string options only. */
  value?: string;
  /** What applies when the option is not given, as help shows it (not parsed). */
  default?: string;
  /** Older names still accepted for this option (`--out` for `--output`). */
  aliases?: string[];
}

export type OptionSpec = Record<string, OptionDoc>;
export type ParsedValues = Record<string, string | boolean | string[] | boolean[] | undefined>;

/** One CLI command. Commands are registered by name in `commands.ts`: adding one is one file and one line. */
export interface Command {
  name: string;
  summary: string;
  /** Usage line(s) shown by `neurons help <command>`. */
  usage: string;
  options: OptionSpec;
  /** Whether the command takes positional arguments. */
  positionals?: boolean;
  run(io: CliIo, values: ParsedValues, positionals: string[]): Promise<number>;
}

/** The parser's view of a spec: every name and alias, with what `parseArgs` reads. */
export function parserOptions(spec: OptionSpec): NonNullable<ParseArgsConfig['options']> {
  const options: NonNullable<ParseArgsConfig['options']> = {};
  for (const [name, doc] of Object.entries(spec)) {
    const parsed = {
      type: doc.type,
      ...(doc.short ? { short: doc.short } : {}),
      ...(doc.multiple ? { multiple: true } : {}),
    };
    options[name] = parsed;
    for (const alias of doc.aliases ?? [])
      options[alias] = { type: parsed.type, ...(doc.multiple ? { multiple: true } : {}) };
  }
  return options;
}

/**
 * Values under their canonical names: an alias's value moves to its option's name. Both given is a usage error the
 * caller reports (returned as a message).
 */
export function canonicalValues(spec: OptionSpec, values: ParsedValues): { values: ParsedValues } | { error: string } {
  const result: ParsedValues = { ...values };
  for (const [name, doc] of Object.entries(spec)) {
    for (const alias of doc.aliases ?? []) {
      if (result[alias] === undefined) continue;
      if (result[name] !== undefined) return { error: `--${alias} and --${name} are the same option: give one` };
      result[name] = result[alias];
      delete result[alias];
    }
  }
  return { values: result };
}

/** A string option's value, or undefined when it was not given (flags and repeatable options are not strings). */
export function stringOption(values: ParsedValues, name: string): string | undefined {
  const value = values[name];
  return typeof value === 'string' ? value : undefined;
}
