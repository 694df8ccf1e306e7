import { createHash } from 'node:crypto';
import { mkdir, readFile, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';
import { writeFileAtomic } from '../util/atomic-file.js';
import { cacheDirectory } from '../util/cache-directory.js';

/** The host's Python as a launcher named it: the interpreter itself and its `X.Y`. */
export interface HostPython {
  executable: string;
  version: string | undefined;
}

interface Remembered {
  format: 1;
  signature: string;
  executable: string;
  version: string;
  /** The interpreter's file as it was: a reinstalled Python is asked again. */
  file: string;
}

/** Where the answer is remembered: `$XDG_CACHE_HOME/neurons/host-python.json` (or under `NEURONS_CACHE_DIR`). */
export function hostPythonCacheFile(env: NodeJS.ProcessEnv): string {
  return path.join(cacheDirectory(env), 'host-python.json');
}

/** A file as far as a change to it shows without reading it; `null` when there is none. */
async function fileState(file: string): Promise<string | null> {
  try {
    const found = await stat(file);
    return `${found.ino}:${found.size}:${found.mtimeMs}`;
  } catch {
    return null;
  }
}

/**
 * What decides the answer without asking: the PATH and home the question runs with (of the little its environment
 * passes on, what a launcher reads), the first `python3` on that PATH (a launcher, or the interpreter), and the files
 * by which version launchers choose one (pyenv's global `version`, and a `.python-version` or asdf's `.tool-versions`
 * in the home or in `/`, the question's working directory). Undefined without a `python3` on PATH: nothing to
 * remember.
 */
export async function hostPythonSignature(env: NodeJS.ProcessEnv): Promise<string | undefined> {
  const home = env['HOME'] || homedir();
  let launcher: { file: string; state: string } | undefined;
  for (const directory of (env['PATH'] ?? '').split(path.delimiter).filter(Boolean)) {
    const file = path.join(directory, 'python3');
    const state = await fileState(file);
    if (state) {
      launcher = { file, state };
      break;
    }
  }
  if (!launcher) return undefined;
  const choosers = [
    path.join(env['PYENV_ROOT'] || path.join(home, '.pyenv'), 'version'),
    path.join(home, '.python-version'),
    path.join(home, '.tool-versions'),
    '/.python-version',
    '/.tool-versions',
  ];
  const states = await Promise.all(choosers.map(async (file) => [file, await fileState(file)]));
  return createHash('sha256')
    .update(JSON.stringify({ path: env['PATH'] ?? '', home, launcher, choosers: states }))
    .digest('hex');
}

/** The answer remembered under `signature`, while the interpreter it names is the same file. */
export async function recallHostPython(cacheFile: string, signature: string): Promise<HostPython | undefined> {
  let remembered: Remembered;
  try {
    remembered = JSON.parse(await readFile(cacheFile, 'utf8')) as Remembered;
  } catch {
    return undefined;
  }
  if (remembered.format !== 1 || remembered.signature !== signature) return undefined;
  if (typeof remembered.executable !== 'string' || !remembered.executable.startsWith('/')) return undefined;
  if ((await fileState(remembered.executable)) !== remembered.file) return undefined;
  return { executable: remembered.executable, version: remembered.version };
}

/** Remembers an answer that names an interpreter by its path, with its version. */
export async function rememberHostPython(cacheFile: string, signature: string, answer: HostPython): Promise<void> {
  if (!answer.executable.startsWith('/') || answer.version === undefined) return;
  const file = await fileState(answer.executable);
  if (!file) return;
  const remembered: Remembered = {
    format: 1,
    signature,
    executable: answer.executable,
    version: answer.version,
    file,
  };
  await mkdir(path.dirname(cacheFile), { recursive: true });
  await writeFileAtomic(cacheFile, `${JSON.stringify(remembered)}\n`);
}
