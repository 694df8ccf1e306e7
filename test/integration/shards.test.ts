import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { copyFixture, runCli, uniqueNamespace } from '../helpers/environment.js';

interface Summary {
  outcomes: Array<{ id: string; status: string }>;
}

const summaryOf = (stdout: string): Summary => JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as Summary;

describe('sharded builds: the pieces fit back together through the registry', () => {
  it('plans shards, builds each one apart, and one catalog lists everything', async () => {
    const repo = await copyFixture();
    const namespace = uniqueNamespace('shards');
    const env = { NEURONS_NAMESPACE: namespace };
    const plan = await runCli(['plan', '--repo', repo, '--shards', '3', '--format', 'github'], env);
    expect(plan.status, plan.stderr).toBe(0);
    const matrix = JSON.parse(plan.stdout) as { include: Array<{ shard: string; folders: string }> };
    expect(matrix.include.map((job) => job.shard)).toEqual(['1/3', '2/3', '3/3']);
    expect(matrix.include.flatMap((job) => job.folders.split(' ')).sort()).toHaveLength(8);
    const drone = await runCli(['plan', '--repo', repo, '--shards', '3', '--format', 'drone'], env);
    expect(drone.stdout.trim().split('\n')).toEqual(['build-shard-1-of-3', 'build-shard-2-of-3', 'build-shard-3-of-3']);

    // Three separate processes at once, on one engine, as three CI jobs would run.
    const runs = await Promise.all(
      matrix.include.map((job) =>
        runCli(['push', '--repo', repo, '--shard', job.shard, '--json', '--skip-tests'], env),
      ),
    );
    const built: string[] = [];
    for (const run of runs) {
      expect(run.status, run.stderr).toBe(0);
      built.push(
        ...summaryOf(run.stdout)
          .outcomes.filter((outcome) => outcome.status === 'pushed')
          .map((outcome) => outcome.id),
      );
    }
    // Disjoint shards that together cover every flavor.
    expect(new Set(built).size).toBe(built.length);
    expect(built).toHaveLength(10);

    const after = await runCli(['plan', '--repo', repo, '--shards', '3', '--format', 'github'], env);
    expect(JSON.parse(after.stdout)).toEqual({ include: [] });

    const out = path.join(repo, 'catalogs');
    const catalog = await runCli(['catalog', '--repo', repo, '--out', out], env);
    expect(catalog.status, catalog.stdout).toBe(0);
    const analyzers = JSON.parse(await readFile(path.join(out, 'analyzers.json'), 'utf8')) as unknown[];
    const responders = JSON.parse(await readFile(path.join(out, 'responders.json'), 'utf8')) as unknown[];
    expect(analyzers.length + responders.length).toBe(10);
    expect((await runCli(['pipeline', '--repo', repo, '--shard', '1/3'], env)).status).toBe(2);

    // The same catalogs as one unsharded run (in its own namespace).
    const single = uniqueNamespace('unsharded');
    const singleOut = path.join(repo, 'single');
    const unsharded = await runCli(['pipeline', '--repo', repo, '--output', singleOut, '--skip-tests'], {
      NEURONS_NAMESPACE: single,
    });
    expect(unsharded.status, unsharded.stderr).toBe(0);
    for (const file of ['analyzers.json', 'analyzers-stable.json', 'responders.json', 'responders-stable.json']) {
      const sharded = await readFile(path.join(out, file), 'utf8');
      expect((await readFile(path.join(singleOut, file), 'utf8')).replaceAll(`/${single}/`, `/${namespace}/`)).toBe(
        sharded,
      );
    }
  });
});
