import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WorkerFolder } from '../../../src/definitions/types.js';
import { checkOrder } from '../../../src/detect/detect.js';
import type { BuildUnit } from '../../../src/plan/build-plan.js';
import { writeFiles } from '../../helpers/test-images.js';

let repo: string;

beforeAll(async () => {
  repo = await mkdtemp(path.join(tmpdir(), 'neurons-check-order-'));
  await writeFiles(repo, {
    'analyzers/A/requirements.txt': 'cortexutils\nrequests\n',
    'analyzers/B/requirements.txt': 'cortexutils\nrequests\n',
    'analyzers/C/requirements.txt': 'cortexutils\nrequests\n',
    // The last folder alone with a heavy set: its resolution should not wait for every folder before it.
    'analyzers/D/requirements.txt': 'cortexutils\nrequests\nheavylib\n',
    'analyzers/E/other.txt': 'cortexutils\nrequests\n',
    'analyzers/F/package.json': '{}\n',
  });
});

afterAll(async () => {
  await rm(repo, { recursive: true, force: true });
});

/** A unit of `name` (its folder under analyzers/) with that requirements file, or none. */
const unit = (name: string, requirements: string | undefined, runtime = 'python'): BuildUnit =>
  ({
    worker: { path: `analyzers/${name}`, runtime } as unknown as WorkerFolder,
    requirements,
    flavors: [],
  }) as BuildUnit;

describe('checkOrder', () => {
  it('checks first one unit per distinct requirements file (by content), then the others, in plan order', async () => {
    const units = [
      unit('A', 'requirements.txt'),
      unit('B', 'requirements.txt'),
      unit('C', 'requirements.txt'),
      unit('D', 'requirements.txt'),
      // Another file name with the same content: the same set.
      unit('E', 'other.txt'),
      unit('F', undefined, 'node'),
      // A file that is not there reads as empty, like a unit without one of the same runtime.
      unit('G', 'requirements.txt'),
    ];
    const order = (await checkOrder(repo, units)).map((item) => item.worker.path.split('/')[1]);
    expect(order).toEqual(['A', 'D', 'F', 'G', 'B', 'C', 'E']);
  });
});
