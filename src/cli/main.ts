import { parseArgs } from 'node:util';
import { commands } from './commands.js';
import type { CliIo, Command, ParsedValues } from './command.js';
import { argvFromPluginSettings } from './plugin-settings.js';
import { ExitCode, NeuronsError } from '../errors/neurons-error.js';
import { formatProblem } from '../errors/problem.js';
import { maskSecrets } from '../util/mask.js';

async function helpText(): Promise<string> {
  const lines = ['Usage: neurons <command> [options]', '', 'Commands:'];
  for (const load of Object.values(commands)) {
    const command = await load();
    lines.push(`  ${command.name.padEnd(12)} ${command.summary}`);
  }
  lines.push('', 'Run `neurons help <command>` for the options of one command.');
  return lines.join('\n');
}

function commandHelp(command: Command): string {
  const lines = [`Usage: ${command.usage}`, '', command.summary, '', 'Options:'];
  for (const [name, spec] of Object.entries(command.options)) {
    const short = spec.short ? `-${spec.short}, ` : '    ';
    lines.push(`  ${short}--${name}${spec.type === 'string' ? ' <value>' : ''}${spec.multiple ? ' (repeatable)' : ''}`);
  }
  return lines.join('\n');
}

type Parsed = { command: Command; values: ParsedValues; positionals: string[] };

/** Parses an invocation without running it: the command and its options, or why they are wrong. */
export async function parseInvocation(argv: string[]): Promise<Parsed | { error: string; command?: Command }> {
  const [name, ...rest] = argv;
  const command = name === undefined ? undefined : await commands[name]?.();
  if (!command) return { error: `unknown command '${name ?? ''}'` };
  try {
    const parsed = parseArgs({ args: rest, options: { ...command.options, help: { type: 'boolean', short: 'h' } }, allowPositionals: command.positionals ?? false, strict: true });
    return { command, values: parsed.values, positionals: parsed.positionals };
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
    const target = name === 'help' && rest[0] ? await commands[rest[0]]?.() : undefined;
    io.stdout.write(`${target ? commandHelp(target) : await helpText()}\n`);
    return ExitCode.ok;
  }
  if (name === '--version') {
    io.stdout.write('neurons 0.1.0\n');
    return ExitCode.ok;
  }
  const parsed = await parseInvocation(argv);
  if ('error' in parsed) {
    // Coded like every other usage error, so scripts and tests can tell a bad flag from a bad value.
    const problem = formatProblem({ code: 'USAGE', message: parsed.error, hint: parsed.command ? `see \`neurons help ${parsed.command.name}\`` : 'see `neurons help`' });
    io.stderr.write(parsed.command ? `neurons ${name}: ${problem}\n\n${commandHelp(parsed.command)}\n` : `neurons: ${problem}\n\n${await helpText()}\n`);
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
    io.stderr.write(`neurons ${name}: internal error (a bug in neurons, please report it)\n${maskSecrets(String((error as Error)?.stack ?? error))}\n`);
    return ExitCode.internal;
  }
}
