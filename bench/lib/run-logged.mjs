// A long command (a full publish) whose output goes to a log file as it comes, so that it can be followed while it
// runs, and that is stopped at a deadline. Same result and failure as `runCommand`.
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { CommandFailure, mask } from './run-command.mjs';

/** Like `runCommand`, plus every chunk appended (masked) to `logFile`, and SIGTERM after `timeoutSeconds`. */
export function runLogged(command, { logFile, timeoutSeconds, env = process.env }) {
  const [file, ...args] = command;
  const started = performance.now();
  const log = createWriteStream(logFile, { flags: 'a' });
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const stdout = [];
    const output = [];
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGTERM');
    }, timeoutSeconds * 1000);
    const keep = (chunk, isStdout) => {
      if (isStdout) stdout.push(chunk);
      output.push(chunk);
      log.write(mask(chunk.toString('utf8')));
    };
    child.stdout.on('data', (chunk) => keep(chunk, true));
    child.stderr.on('data', (chunk) => keep(chunk, false));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      log.end();
      const result = {
        code,
        signal,
        timedOut,
        stdout: Buffer.concat(stdout).toString('utf8'),
        output: Buffer.concat(output).toString('utf8') + (timedOut ? `\n(stopped after ${timeoutSeconds} s)\n` : ''),
        seconds: (performance.now() - started) / 1000,
      };
      if (code !== 0) reject(new CommandFailure(command, result));
      else resolve(result);
    });
  });
}
