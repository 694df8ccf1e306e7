import { spawn, spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { openSync } from 'node:fs';
import { EnvironmentError } from '../errors/neurons-error.js';

/** Starts a long-running service in its own session, detached from this process, its output in `logFile`. */
export function startDetached(
  command: string,
  args: string[],
  logFile: string,
  env: NodeJS.ProcessEnv = process.env,
): number {
  const log = openSync(logFile, 'a');
  const child = spawn(command, args, { detached: true, stdio: ['ignore', log, log], env });
  child.unref();
  if (child.pid === undefined) {
    throw new EnvironmentError({
      code: 'ENV_START_FAILED',
      message: `could not start ${command}`,
      hint: `see ${logFile}`,
    });
  }
  return child.pid;
}

export function isAlive(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export function commandExists(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

/** Runs a command to completion; throws an EnvironmentError with its output when it fails. */
export function run(command: string, args: string[], options: SpawnSyncOptions & { what: string }): string {
  const result = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, ...options });
  if (result.status !== 0) {
    const output = `${String(result.stderr ?? '')}${String(result.stdout ?? '')}`
      .trim()
      .split('\n')
      .slice(-15)
      .join('\n');
    throw new EnvironmentError({
      code: 'ENV_COMMAND_FAILED',
      message: `${options.what} failed (${command} exited ${result.status ?? result.signal}):\n${output}`,
    });
  }
  return String(result.stdout ?? '');
}

export async function waitFor(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs: number,
  hint: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline)
      throw new EnvironmentError({
        code: 'ENV_NOT_READY',
        message: `${what} did not become ready in ${timeoutMs / 1000} s`,
        hint,
      });
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** Like `run`, without blocking the event loop (for steps that run side by side). */
export function runAsync(
  command: string,
  args: string[],
  options: { what: string; input?: string; env?: NodeJS.ProcessEnv },
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'], env: options.env ?? process.env });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stdin.end(options.input ?? '');
    child.on('error', reject);
    child.on('close', (status, signal) => {
      if (status === 0) return resolve(output);
      const tail = output.trim().split('\n').slice(-15).join('\n');
      reject(
        new EnvironmentError({
          code: 'ENV_COMMAND_FAILED',
          message: `${options.what} failed (${command} exited ${status ?? signal}):\n${tail}`,
        }),
      );
    });
  });
}
