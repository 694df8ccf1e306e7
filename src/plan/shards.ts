import path from 'node:path';
import type { WorkerFolder } from '../definitions/types.js';
import { UsageError } from '../errors/neurons-error.js';
import { folderBytes } from '../util/folder-bytes.js';

export interface Shard {
  /** 1-based, as CI systems count. */
  index: number;
  folders: string[];
  cost: number;
}

/** `i/N`, 1 <= i <= N. */
export function parseShard(value: string): { index: number; count: number } {
  const match = /^(\d+)\/(\d+)$/.exec(value);
  const index = Number(match?.[1]);
  const count = Number(match?.[2]);
  if (!match || count < 1 || index < 1 || index > count)
    throw new UsageError({
      code: 'USAGE',
      message: `--shard takes i/N with 1 <= i <= N, not '${value}'`,
      hint: 'e.g. --shard 2/4',
    });
  return { index, count };
}

/**
 * An estimate of each folder's build cost: its flavors (each a thin image, a smoke test and pushes) and its size
 * (the context to send and hash), so that shards take about the same time.
 */
export async function estimateCosts(repo: string, workers: WorkerFolder[]): Promise<Map<string, number>> {
  const costs = new Map<string, number>();
  for (const worker of workers)
    costs.set(
      worker.path,
      1_000_000 + worker.flavors.length * 250_000 + (await folderBytes(path.join(repo, worker.path))),
    );
  return costs;
}

/**
 * Splits every folder (not only the changed ones) into `count` shards, greedily by cost, largest first: the split
 * depends only on the repository, so runners that compute it separately agree, and each shard then decides by
 * itself what to rebuild. Deterministic for the same inputs.
 */
export function assignShards(costs: Map<string, number>, count: number): Shard[] {
  const shards: Shard[] = Array.from({ length: count }, (_, index) => ({ index: index + 1, folders: [], cost: 0 }));
  const ordered = [...costs].sort(([a, costA], [b, costB]) => costB - costA || a.localeCompare(b));
  for (const [folder, cost] of ordered) {
    const lightest = shards.reduce((best, shard) => (shard.cost < best.cost ? shard : best));
    lightest.folders.push(folder);
    lightest.cost += cost;
  }
  for (const shard of shards) shard.folders.sort();
  return shards;
}
