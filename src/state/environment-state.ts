import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';
import { registerSecret } from '../util/mask.js';

/**
 * What `neurons env up` started, recorded so that every command can fall back to it when the configuration
 * names no registry: the local environment is the embedded default.
 */
export interface EnvironmentState {
  version: 1;
  directory: string;
  /** The private CA that issued the registry's and the package index's certificates. */
  caFile: string;
  registry: {
    /** `host:port` as used in image references. */
    host: string;
    username: string;
    password: string;
    namespace: string;
  };
  /** A second registry (same CA and credentials), for runs that push to a primary and a mirror. */
  mirror: { host: string };
  baseImages: { python: string; go: string; node: string };
  /**
   * The platforms each base image has, by runtime (`python`, `go`, `node`, `toolkit`), e.g. `linux/arm64`. Absent
   * from a state written before base images had several platforms (they were linux/amd64 only).
   */
  basePlatforms?: Record<string, string[]>;
  /** The base of the toolkit's own image (`npm run image -- --base ...`). */
  toolkitBase?: string;
  packageIndex: {
    /** Index URL without credentials, e.g. `https://127.0.0.1:5444/simple/`. */
    url: string;
    username: string;
    password: string;
  };
  pids: Record<string, number>;
}

export function environmentDirectory(env: NodeJS.ProcessEnv): string {
  if (env['NEURONS_ENV_DIR']) return path.resolve(env['NEURONS_ENV_DIR']);
  const stateHome = env['XDG_STATE_HOME'] || path.join(env['HOME'] || homedir(), '.local', 'state');
  return path.join(stateHome, 'neurons', 'env');
}

export function stateFile(directory: string): string {
  return path.join(directory, 'state.json');
}

export async function readEnvironmentState(directory: string): Promise<EnvironmentState | undefined> {
  let text: string;
  try {
    text = await readFile(stateFile(directory), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const state = JSON.parse(text) as EnvironmentState;
  registerSecret(state.registry.password);
  registerSecret(state.packageIndex.password);
  return state;
}

export async function writeEnvironmentState(state: EnvironmentState): Promise<void> {
  await mkdir(state.directory, { recursive: true });
  const target = stateFile(state.directory);
  // Written aside then renamed: a reader never sees half a file. 0600: it holds credentials.
  await writeFile(`${target}.tmp`, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  await rename(`${target}.tmp`, target);
}
