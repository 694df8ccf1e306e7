import { parseArgs } from 'node:util';
import { commands } from './commands.js';
import type { CliIo, Command } from './command.js';
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

/** Runs the CLI and returns the exit code. Never calls process.exit: the caller decides. */
export async function main(argv: string[], io: CliIo): Promise<number> {
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
  const command = await commands[name]?.();
  if (!command) {
    io.stderr.write(`neurons: unknown command '${name}'\n\n${await helpText()}\n`);
    return ExitCode.usage;
  }
  let parsed;
  try {
    parsed = parseArgs({
      args: rest,
      options: { ...command.options, help: { type: 'boolean', short: 'h' } },
      allowPositionals: command.positionals ?? false,
      strict: true,
    });
  } catch (error) {
    io.stderr.write(`neurons ${name}: ${(error as Error).message}\n\n${commandHelp(command)}\n`);
    return ExitCode.usage;
  }
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
