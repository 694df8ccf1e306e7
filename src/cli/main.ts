import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { commands } from './commands.js';
import { canonicalValues, parserOptions, type CliIo, type Command, type ParsedValues } from './command.js';
import { argvFromPluginSettings } from './plugin-settings.js';
import { ExitCode, NeuronsError } from '../errors/neurons-error.js';
import { formatProblem } from '../errors/problem.js';
import { maskSecrets } from '../util/mask.js';
import { packageRoot } from '../util/package-root.js';

async function helpText(): Promise<string> {
  const lines = ['Usage: neurons <command> [options]', '', 'Commands:'];
  for (const load of Object.values(commands)) {
    const command = await load();
    lines.push(`  ${command.name.padEnd(12)} ${command.summary}`);
  }
  lines.push('', 'Run `neurons help <command>` for the options of one command.');
  return lines.join('\n');
}

/** `neurons help <command>`: usage, then every option with its value, description, default and older names. */
export function commandHelp(command: Command): string {
  const rows = Object.entries(command.options).map(([name, spec]) => {
    const short = spec.short ? `-${spec.short}, ` : '';
    return { flag: `${short}--${name}${spec.type === 'string' ? ` ${spec.value ?? 'VALUE'}` : ''}`, spec };
  });
  const width = Math.min(32, Math.max(...rows.map((row) => row.flag.length)));
  const lines = [`Usage: ${command.usage}`, '', command.summary, '', 'Options:'];
  for (const { flag, spec } of rows) {
    const notes = [
      spec.multiple && !spec.description.includes('repeatable') ? 'repeatable' : '',
      spec.default ? `default: ${spec.default}` : '',
      spec.aliases?.length ? `also ${spec.aliases.map((alias) => `--${alias}`).join(', ')}` : '',
    ].filter(Boolean);
    const text = `${spec.description}${notes.length ? ` (${notes.join('; ')})` : ''}`;
    lines.push(flag.length > width ? `  ${flag}\n  ${' '.repeat(width)}  ${text}` : `  ${flag.padEnd(width)}  ${text}`);
  }
  lines.push(`  ${'-h, --help'.padEnd(width)}  this help`);
  return lines.join('\n');
}

/** The package's own version (`--version`), from its package.json. */
async function packageVersion(): Promise<string> {
  const manifest = JSON.parse(await readFile(path.join(packageRoot(), 'package.json'), 'utf8')) as { version?: string };
  return manifest.version ?? 'unknown';
}

type Parsed = { command: Command; values: ParsedValues; positionals: string[] };

/** Parses an invocation without running it: the command and its options, or why they are wrong. */
export async function parseInvocation(argv: string[]): Promise<Parsed | { error: string; command?: Command }> {
  const [name, ...rest] = argv;
  const command = name === undefined ? undefined : await commands[name]?.();
  if (!command) return { error: `unknown command '${name ?? ''}'` };
  try {
    const parsed = parseArgs({
      args: rest,
      options: { ...parserOptions(command.options), help: { type: 'boolean', short: 'h' } },
      allowPositionals: command.positionals ?? false,
      strict: true,
    });
    const canonical = canonicalValues(command.options, parsed.values);
    if ('error' in canonical) return { error: canonical.error, command };
    return { command, values: canonical.values, positionals: parsed.positionals };
  } catch (error) {
    return { error: (error as Error).message, command };
  }
}

/** Runs the CLI and returns the exit code. Never calls process.exit: the caller decides. */
export async function main(givenArgv: string[], io: CliIo): Promise<number> {
  // As a Drone plugin, settings arrive as PLUGIN_* variables and there are no arguments.
  const argv = givenArgv.length === 0 ? (argvFromPluginSettings(io.env) ?? givenArgv) : givenArgv;
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    const topic = name === 'help' ? rest[0] : undefined;
    const target = topic === undefined ? undefined : await commands[topic]?.();
    if (topic !== undefined && !target) {
      io.stderr.write(
        `neurons help: ${formatProblem({ code: 'USAGE', message: `no command '${topic}'`, hint: 'see `neurons help`' })}\n\n${await helpText()}\n`,
      );
      return ExitCode.usage;
    }
    io.stdout.write(`${target ? commandHelp(target) : await helpText()}\n`);
    return ExitCode.ok;
  }
  if (name === '--version' || name === 'version') {
    io.stdout.write(`neurons ${await packageVersion()}\n`);
    return ExitCode.ok;
  }
  const parsed = await parseInvocation(argv);
  if ('error' in parsed) {
    // Coded like every other usage error, so scripts and tests can tell a bad flag from a bad value.
    const problem = formatProblem({
      code: 'USAGE',
      message: parsed.error,
      hint: parsed.command ? `see \`neurons help ${parsed.command.name}\`` : 'see `neurons help`',
    });
    io.stderr.write(
      parsed.command
        ? `neurons ${name}: ${problem}\n\n${commandHelp(parsed.command)}\n`
        : `neurons: ${problem}\n\n${await helpText()}\n`,
    );
    return ExitCode.usage;
  }
  const { command } = parsed;
  if (parsed.values['help']) {
    io.stdout.write(`${commandHelp(command)}\n`);
    return ExitCode.ok;
  }
  try {
    return await command.run(io, parsed.values, parsed.positionals);
  } catch (error) {
    if (error instanceof NeuronsError) {
      io.stderr.write(`neurons ${name}: ${maskSecrets(formatProblem(error.problem))}\n`);
      return error.exitCode;
    }
    io.stderr.write(
      `neurons ${name}: internal error (a bug in neurons, please report it)\n${maskSecrets(String((error as Error)?.stack ?? error))}\n`,
    );
    return ExitCode.internal;
  }
}
