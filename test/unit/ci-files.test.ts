import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments, parse } from 'yaml';
import { parseInvocation } from '../../src/cli/main.js';
import { root } from '../helpers/environment.js';

/** Every `neurons ...` command line in a text, with CI expressions replaced by plausible values. */
function neuronsInvocations(line: string): string[][] {
  const expanded = line.replace(/\$\{\{\s*matrix\.shard\s*\}\}/g, '1/8').replace(/\$\{\{\s*github\.repository\s*\}\}/g, 'acme/workers').replace(/\$\{\{\s*github\.event\.number\s*\}\}/g, '7');
  return [...expanded.matchAll(/neurons ([^)"\n]*)/g)].map((match) => (match[1] ?? '').trim().split(/\s+/));
}

async function expectValid(lines: string[]): Promise<void> {
  // Every npx runs this package at this version: the npm name `neurons` is someone else's package.
  const { version } = JSON.parse(await readFile(path.join(root, 'package.json'), 'utf8')) as { version: string };
  for (const line of lines.filter((text) => text.includes('npx'))) expect(line).toMatch(new RegExp(`npx --yes --package=cortex-neurons@${version.replaceAll('.', '\\.')} neurons `));
  const invocations = lines.flatMap(neuronsInvocations);
  expect(invocations.length).toBeGreaterThan(0);
  for (const argv of invocations) {
    const parsed = await parseInvocation(argv);
    expect('error' in parsed ? `${argv.join(' ')}: ${parsed.error}` : 'ok').toBe('ok');
  }
}

interface DroneStep {
  name: string;
  image: string;
  commands: string[];
  depends_on?: string[];
}

describe('CI files shipped for worker repositories', () => {
  it('.drone.yml: Drone 1.x pipelines whose every neurons command line is a valid invocation', async () => {
    const documents = parseAllDocuments(await readFile(path.join(root, '.drone.yml'), 'utf8')).map((document) => document.toJS() as Record<string, unknown>);
    expect(documents.map((document) => document['name'])).toEqual(['devel', 'stable', 'nightly']);
    for (const pipeline of documents) {
      expect(pipeline).toMatchObject({ kind: 'pipeline', type: 'docker' });
      expect(pipeline['trigger']).toBeDefined();
      expect((pipeline['services'] as Array<{ image: string }>)[0]?.image).toBe('docker:dind');
      const steps = pipeline['steps'] as DroneStep[];
      const names = steps.map((step) => step.name);
      expect(new Set(names).size).toBe(names.length);
      for (const step of steps) {
        expect(step.image).toBeTruthy();
        for (const dependency of step.depends_on ?? []) expect(names).toContain(dependency);
      }
      await expectValid(steps.flatMap((step) => step.commands));
      // Shard steps cover 1..N of the same N, as `neurons plan --format drone` names them.
      const shards = names.filter((name) => name.startsWith('build-shard-'));
      const count = Number(shards[0]?.split('-of-')[1] ?? 0);
      expect(shards).toEqual(Array.from({ length: count }, (_, index) => `build-shard-${index + 1}-of-${count}`));
    }
  });

  it('docs/github-actions.yml: a workflow whose every neurons command line is a valid invocation', async () => {
    const workflow = parse(await readFile(path.join(root, 'docs', 'github-actions.yml'), 'utf8')) as { jobs: Record<string, { steps: Array<{ run?: string }> }> };
    expect(Object.keys(workflow.jobs)).toEqual(['plan', 'build', 'catalog']);
    await expectValid(Object.values(workflow.jobs).flatMap((job) => job.steps.flatMap((step) => (step.run ? [step.run] : []))));
  });

  it('refuses what is not a valid invocation', async () => {
    expect(await parseInvocation(['push', '--shard'])).toHaveProperty('error');
    expect(await parseInvocation(['nope'])).toHaveProperty('error');
    expect(await parseInvocation(['catalog', '--no-such-option'])).toHaveProperty('error');
  });
});
