import type Docker from 'dockerode';
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runContainer, type ContainerRun } from '../runner/run-container.js';
import { PYTHON_BATCH_DRIVER, pythonBatchPlan } from './python-batch.js';
import type { SharedNoNetwork } from './shared-network.js';

/** One process of a batch: what a container of its own would have run (entry point and arguments). */
export interface BatchRequest {
  /** The process; a job's gets its job folder as last argument, as the engine passes `/job`. */
  argv: string[];
  /** A job folder holding `input/`: the process gets a copy of it, and what it writes in `output/` comes back. */
  jobDirectory?: string;
}

/** Where the batch's folder is mounted: a path no image uses. */
const BATCH_ROOT = '/.neurons-smoke';

/** How often the batch's progress is read, to kill a process that outlives its time limit. */
const PROGRESS_POLL_MS = 200;

/** Quotes one word for a POSIX shell: between single quotes, each quote closed, escaped and reopened. */
export function shellWord(word: string): string {
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

/**
 * The shell program that runs every request in turn, in the image's working directory and environment, with no
 * other process than the request's own (under emulation each process start costs): a job gets its own folder under
 * the batch root (`job-<i>`, holding `input/` and an empty `output/`) as its argument. Each request leaves its log
 * (stdout and stderr interleaved) and, when it ends, its exit code (`exit-<i>`) in the batch root.
 */
export function batchScript(requests: BatchRequest[]): string {
  const lines = batchArgvs(requests).map(
    (argv, index) =>
      `${argv.map(shellWord).join(' ')} >${BATCH_ROOT}/log-${index} 2>&1 </dev/null; echo $? >${BATCH_ROOT}/exit-${index}`,
  );
  return `${lines.join('\n')}\n`;
}

/** Each request's process as it runs in the batch: a job's with its own job folder as last argument. */
function batchArgvs(requests: BatchRequest[]): string[][] {
  return requests.map((request, index) =>
    request.jobDirectory ? [...request.argv, `${BATCH_ROOT}/job-${index}`] : request.argv,
  );
}

/**
 * The batch's entry point: one Python interpreter that forks each request (python-batch.ts) when they all run the
 * same one, which spares every process but the first its interpreter start and imports; else a POSIX shell.
 */
async function batchEntrypoint(root: string, requests: BatchRequest[]): Promise<{ argv: string[]; ready?: string }> {
  const python = pythonBatchPlan(batchArgvs(requests));
  if (!python) return { argv: ['/bin/sh', '-c', batchScript(requests)] };
  await writeFile(path.join(root, 'plan.json'), JSON.stringify(python.plan));
  return { argv: [python.interpreter, '-c', PYTHON_BATCH_DRIVER, BATCH_ROOT], ready: path.join(root, 'ready') };
}

/**
 * Runs several processes of one image in a single container, one after the other: what costs most in a smoke test
 * on a small machine is starting a container and an interpreter, not the worker. A process that outlives `timeoutMs` is killed with
 * the container (it has timed out); a request the batch did not finish (after such a kill, or when the image has no
 * POSIX shell) has no result: the caller runs it in a container of its own.
 */
export async function runBatch(
  docker: Docker,
  options: {
    image: string;
    requests: BatchRequest[];
    network: string;
    timeoutMs: number;
    /** The run's shared namespace for batches without network (`none`). */
    sharedNetwork?: SharedNoNetwork | undefined;
  },
): Promise<(ContainerRun | undefined)[]> {
  const root = await mkdtemp(path.join(tmpdir(), 'neurons-smoke-batch-'));
  try {
    for (const [index, request] of options.requests.entries()) {
      if (!request.jobDirectory) continue;
      await cp(path.join(request.jobDirectory, 'input'), path.join(root, `job-${index}`, 'input'), { recursive: true });
      await mkdir(path.join(root, `job-${index}`, 'output'), { recursive: true });
    }
    let killedAt: number | undefined;
    const entrypoint = await batchEntrypoint(root, options.requests);
    await runContainer(docker, {
      image: options.image,
      entrypoint: entrypoint.argv,
      cmd: [],
      extraBinds: [`${root}:${BATCH_ROOT}`],
      network:
        options.network === 'none' && options.sharedNetwork
          ? await options.sharedNetwork.network(options.image)
          : options.network,
      // The watchdog below kills a process past its own limit; this bounds the whole should it fail to.
      timeoutMs: options.requests.length * (options.timeoutMs + 5000),
      supervise: (kill) =>
        watchProgress(root, options.timeoutMs, (finished) => {
          // Killed before the driver was ready: its preload hung, not a request (each runs again alone).
          killedAt = entrypoint.ready && !existsSync(entrypoint.ready) ? undefined : finished;
          kill();
        }),
    }).catch(() => undefined);
    return await Promise.all(
      options.requests.map(async (request, index) => {
        if (request.jobDirectory)
          await cp(path.join(root, `job-${index}`, 'output'), path.join(request.jobDirectory, 'output'), {
            recursive: true,
          }).catch(() => undefined);
        return readRun(root, index, index === killedAt);
      }),
    );
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

/**
 * Calls `kill` with the index of the running request once it has run `timeoutMs` (counted from the end of the one
 * before it). Returns the function that stops watching.
 */
function watchProgress(root: string, timeoutMs: number, kill: (running: number) => void): () => void {
  let finished = 0;
  let since = Date.now();
  const timer = setInterval(() => {
    void readdir(root).then(
      (names) => {
        const count = names.filter((name) => name.startsWith('exit-')).length;
        if (count > finished) {
          finished = count;
          since = Date.now();
        } else if (Date.now() - since > timeoutMs) {
          clearInterval(timer);
          kill(finished);
        }
      },
      () => undefined,
    );
  }, PROGRESS_POLL_MS);
  return () => clearInterval(timer);
}

async function readRun(root: string, index: number, killed: boolean): Promise<ContainerRun | undefined> {
  const logs = await readFile(path.join(root, `log-${index}`), 'utf8').catch(() => '');
  if (killed) return { exitCode: undefined, timedOut: true, logs };
  const exit = await readFile(path.join(root, `exit-${index}`), 'utf8').catch(() => undefined);
  const exitCode = exit === undefined ? Number.NaN : Number(exit.trim());
  return Number.isInteger(exitCode) ? { exitCode, timedOut: false, logs } : undefined;
}
