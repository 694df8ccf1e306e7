import { devNull } from 'node:os';
import { NeuronsError } from '../errors/neurons-error.js';
import { registerSecret } from '../util/mask.js';
import { printable } from '../util/printable.js';
import {
  hostPythonCacheFile,
  hostPythonSignature,
  recallHostPython,
  rememberHostPython,
  type HostPython,
} from './host-python-cache.js';
import { baseEnvironment, runTool, type ToolResult } from './run-tool.js';
import type { PackageIndexSettings } from './types.js';

/** The index password, and any a URL carries in its userinfo all the same: what must show nowhere. */
export function indexSecrets(index: PackageIndexSettings | undefined): string[] {
  const inUrl = (url: string | undefined): string => {
    try {
      return url ? decodeURIComponent(new URL(url).password) : '';
    } catch {
      return '';
    }
  };
  return [index?.password ?? '', inUrl(index?.url), inUrl(index?.extraUrl)].filter((secret) => secret !== '');
}

/** An index URL with the credentials in its userinfo: for pip's environment only. */
function withCredentials(url: string, index: PackageIndexSettings): string {
  if (index.username === undefined && index.password === undefined) return url;
  const parsed = new URL(url);
  parsed.username = encodeURIComponent(index.username ?? '');
  parsed.password = encodeURIComponent(index.password ?? '');
  return parsed.toString();
}

/**
 * pip's environment: no configuration file of the user or the machine (their constraints, find-links and extra
 * indexes would change what a worker gets), the index with its credentials (never on the command line, which any
 * local user can read), and the CA to trust it.
 */
export function pipEnvironment(index: PackageIndexSettings | undefined): NodeJS.ProcessEnv {
  for (const secret of indexSecrets(index)) registerSecret(secret);
  return {
    ...baseEnvironment(),
    PIP_CONFIG_FILE: devNull,
    PIP_DISABLE_PIP_VERSION_CHECK: '1',
    PIP_NO_INPUT: '1',
    PIP_ROOT_USER_ACTION: 'ignore',
    PYTHONDONTWRITEBYTECODE: '1',
    ...(index ? { PIP_INDEX_URL: withCredentials(index.url, index) } : {}),
    ...(index?.extraUrl ? { PIP_EXTRA_INDEX_URL: withCredentials(index.extraUrl, index) } : {}),
    ...(index?.caFile ? { PIP_CERT: index.caFile } : {}),
  };
}

let hostPython: Promise<HostPython> | undefined;

/**
 * The host's Python itself, not a launcher in front of it (a pyenv shim runs `pyenv rehash` after each pip install,
 * and two installs at once then fail on its lock: "cannot rehash: shims isn't writable", seen under load), and its
 * `X.Y`. One question for both, once per process; its answer is remembered between runs (hostPythonCacheFile) while
 * nothing it depends on changed: a launcher like pyenv's takes a good part of a second and a few dozen processes to
 * answer.
 */
function findHostPython(): Promise<HostPython> {
  hostPython ??= askHostPython(baseEnvironment(), hostPythonCacheFile(process.env));
  return hostPython;
}

/** The question of findHostPython, asked in `env` (from `/`) unless `cacheFile` remembers its answer. */
export async function askHostPython(env: NodeJS.ProcessEnv, cacheFile: string): Promise<HostPython> {
  const signature = await hostPythonSignature(env).catch(() => undefined);
  const known = signature ? await recallHostPython(cacheFile, signature) : undefined;
  if (known) return known;
  const answer = await runTool(
    'python3',
    ['-c', 'import sys; print(sys.executable); print("%d.%d" % sys.version_info[:2])'],
    { cwd: '/', env },
  ).then(
    (result): HostPython => {
      const [executable = '', version = ''] = result.stdout.trim().split('\n');
      if (result.status !== 0) return { executable: 'python3', version: undefined };
      return { executable: executable.startsWith('/') ? executable : 'python3', version: version.trim() || undefined };
    },
    // No Python on this host (the toolkit's own image): no bytecode from here; a pip run says so itself.
    (): HostPython => ({ executable: 'python3', version: undefined }),
  );
  if (signature) await rememberHostPython(cacheFile, signature, answer).catch(() => undefined);
  return answer;
}

async function hostInterpreter(): Promise<string> {
  return (await findHostPython()).executable;
}

/** The host Python's `X.Y`: bytecode it compiles loads in an image's Python of the same `X.Y` only. */
export async function hostPythonVersion(): Promise<string | undefined> {
  return (await findHostPython()).version;
}

/** Whether dependency layers for an image's Python `X.Y` get bytecode: the host compiles it for its own `X.Y` only. */
export async function compilesBytecodeFor(pythonVersion: string | undefined): Promise<boolean> {
  return pythonVersion !== undefined && (await hostPythonVersion()) === pythonVersion;
}

/**
 * Compiles the `.py` files under `folder` to bytecode for the image, so that no job compiles them again: hash-based
 * files that are not checked against their source (PEP 552; a layer's times are all zero), the image's paths in them
 * (`folder` read as `imagePath`), string hashing fixed (`PYTHONHASHSEED=0`) so that the same files give the same
 * bytes. A file that does not compile (Python 2 code some packages ship) is left without; that is not a failure.
 */
export async function compileBytecode(folder: string, imagePath: string): Promise<void> {
  await runTool(
    await hostInterpreter(),
    ['-m', 'compileall', '-q', '--invalidation-mode', 'unchecked-hash', '-s', folder, '-p', imagePath, folder],
    { cwd: folder, env: { ...baseEnvironment(), PYTHONHASHSEED: '0' } },
  );
}

/** Runs the host's `python3 -m pip`. */
export async function runPip(
  args: string[],
  options: { cwd: string; index: PackageIndexSettings | undefined },
): Promise<ToolResult> {
  return runTool(await hostInterpreter(), ['-m', 'pip', ...args], {
    cwd: options.cwd,
    env: pipEnvironment(options.index),
  });
}

/** The requirement pip found no distribution for, when that is why it failed. */
export function missingDistribution(stderr: string): string | undefined {
  return /No matching distribution found for (\S+)/.exec(stderr)?.[1];
}

/** A pip failure as the user sees it: its last lines, secrets masked. */
export function pipFailure(result: ToolResult, what: string, file: string): NeuronsError {
  const lines = printable(`${result.stderr}\n${result.stdout}`)
    .split('\n')
    .map((line) => line.trimEnd())
    .filter(Boolean);
  return new NeuronsError({
    code: 'DEPS_PIP_FAILED',
    file,
    message: `pip could not ${what} (exit ${result.status}): ${lines.slice(-6).join(' | ')}`,
    hint: 'check the requirements file and the package index settings (URL, credentials, CA); the host needs python3 with pip 22.2 or later',
  });
}

let hostPaths: Promise<string[]> | undefined;

/**
 * Where the host's interpreter lives, when that is a place of its own (pyenv, a venv, a build folder): a layer
 * naming it would carry a path of this machine. System places (/usr) are what the image has too.
 */
export function hostPythonPaths(): Promise<string[]> {
  // Asked of the interpreter itself, not of `python3` on PATH: a launcher (pyenv's shim) takes a good part of a second.
  hostPaths ??= hostInterpreter()
    .then((interpreter) =>
      runTool(interpreter, ['-c', 'import sys; print(sys.prefix); print(sys.base_prefix)'], {
        cwd: '/',
        env: baseEnvironment(),
      }),
    )
    .then((result) =>
      [...new Set(result.stdout.split('\n').map((line) => line.trim()))].filter(
        (line) => line.length > 1 && !/^\/usr(\/|$)/.test(line),
      ),
    );
  return hostPaths;
}
