import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { discoverRepository } from '../../src/definitions/discover.js';
import { argvFromPluginSettings } from '../../src/cli/plugin-settings.js';
import { assignShards, estimateCosts, parseShard } from '../../src/plan/shards.js';

describe('shards', () => {
  const costs = new Map(
    Array.from(
      { length: 40 },
      (_, index) => [`analyzers/W${String(index).padStart(2, '0')}`, 1_000 + ((index * 7919) % 997) * 10] as const,
    ),
  );

  it('places every folder exactly once, in balanced shards, the same way every time', () => {
    const shards = assignShards(costs, 4);
    expect(shards.flatMap((shard) => shard.folders).sort()).toEqual([...costs.keys()].sort());
    const loads = shards.map((shard) => shard.cost);
    expect(Math.max(...loads) - Math.min(...loads)).toBeLessThanOrEqual(Math.max(...costs.values()));
    expect(assignShards(new Map([...costs].reverse()), 4)).toEqual(shards);
  });

  it('gives empty shards when there are more shards than folders', () => {
    expect(assignShards(new Map([['analyzers/A', 1]]), 3).map((shard) => shard.folders)).toEqual([
      ['analyzers/A'],
      [],
      [],
    ]);
  });

  it('reads i/N and refuses anything else', () => {
    expect(parseShard('2/4')).toEqual({ index: 2, count: 4 });
    for (const bad of ['0/4', '5/4', '2', 'a/b', '1/0'])
      expect(() => parseShard(bad)).toThrow(expect.objectContaining({ code: 'USAGE' }));
  });
});

describe('Drone plugin settings', () => {
  it('map PLUGIN_* variables to a command line, credentials to the environment only', () => {
    const env: NodeJS.ProcessEnv = {
      PLUGIN_COMMAND: 'push',
      PLUGIN_REPO: '.',
      PLUGIN_ONLY: 'HashCalc, TagCase',
      PLUGIN_DRY_RUN: 'true',
      PLUGIN_FORCE: 'false',
      PLUGIN_PASSWORD: 's3cret',
      PLUGIN_USERNAME: 'ci',
      HOME: '/root',
    };
    expect(argvFromPluginSettings(env)).toEqual([
      'push',
      '--dry-run',
      '--only',
      'HashCalc',
      '--only',
      'TagCase',
      '--repo',
      '.',
    ]);
    expect(env['NEURONS_REGISTRY_PASSWORD']).toBe('s3cret');
    expect(env['NEURONS_REGISTRY_USERNAME']).toBe('ci');
    expect(argvFromPluginSettings({ HOME: '/root' })).toBeUndefined();
    expect(argvFromPluginSettings({ PLUGIN_REPO: 'x' })).toEqual(['pipeline', '--repo', 'x']);
  });
});

describe('a plan of the real corpus', () => {
  const corpus = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../shared/corpus/cortex-analyzers');
  it.skipIf(!existsSync(corpus))('puts 431 flavors into 8 shards within 15% of the mean estimated cost', async () => {
    const discovery = await discoverRepository(corpus, { definitionsOnly: true });
    const costs = await estimateCosts(corpus, discovery.workers);
    const shards = assignShards(costs, 8);
    expect(shards.flatMap((shard) => shard.folders)).toHaveLength(196);
    const mean = shards.reduce((sum, shard) => sum + shard.cost, 0) / shards.length;
    for (const shard of shards) expect(Math.abs(shard.cost - mean) / mean).toBeLessThan(0.15);
  });
});
