import type Docker from 'dockerode';
import { cp, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runContainer, type ContainerRun } from '../runner/run-container.js';

/** One process of a batch: what a container of its own would have run (entry point and arguments). */
export interface BatchRequest {
  argv: string[];
  /** A job folder holding `input/`: copied to /job before the process starts, `output/` copied back after. */
  jobDirectory?: string;
}

/** Where the batch's own files are mounted: a path no image uses, beside the engine's /job. */
const BATCH_ROOT = '/.neurons-smoke';

/** Quotes one word for a POSIX shell: between single quotes, each quote closed, escaped and reopened. */
export function shellWord(word: string): string {
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

/**
 * The shell program that runs every request in turn, in the image's working directory and environment: each job gets
 * a clean /job (a bind mount, as in the engine) holding a copy of its `input/`, its process `/job` as argument, and a
 * time limit through `timeout` when the image has it. Each request leaves its log (stdout and stderr interleaved),
 * its exit code and its `output/` in its own folder under the batch root.
 */
export function batchScript(requests: BatchRequest[], timeoutSeconds: number): string {
  const lines = [
    `B=${BATCH_ROOT}`,
    `T=; if command -v timeout >/dev/null 2>&1; then T="timeout -k 2 ${timeoutSeconds}"; fi`,
    'run() {',
    '  i=$1; shift',
    '  if [ -d "$B/$i/input" ]; then',
    '    rm -rf /job/* /job/.[!.]* 2>/dev/null',
    '    cp -R "$B/$i/input" /job/input && mkdir -p /job/output',
    '  fi',
    '  $T "$@" >"$B/$i/log" 2>&1 </dev/null',
    '  code=$?',
    '  if [ -d "$B/$i/input" ] && [ -d /job/output ]; then cp -R /job/output "$B/$i/output"; fi',
    '  if [ -n "$T" ] && [ "$code" = 124 ]; then echo timeout >"$B/$i/exit"; else echo "$code" >"$B/$i/exit"; fi',
    '}',
    ...requests.map((request, index) => `run ${index} ${request.argv.map(shellWord).join(' ')}`),
  ];
  return `${lines.join('\n')}\n`;
}

/**
 * Runs several processes of one image in a single container, one after the other: what costs most in a smoke test
 * on a small machine is starting a container, not the worker. A request the batch could not finish (the container
 * was killed, or the image has no POSIX shell) has no result: the caller runs it in a container of its own.
 */
export async function runBatch(
  docker: Docker,
  options: { image: string; requests: BatchRequest[]; network: string; timeoutMs: number },
): Promise<(ContainerRun | undefined)[]> {
  const root = await mkdtemp(path.join(tmpdir(), 'neurons-smoke-batch-'));
  try {
    const jobMount = path.join(root, 'job');
    await mkdir(jobMount);
    for (const [index, request] of options.requests.entries()) {
      await mkdir(path.join(root, String(index)));
      if (request.jobDirectory)
        await cp(path.join(request.jobDirectory, 'input'), path.join(root, String(index), 'input'), {
          recursive: true,
        });
    }
    const seconds = Math.max(1, Math.ceil(options.timeoutMs / 1000));
    await runContainer(docker, {
      image: options.image,
      entrypoint: ['/bin/sh', '-c', batchScript(options.requests, seconds)],
      cmd: [],
      jobDirectory: jobMount,
      extraBinds: [`${root}:${BATCH_ROOT}`],
      network: options.network,
      // Each process has its own limit inside; this one only bounds the whole when the image has no `timeout`.
      timeoutMs: options.requests.length * (options.timeoutMs + 3000) + 10_000,
    }).catch(() => undefined);
    return await Promise.all(
      options.requests.map(async (request, index) => {
        const folder = path.join(root, String(index));
        if (request.jobDirectory)
          await cp(path.join(folder, 'output'), path.join(request.jobDirectory, 'output'), { recursive: true }).catch(
            () => undefined,
          );
        return readRun(folder);
      }),
    );
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

async function readRun(folder: string): Promise<ContainerRun | undefined> {
  const exit = await readFile(path.join(folder, 'exit'), 'utf8').catch(() => undefined);
  if (exit === undefined) return undefined;
  const logs = await readFile(path.join(folder, 'log'), 'utf8').catch(() => '');
  const code = exit.trim();
  if (code === 'timeout') return { exitCode: undefined, timedOut: true, logs };
  const exitCode = Number(code);
  return Number.isInteger(exitCode) ? { exitCode, timedOut: false, logs } : undefined;
}
