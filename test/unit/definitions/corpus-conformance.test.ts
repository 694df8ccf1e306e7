import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it, expect } from 'vitest';
import { discoverRepository } from '../../../src/definitions/discover.js';

// Optional: the real Cortex-Analyzers definitions, when this machine has them. Nothing depends on it.
// shared/ sits beside the repository's clone, in development and in CI alike.
const corpus =
  process.env['NEURONS_CORPUS'] ??
  path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../shared/corpus/cortex-analyzers');

describe.skipIf(!existsSync(corpus))('conformance with the Cortex-Analyzers definitions', () => {
  it('loads every definition the way the engine reads it', async () => {
    const discovery = await discoverRepository(corpus, { definitionsOnly: true });
    const flavors = discovery.workers.flatMap((worker) => worker.flavors);
    expect(flavors.length).toBeGreaterThan(400);
    expect(
      discovery.errors.filter((problem) => problem.code === 'DEF_JSON_SYNTAX' || problem.code === 'DEF_REQUIRED_FIELD'),
    ).toEqual([]);
    expect(new Set(flavors.map((flavor) => flavor.id)).size).toBe(flavors.length);
  });
});
