import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';
import { NeuronsError } from '../errors/neurons-error.js';
import type { InstalledWorker } from './compare.js';

/** What one catalog source looked like when it was last applied, and how it was applied. */
export interface SourceState {
  updated: string;
  /** The file whose ETag is remembered: `index.json`, or the catalog itself when there is no index. */
  probe: string;
  etag?: string;
  /** Fingerprint of the public key the index was verified with; absent: not verified. */
  key?: string;
  registryPrefix?: string;
  serial?: number;
  expires?: string;
  workers: InstalledWorker[];
  /** What `--install DIR` wrote for the engine; absent when the last update installed nothing. */
  install?: InstallRecord;
}

/** The catalogs installed for the engine by the last update of a source, so the next run knows what DIR holds. */
export interface InstallRecord {
  /** Absolute path of DIR. */
  directory: string;
  /** Whether images were pinned by digest (false: `--no-pin`). */
  pinned: boolean;
  /** SHA-256 (hex) of each file written, by name (`analyzers.json`, `responders.json`). */
  files: Record<string, string>;
  /** Kinds whose file changed and that Cortex has not yet been told to rescan (`--cortex-url`). */
  rescanPending: Array<'analyzer' | 'responder'>;
}

/** `state.json` in the state folder: one entry per catalog source, so one folder serves several catalogs. */
export interface UpdateState {
  format: 'neurons-update-state/1';
  /** Highest index serial accepted per signing key (whatever the source): a replayed index is refused everywhere. */
  serials: Record<string, number>;
  sources: Record<string, SourceState>;
}

export const stateFileName = 'state.json';

export function defaultStateDirectory(env: NodeJS.ProcessEnv): string {
  const stateHome = env['XDG_STATE_HOME'] || path.join(env['HOME'] || homedir(), '.local', 'state');
  return path.join(stateHome, 'neurons', 'update');
}

export function emptyState(): UpdateState {
  return { format: 'neurons-update-state/1', serials: {}, sources: {} };
}

/** The state of the last update; an empty one the first time. */
export async function readUpdateState(directory: string): Promise<UpdateState> {
  const file = path.join(directory, stateFileName);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return emptyState();
    throw new NeuronsError({
      code: 'UPDATE_STATE_UNREADABLE',
      file,
      message: `cannot read the update state: ${(error as Error).message}`,
      hint: 'check the permissions of the --state folder',
    });
  }
  let value: Partial<UpdateState>;
  try {
    value = JSON.parse(text) as Partial<UpdateState>;
  } catch (error) {
    throw new NeuronsError({
      code: 'UPDATE_STATE_INVALID',
      file,
      message: `the update state is not JSON: ${(error as Error).message}`,
      hint: 'remove the file: the next update starts afresh (every worker is then "added")',
    });
  }
  if (
    value.format !== 'neurons-update-state/1' ||
    typeof value.sources !== 'object' ||
    typeof value.serials !== 'object'
  ) {
    throw new NeuronsError({
      code: 'UPDATE_STATE_INVALID',
      file,
      message: 'not an update state written by this version of neurons',
      hint: 'remove the file, or give another --state folder',
    });
  }
  return value as UpdateState;
}

/** Written aside then renamed: a reader (or a crash) never sees half a state. */
export async function writeUpdateState(directory: string, state: UpdateState): Promise<void> {
  await mkdir(directory, { recursive: true });
  const file = path.join(directory, stateFileName);
  const aside = path.join(directory, `.${stateFileName}.${process.pid}.tmp`);
  await writeFile(aside, `${JSON.stringify(state, null, 2)}\n`);
  await rename(aside, file);
}
