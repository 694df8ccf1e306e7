import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EnvironmentState } from '../../src/state/environment-state.js';
import { environmentState, registryClient, runCli, uniqueNamespace, type CliResult } from '../helpers/environment.js';

function definition(name: string, command: string, overrides: Record<string, unknown> = {}): string {
  const item = {
    name: 'limit',
    description: 'How many',
    type: 'number',
    multi: false,
    required: false,
    defaultValue: 3,
  };
  return JSON.stringify(
    {
      name,
      version: '1.0',
      author: 'Someone',
      url: 'https://example.org',
      license: 'AGPL-V3',
      description: name,
      dataTypeList: ['ip'],
      command,
      baseConfig: name,
      configurationItems: [item],
      ...overrides,
    },
    null,
    2,
  );
}

/** A configuration item whose default does not match its type: an error of that one definition. */
const wrongDefault = {
  configurationItems: [
    { name: 'limit', description: 'How many', type: 'number', multi: false, required: false, defaultValue: 'three' },
  ],
};

async function writeTree(root: string, files: Record<string, string>): Promise<void> {
  for (const [file, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(root, file)), { recursive: true });
    await writeFile(path.join(root, file), text);
  }
}

// The registry, namespace and credentials come from the environment, as in the other pipeline tests; one platform
// keeps the assembled images and their smoke tests short.
const common = ['--platform', 'linux/amd64'];

describe('adopting an imperfect repository', () => {
  let state: EnvironmentState;
  let repo: string;
  let namespace: string;
  let human: CliResult;
  let json: CliResult;

  beforeAll(async () => {
    state = await environmentState();
    repo = await mkdtemp(path.join(tmpdir(), 'neurons-adoption-'));
    namespace = uniqueNamespace('adopt');
    await writeTree(repo, {
      // Three flavors, one of them invalid: the two others are published.
      // A job worker as the engine runs it: the report in the job folder's output, as Cortex reads it.
      'analyzers/Trio/trio.py': [
        'import json, os, sys',
        'job = sys.argv[1] if len(sys.argv) > 1 else "/job"',
        'os.makedirs(os.path.join(job, "output"), exist_ok=True)',
        'with open(os.path.join(job, "output", "output.json"), "w") as report:',
        '    json.dump({"success": True, "full": {}, "summary": {"taxonomies": []}, "artifacts": []}, report)',
        '',
      ].join('\n'),
      'analyzers/Trio/README.md': '# Trio\n',
      'analyzers/Trio/Trio_A.json': definition('Trio_A', 'Trio/trio.py'),
      'analyzers/Trio/Trio_B.json': definition('Trio_B', 'Trio/trio.py', wrongDefault),
      'analyzers/Trio/Trio_C.json': definition('Trio_C', 'Trio/trio.py'),
      // A build that fails with a coloured error, as pip prints one.
      'analyzers/Broken/Dockerfile':
        "ARG NEURONS_BASE_PYTHON\nFROM ${NEURONS_BASE_PYTHON}\nRUN printf '\\033[31mERROR: 401 Credentials not correct\\033[0m\\n' >&2; exit 1\n",
      'analyzers/Broken/broken.py': '',
      'analyzers/Broken/README.md': '# Broken\n',
      'analyzers/Broken/Broken.json': definition('Broken', 'Broken/broken.py'),
      // An image whose entry script imports a module it does not have: the import check fails.
      'analyzers/Lacking/lacking.py': 'import no_such_module_for_neurons\n',
      'analyzers/Lacking/README.md': '# Lacking\n',
      'analyzers/Lacking/Lacking.json': definition('Lacking', 'Lacking/lacking.py'),
    });
    human = await runCli([
      'pipeline',
      '--repo',
      repo,
      '--namespace',
      namespace,
      '--output',
      path.join(repo, 'out'),
      ...common,
    ]);
    json = await runCli([
      'pipeline',
      '--repo',
      repo,
      '--namespace',
      namespace,
      '--output',
      path.join(repo, 'out'),
      '--json',
      ...common,
    ]);
  });

  afterAll(async () => {
    if (repo) await rm(repo, { recursive: true, force: true });
  });

  it('publishes the valid flavors of a folder, lists the invalid one with its code, and exits 1', async () => {
    expect(human.status, human.stderr).toBe(1);
    expect(human.stdout).toMatch(
      /Trio_B_1_0 +invalid +- +analyzers\/Trio\/Trio_B\.json:\d+:\d+ \(\/configurationItems\/0\/defaultValue\): DEF_DEFAULT_VALUE/,
    );
    expect(human.stdout).toMatch(/Trio_A_1_0 +pushed/);
    expect(human.stdout).toMatch(/Trio_C_1_0 +pushed/);
    expect(human.stderr).toMatch(/^error +analyzers\/Trio\/Trio_B\.json.*DEF_DEFAULT_VALUE/m);
    const client = registryClient(state);
    try {
      expect(await client.headManifest(`${namespace}/trio_a`, '1.0')).toBeDefined();
      expect(await client.headManifest(`${namespace}/trio_c`, '1.0')).toBeDefined();
      expect(await client.headManifest(`${namespace}/trio_b`, '1.0')).toBeUndefined();
    } finally {
      await client.close();
    }
  });

  it("shows a failed build's cause and an import check's missing module in the human output", () => {
    expect(human.stdout).toMatch(/Broken_1_0 +failed .*BUILD_FAILED/);
    expect(human.stdout).toMatch(/^ +\| ERROR: 401 Credentials not correct$/m);
    expect(human.stdout).toMatch(/Lacking_1_0 +failed .*SMOKE_FAILED/);
    expect(human.stdout).toContain('no_such_module_for_neurons');
    expect(`${human.stdout}${human.stderr}`).not.toContain('\u001b');
  });

  it('prints --json without terminal escapes, and with the invalid flavors', () => {
    expect(json.status).toBe(1);
    expect(json.stdout).toContain('401 Credentials not correct');
    expect(json.stdout).not.toMatch(/\u001b|\\u001b|\\u009b/);
    const summary = JSON.parse(json.stdout.trim().split('\n').at(-1) ?? '{}') as {
      invalid: Array<{ id: string; problems: Array<{ code: string }> }>;
    };
    expect(summary.invalid).toMatchObject([{ id: 'Trio_B_1_0', problems: [{ code: 'DEF_DEFAULT_VALUE' }] }]);
  });

  it('never prints a credential', () => {
    for (const secret of [state.registry.password, state.packageIndex.password]) {
      expect(`${human.stdout}${human.stderr}${json.stdout}${json.stderr}`).not.toContain(secret);
    }
  });

  it('passes with a baseline of the known problems, and fails on a new one', async () => {
    await rm(path.join(repo, 'analyzers/Broken'), { recursive: true });
    await rm(path.join(repo, 'analyzers/Lacking'), { recursive: true });
    const baseline = path.join(repo, 'baseline.json');
    expect((await runCli(['validate', '--repo', repo, '--write-baseline', baseline])).status).toBe(0);
    const args = [
      'pipeline',
      '--repo',
      repo,
      '--namespace',
      namespace,
      '--output',
      path.join(repo, 'out'),
      '--baseline',
      baseline,
      ...common,
    ];
    const known = await runCli(args);
    expect(known.status, `${known.stdout}${known.stderr}`).toBe(0);
    expect(known.stderr).toMatch(/^known +analyzers\/Trio\/Trio_B\.json.*DEF_DEFAULT_VALUE/m);
    expect(known.stdout).toMatch(/Trio_A_1_0 +unchanged/);

    await writeFile(path.join(repo, 'analyzers/Trio/Trio_C.json'), definition('Trio_C', 'Trio/trio.py', wrongDefault));
    const fresh = await runCli(args);
    expect(fresh.status).toBe(1);
    expect(fresh.stderr).toMatch(/^error +analyzers\/Trio\/Trio_C\.json.*DEF_DEFAULT_VALUE/m);
    expect(fresh.stdout).toMatch(/Trio_A_1_0 +unchanged/);
  });
});
