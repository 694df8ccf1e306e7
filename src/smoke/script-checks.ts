import type Docker from 'dockerode';
import path from 'node:path';
import type { Flavor, WorkerFolder } from '../definitions/types.js';
import { IMPORT_CHECK_SCRIPT, lastReport } from './python-imports.js';
import { logTail, runContainer, type ContainerRun } from '../runner/run-container.js';
import type { SmokeCase } from './run-smoke-job.js';

/**
 * A check of the worker's script besides its job, decided from the image's entry point: Python imports, Node
 * syntax. It names what a failed job may hide (a module missing only on the paths the job did not take).
 */
export interface ScriptCheck {
  type: 'python' | 'node';
  interpreter: string;
  script: string;
}

/**
 * Python and Node entry points (`python3 <script>`, `node <script>`) get their script checked; any other entry point
 * has no check of its own (its job is the test). An image without an entry point falls back to the folder's runtime
 * and the flavor's command under /worker, as the generated images lay it out.
 */
export function chooseScriptCheck(
  image: { entrypoint: string[]; workingDir: string },
  worker: WorkerFolder,
  flavor: Flavor,
): ScriptCheck | undefined {
  const [program, ...args] = image.entrypoint;
  if (program === undefined) {
    const script = path.posix.join('/worker', flavor.definition.command);
    if (worker.runtime === 'python') return { type: 'python', interpreter: 'python3', script };
    if (worker.runtime === 'node') return { type: 'node', interpreter: 'node', script };
    return undefined;
  }
  const name = path.posix.basename(program);
  const type = /^python(3(\.\d+)?)?$/.test(name) ? 'python' : name === 'node' || name === 'nodejs' ? 'node' : undefined;
  const script = type ? scriptArgument(args, image.workingDir) : undefined;
  return type && script ? { type, interpreter: program, script } : undefined;
}

/** The first argument that is not an option; none for `-m module`, `-c code`, `-e code`. */
function scriptArgument(args: string[], workingDir: string): string | undefined {
  for (const arg of args) {
    if (['-m', '-c', '-e', '--eval', '-p', '--print'].includes(arg)) return undefined;
    if (!arg.startsWith('-')) return path.posix.resolve(workingDir || '/', arg);
  }
  return undefined;
}

/** Case names in results and problem messages. */
const CHECK_NAMES = { python: 'imports', node: 'syntax' } as const;

/** The process that checks a script: Python's imports (without running the worker), Node's syntax. */
export function scriptCheckArgv(check: ScriptCheck): string[] {
  return check.type === 'python'
    ? [check.interpreter, '-c', IMPORT_CHECK_SCRIPT, check.script]
    : [check.interpreter, '--check', check.script];
}

export async function runScriptCheck(
  docker: Docker,
  image: string,
  check: ScriptCheck,
  options: { timeoutMs: number; network: string },
): Promise<SmokeCase> {
  try {
    const run = await runContainer(docker, {
      image,
      network: options.network,
      timeoutMs: options.timeoutMs,
      entrypoint: scriptCheckArgv(check),
      cmd: [],
    });
    return judgeScriptCheck(check, run, options.timeoutMs);
  } catch (error) {
    return {
      name: CHECK_NAMES[check.type],
      passed: false,
      detail: `the container did not start: ${(error as Error).message}`,
    };
  }
}

/** What a finished check says: every top-level import found, or the syntax accepted. */
export function judgeScriptCheck(check: ScriptCheck, run: ContainerRun, timeoutMs: number): SmokeCase {
  return check.type === 'python'
    ? judgeImports(run, check.script, timeoutMs)
    : judgeExit('syntax', run, `node --check ${check.script} passed`, timeoutMs);
}

function judgeImports(run: ContainerRun, script: string, timeoutMs: number): SmokeCase {
  const report = lastReport(run.logs, ['checked', 'missing']);
  if (run.timedOut || !report) return judgeExit('imports', run, '', timeoutMs);
  if (report.missing.length > 0)
    return {
      name: 'imports',
      passed: false,
      detail: `${script} imports modules the image does not have: ${report.missing.join(', ')}`,
    };
  return {
    name: 'imports',
    passed: true,
    detail: `every top-level import of ${script} resolves${report.checked.length ? `: ${report.checked.join(', ')}` : ' (none)'}`,
  };
}

function judgeExit(name: string, run: ContainerRun, passDetail: string, timeoutMs: number): SmokeCase {
  if (run.timedOut)
    return {
      name,
      passed: false,
      detail: `timed out after ${Math.round(timeoutMs / 1000)} s: the container was killed${logTail(run.logs)}`,
    };
  if (run.exitCode === 0) return { name, passed: true, detail: passDetail };
  return { name, passed: false, detail: `exit code ${run.exitCode ?? '?'}${logTail(run.logs)}` };
}
