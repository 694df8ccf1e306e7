import type { ParseArgsConfig } from 'node:util';

export interface CliIo {
  cwd: string;
  env: NodeJS.ProcessEnv;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

export type OptionSpec = NonNullable<ParseArgsConfig['options']>;
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

/** A string option's value, or undefined when it was not given (flags and repeatable options are not strings). */
export function stringOption(values: ParsedValues, name: string): string | undefined {
  const value = values[name];
  return typeof value === 'string' ? value : undefined;
}
