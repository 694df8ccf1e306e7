import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  defaultStateDirectory,
  emptyState,
  readUpdateState,
  writeUpdateState,
  type UpdateState,
} from '../../../src/update/state.js';

describe('update state', () => {
  it('round-trips, written aside and renamed (nothing left beside it)', async () => {
    const directory = path.join(await mkdtemp(path.join(tmpdir(), 'neurons-update-state-')), 'nested');
    expect(await readUpdateState(directory)).toEqual(emptyState());
    const state: UpdateState = {
      format: 'neurons-update-state/1',
      serials: { abc: 4 },
      sources: {
        'https://x/': {
          updated: '2026-01-01T00:00:00.000Z',
          probe: 'index.json',
          etag: '"1"',
          key: 'abc',
          serial: 4,
          expires: '2026-02-01T00:00:00.000Z',
          workers: [
            {
              kind: 'analyzer',
              id: 'A_1_0',
              name: 'A',
              version: '1.0',
              image: 'r/a:1',
              digest: 'sha256:1',
              pulled: true,
            },
          ],
        },
      },
    };
    await writeUpdateState(directory, state);
    expect(await readUpdateState(directory)).toEqual(state);
    expect(await readdir(directory)).toEqual(['state.json']);
  });

  it('refuses a state it did not write, with a hint', async () => {
    const directory = await mkdtemp(path.join(tmpdir(), 'neurons-update-state-'));
    await writeFile(path.join(directory, 'state.json'), '{"workers": []}');
    await expect(readUpdateState(directory)).rejects.toMatchObject({ code: 'UPDATE_STATE_INVALID' });
    await writeFile(path.join(directory, 'state.json'), '{');
    await expect(readUpdateState(directory)).rejects.toMatchObject({ code: 'UPDATE_STATE_INVALID' });
    expect(await readFile(path.join(directory, 'state.json'), 'utf8')).toBe('{');
  });

  it('lives under XDG_STATE_HOME by default', () => {
    expect(defaultStateDirectory({ XDG_STATE_HOME: '/s', HOME: '/h' })).toBe(path.join('/s', 'neurons', 'update'));
    expect(defaultStateDirectory({ HOME: '/h' })).toBe(path.join('/h', '.local', 'state', 'neurons', 'update'));
  });
});
