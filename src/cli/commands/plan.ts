import type { Command } from '../command.js';
import { UsageError } from '../../errors/neurons-error.js';
import { assignShards, estimateCosts } from '../../plan/shards.js';
import { detectFromOptions, detectionOptions } from './detect.js';
import { appendStepOutputs } from '../../github-actions/job-files.js';

// Commenting on a pull request is `detect --comment`'s: plan's output is for the CI, not for people.
const { comment: _comment, ...planDetectionOptions } = detectionOptions;

export const planCommand: Command = {
  name: 'plan',
  summary: 'Split the build into shards for parallel CI jobs, and say which shards have work to do',
  usage:
    'neurons plan [--repo DIR] [--config FILE] [--shards N] [--format text|json|github|drone] [--base REF] [--head REF] [--pr N] [--mode git|digest|auto] [--only DIR]... [--offline] [--baseline FILE] [--json]',
  options: {
    ...planDetectionOptions,
    shards: { type: 'string', value: 'N', description: 'how many shards (1 to 256)', default: '1' },
    format: {
      type: 'string',
      value: 'text|json|github|drone',
      description:
        'a table, every shard as JSON, a GitHub matrix of the busy shards (also written as the step output `matrix` when GITHUB_OUTPUT is set), or the names of their Drone steps',
      default: 'text (json with --json)',
    },
  },
  async run(io, values) {
    const count = Number(values['shards'] ?? 1);
    if (!Number.isInteger(count) || count < 1 || count > 256)
      throw new UsageError({
        code: 'USAGE',
        message: `--shards must be a whole number from 1 to 256, not ${String(values['shards'])}`,
        hint: 'GitHub allows at most 256 matrix jobs',
      });
    const format = String(values['format'] ?? (values['json'] ? 'json' : 'text'));
    if (!['text', 'json', 'github', 'drone'].includes(format))
      throw new UsageError({
        code: 'USAGE',
        message: `unknown --format '${format}'`,
        hint: 'use text, json, github or drone',
      });
    // Only problems the baseline does not list fail the plan (a CI's matrix step fails with it).
    const { repo, discovery, detection, newProblems } = await detectFromOptions(io, values);
    const rebuild = new Set(detection.rebuild.map((worker) => worker.path));
    const shards = assignShards(await estimateCosts(repo, discovery.workers), count).map((shard) => ({
      ...shard,
      shard: `${shard.index}/${count}`,
      rebuild: shard.folders.filter((folder) => rebuild.has(folder)),
    }));
    // Only shards with something to rebuild get a CI job; each one decides again by itself when it runs.
    const busy = shards.filter((shard) => shard.rebuild.length > 0);
    if (format === 'json')
      io.stdout.write(
        `${JSON.stringify({ shards, rebuild: [...rebuild], removed: detection.removed, mode: detection.mode })}\n`,
      );
    else if (format === 'github') {
      const matrix = JSON.stringify({
        include: busy.map((shard) => ({ shard: shard.shard, folders: shard.rebuild.join(' ') })),
      });
      io.stdout.write(`${matrix}\n`);
      // The workflow reads `steps.<id>.outputs.matrix` without echoing standard output into the file itself.
      await appendStepOutputs(io.env, { matrix });
    } else if (format === 'drone')
      for (const shard of busy) io.stdout.write(`build-shard-${shard.index}-of-${count}\n`);
    else {
      for (const shard of shards)
        io.stdout.write(
          `shard ${shard.shard}: ${shard.folders.length} folder(s), ${shard.rebuild.length} to rebuild${shard.rebuild.length > 0 ? `: ${shard.rebuild.join(' ')}` : ''}\n`,
        );
    }
    return newProblems > 0 ? 1 : 0;
  },
};
