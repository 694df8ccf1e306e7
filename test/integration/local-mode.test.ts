import Docker from 'dockerode';
import { appendFile, mkdtemp, readdir, readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildInputLabel } from '../../src/inputs/build-inputs.js';
import { workerIdLabel } from '../../src/images/worker-labels.js';
import { Terminal } from '@xterm/headless';
import {
  copyFixture,
  environmentState,
  root,
  runCli,
  runCommand,
  uniqueNamespace,
  type CliResult,
} from '../helpers/environment.js';
import { removeReferences } from '../helpers/test-images.js';

const docker = new Docker();
const namespace = uniqueNamespace('local');
const workers = { FileTriage: 'filetriage', UrlInspect: 'urlinspect' } as const;

interface Summary {
  folderBuilds: number;
  outcomes: Array<{ id: string; status: string; reasons: string[]; buildInputDigest: string }>;
}

function summaryOf(result: CliResult): Summary {
  const events = result.stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as { type: string });
  return events.find((event) => event.type === 'summary') as unknown as Summary;
}

/** Local mode with nothing that names a registry: no configuration file and an empty environment folder. */
describe('pipeline --local: images in the engine only, no registry', () => {
  let repo: string;
  let output: string;
  let saved: string;
  let env: NodeJS.ProcessEnv;
  const pipeline = (): Promise<CliResult> =>
    runCli(
      [
        'pipeline',
        '--local',
        '--repo',
        repo,
        '--namespace',
        namespace,
        '--only',
        'FileTriage',
        '--only',
        'UrlInspect',
        '--output',
        output,
        '--save',
        saved,
        '--allow-partial',
        '--json',
      ],
      env,
    );

  beforeAll(async () => {
    const state = await environmentState();
    repo = await copyFixture();
    output = path.join(repo, 'out');
    saved = path.join(repo, 'saved');
    // The base images come from the environment's registry (the engine pulls them); the images go nowhere.
    env = {
      NEURONS_ENV_DIR: await mkdtemp(path.join(tmpdir(), 'neurons-no-env-')),
      NEURONS_BASE_PYTHON: state.baseImages.python,
      NEURONS_BASE_NODE: state.baseImages.node,
      NEURONS_BASE_GO: state.baseImages.go,
    };
  });

  afterAll(async () => {
    await removeReferences(docker, (reference) => reference.startsWith(`localhost/${namespace}/`));
  });

  it('builds every image into the engine under localhost/NS, labelled with its build inputs', async () => {
    const result = await pipeline();
    expect(result.status, result.stderr).toBe(0);
    const summary = summaryOf(result);
    expect(summary.outcomes.map((outcome) => [outcome.id, outcome.status])).toEqual([
      ['FileTriage_1_0', 'built'],
      ['UrlInspect_1_0', 'built'],
    ]);
    for (const [directory, name] of Object.entries(workers)) {
      const outcome = summary.outcomes.find((item) => item.id === `${directory}_1_0`);
      for (const tag of ['1', '1.0']) {
        const image = await docker.getImage(`localhost/${namespace}/${name}:${tag}`).inspect();
        expect(image.Config.Labels?.[buildInputLabel]).toBe(outcome?.buildInputDigest);
        expect(image.Config.Labels?.[workerIdLabel]).toBe(`${directory}_1_0`);
      }
      // `--save`: one archive per image, naming all its tags, as `docker load` reads it.
      const manifest = await runCommand('tar', ['-xOf', path.join(saved, `${name}_1.0.tar`), 'manifest.json']);
      expect(
        (JSON.parse(manifest.stdout) as Array<{ RepoTags: string[] }>).flatMap((item) => item.RepoTags).sort(),
      ).toEqual([`localhost/${namespace}/${name}:1`, `localhost/${namespace}/${name}:1.0`]);
    }
    expect((await readdir(saved)).sort()).toEqual(['filetriage_1.0.tar', 'urlinspect_1.0.tar']);
  });

  it('writes catalogs naming the local images, verified by their labels in the engine', async () => {
    const catalog = JSON.parse(await readFile(path.join(output, 'analyzers.json'), 'utf8')) as Array<{
      name: string;
      dockerImage: string;
    }>;
    expect(catalog.map((entry) => [entry.name, entry.dockerImage])).toEqual([
      ['FileTriage', `localhost/${namespace}/filetriage:1`],
      ['UrlInspect', `localhost/${namespace}/urlinspect:1`],
    ]);
    const index = JSON.parse(await readFile(path.join(output, 'index.json'), 'utf8')) as {
      registry: string;
      flavors: Array<{ id: string; digest?: string; verified?: boolean }>;
    };
    expect(index.registry).toBe(`localhost/${namespace}`);
    const image = await docker.getImage(`localhost/${namespace}/urlinspect:1`).inspect();
    expect(index.flavors.find((flavor) => flavor.id === 'UrlInspect_1_0')).toMatchObject({
      digest: image.Id,
      verified: true,
    });
  });

  it('runs a worker of the catalog from the engine, and the updater installs it by its local name', async () => {
    const run = await runCli(
      [
        'run',
        'UrlInspect_1_0',
        '--catalog',
        path.join(output, 'analyzers.json'),
        '--data',
        'http://user@10.0.0.1:8081/a.exe',
        '--data-type',
        'url',
      ],
      env,
    );
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toContain(`localhost/${namespace}/urlinspect:1`);
    expect(run.stdout).toContain('success');
    const installed = await mkdtemp(path.join(tmpdir(), 'neurons-cortex-'));
    const update = await runCli(
      [
        'update',
        '--catalog',
        output,
        '--install',
        installed,
        '--state',
        await mkdtemp(path.join(tmpdir(), 'neurons-state-')),
      ],
      env,
    );
    expect(update.status, update.stderr).toBe(0);
    const entries = JSON.parse(await readFile(path.join(installed, 'analyzers.json'), 'utf8')) as Array<{
      dockerImage: string;
    }>;
    expect(entries.map((entry) => entry.dockerImage)).toEqual([
      `localhost/${namespace}/filetriage:1`,
      `localhost/${namespace}/urlinspect:1`,
    ]);
  });

  it('does nothing when nothing changed, and rebuilds only the worker whose files changed', async () => {
    const again = await pipeline();
    expect(again.status, again.stderr).toBe(0);
    const unchanged = summaryOf(again);
    expect(unchanged.folderBuilds).toBe(0);
    expect(unchanged.outcomes.map((outcome) => outcome.status)).toEqual(['unchanged', 'unchanged']);

    await appendFile(path.join(repo, 'analyzers', 'FileTriage', 'filetriage.py'), '\n# changed\n');
    const before = await stat(path.join(saved, 'urlinspect_1.0.tar'));
    const changed = summaryOf(await pipeline());
    expect(changed.outcomes.map((outcome) => [outcome.id, outcome.status, outcome.reasons])).toEqual([
      ['FileTriage_1_0', 'built', ['files']],
      ['UrlInspect_1_0', 'unchanged', []],
    ]);
    // Only what was built is saved again.
    expect((await stat(path.join(saved, 'urlinspect_1.0.tar'))).mtimeMs).toBe(before.mtimeMs);
  });

  it('shows a live view of the running workers on a terminal, and leaves only the finished lines and the summary', async () => {
    await appendFile(path.join(repo, 'analyzers', 'UrlInspect', 'index.js'), '\n// changed for the live view\n');
    // A real pseudo-terminal (util-linux `script`) of 100x30, outside CI: what a user at a terminal gets.
    const command = [
      path.join(root, 'bin', 'neurons'),
      'build',
      '--local',
      '--repo',
      repo,
      '--namespace',
      namespace,
      '--only',
      'UrlInspect',
    ]
      .map((part) => `'${part.replaceAll("'", "'\\''")}'`)
      .join(' ');
    const result = await runCommand(
      'script',
      ['-qefc', `unset CI GITHUB_ACTIONS; stty cols 100 rows 30; exec ${command}`, '/dev/null'],
      { ...env, TERM: 'xterm-256color' },
    );
    expect(result.status, result.stdout).toBe(0);
    // The block was drawn while the folder built, with the worker and its elapsed time, the cursor hidden meanwhile.
    expect(result.stdout).toContain('\x1b[?25l');
    expect(result.stdout).toMatch(/\d+ running, \d+ queued, \d+ done, \d+ unchanged, \d+ failed {2}\d+ s/);
    expect(result.stdout).toMatch(/ {2}building analyzers\/UrlInspect {2}\d+ s/);
    const term = new Terminal({ cols: 100, rows: 30, allowProposedApi: true });
    await new Promise<void>((resolve) => term.write(result.stdout, resolve));
    const screen: string[] = [];
    for (let row = 0; row < term.buffer.active.length; row += 1)
      screen.push(term.buffer.active.getLine(row)?.translateToString(true) ?? '');
    // What stays on the screen: the finished flavor and the summary table; the block is gone, the cursor shown.
    expect(screen.some((line) => /^done {5}UrlInspect_1_0/.test(line))).toBe(true);
    expect(screen.some((line) => /^UrlInspect_1_0\s+built\s+files/.test(line))).toBe(true);
    expect(screen.some((line) => /running, \d+ queued/.test(line))).toBe(false);
    expect(result.stdout.lastIndexOf('\x1b[?25h')).toBeGreaterThan(result.stdout.lastIndexOf('\x1b[?25l'));
  });
});
