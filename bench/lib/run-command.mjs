// Runs one external command (docker, ./bin/neurons) and keeps what it printed, so that a failure can show the
// tail of the failing command's output. Every line shown goes through `mask` (credentials are never printed).
import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';

const secrets = new Set();

/** Values replaced by `***` in everything the benchmark prints. */
export function registerSecret(value) {
  if (value && value.length >= 4) secrets.add(value);
}

export function mask(text) {
  let masked = text;
  for (const secret of secrets) masked = masked.split(secret).join('***');
  return masked;
}

export class CommandFailure extends Error {
  constructor(command, result) {
    super(`${mask(command.join(' '))} exited with ${result.signal ?? result.code}`);
    this.name = 'CommandFailure';
    this.command = command;
    this.result = result;
  }

  /** The last lines the command printed (stdout and stderr as they came), masked. */
  tail(lines = 40) {
    return mask(this.result.output).split('\n').slice(-lines).join('\n');
  }
}

/**
 * Spawns `command` (no shell) and resolves with its exit code, its stdout, everything it printed in order (also as
 * `timeline`: each line after the seconds at which it came), and the wall time. Rejects with a CommandFailure when it
 * exits non-zero, unless `allowFailure`.
 */
export function runCommand(command, { cwd, env = process.env, allowFailure = false } = {}) {
  const [file, ...args] = command;
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const stdout = [];
    const output = [];
    // Each chunk with the seconds since the start: where a long command spent its time, line by line.
    const timeline = [];
    const note = (chunk) => {
      output.push(chunk);
      timeline.push(
        `${chunk
          .toString('utf8')
          .trimEnd()
          .split('\n')
          .map((line) => `${((performance.now() - started) / 1000).toFixed(2).padStart(7)}  ${line}`)
          .join('\n')}\n`,
      );
    };
    child.stdout.on('data', (chunk) => {
      stdout.push(chunk);
      note(chunk);
    });
    child.stderr.on('data', note);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      const result = {
        code,
        signal,
        stdout: Buffer.concat(stdout).toString('utf8'),
        output: Buffer.concat(output).toString('utf8'),
        timeline: timeline.join(''),
        seconds: (performance.now() - started) / 1000,
      };
      if (code !== 0 && !allowFailure) reject(new CommandFailure(command, result));
      else resolve(result);
    });
  });
}
