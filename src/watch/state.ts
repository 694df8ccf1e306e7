import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';

export interface WatchState {
  /** The last commit whose workers were all published, with their catalogs: a restart resumes from there. */
  lastPublished: string | undefined;
  head: string | undefined;
  lastRun:
    | {
        at: string;
        head: string;
        ok: boolean;
        pushed: string[];
        unchanged: number;
        failed: Array<{ id: string; code: string }>;
      }
    | undefined;
}

export async function readWatchState(directory: string): Promise<WatchState> {
  try {
    return JSON.parse(await readFile(path.join(directory, 'watch.json'), 'utf8')) as WatchState;
  } catch {
    return { lastPublished: undefined, head: undefined, lastRun: undefined };
  }
}

export async function writeWatchState(directory: string, state: WatchState): Promise<void> {
  await mkdir(directory, { recursive: true });
  const file = path.join(directory, 'watch.json');
  await writeFile(`${file}.tmp`, `${JSON.stringify(state, null, 2)}\n`);
  await rename(`${file}.tmp`, file);
}
