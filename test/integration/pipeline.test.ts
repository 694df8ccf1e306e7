import Docker from 'dockerode';
import { cp, mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EnvironmentState } from '../../src/state/environment-state.js';
import { pullImage } from '../../src/runner/pull-image.js';
import { runJob } from '../../src/runner/run-job.js';
import {
  copyFixture,
  environmentState,
  registryClient,
  runCli,
  uniqueNamespace,
  type CliResult,
} from '../helpers/environment.js';
import { inNamespace, removeReferences } from '../helpers/test-images.js';

interface FixtureFlavor {
  kind: string;
  directory: string;
  file: string;
  definition: Record<string, unknown> & { name: string; version: string };
}

async function fixtureFlavors(repo: string): Promise<FixtureFlavor[]> {
  const flavors: FixtureFlavor[] = [];
  for (const kind of ['analyzers', 'responders']) {
    for (const directory of (await readdir(path.join(repo, kind))).sort()) {
      for (const file of (await readdir(path.join(repo, kind, directory)))
        .filter((name) => name.endsWith('.json') && !['package.json', 'package-lock.json'].includes(name))
        .sort()) {
        const definition = JSON.parse(
          await readFile(path.join(repo, kind, directory, file), 'utf8'),
        ) as FixtureFlavor['definition'];
        flavors.push({ kind, directory, file, definition });
      }
    }
  }
  return flavors;
}

describe('pipeline on the fixture repository, against the real engine and TLS registry', () => {
  const docker = new Docker();
  let state: EnvironmentState;
  let repo: string;
  let output: string;
  let namespace: string;
  let result: CliResult;
  let flavors: FixtureFlavor[];

  beforeAll(async () => {
    state = await environmentState();
    repo = await copyFixture();
    output = path.join(repo, 'out');
    namespace = uniqueNamespace('it');
    flavors = await fixtureFlavors(repo);
    result = await runCli(['pipeline', '--repo', repo, '--output', output, '--namespace', namespace, '--json']);
    // Images assembled in the registry are not in the engine: it gets them as a Cortex host does, by pulling.
    if (result.status === 0)
      for (const { definition } of flavors)
        await pullImage(
          docker,
          `${state.registry.host}/${namespace}/${definition.name.toLowerCase()}:${definition.version}`,
          process.env,
        );
  });

  afterAll(async () => {
    // Local copies only: the registry keeps what was pushed (each run has its own namespace).
    await removeReferences(docker, inNamespace(namespace));
  });

  it('exits 0 and reports every flavor pushed', () => {
    expect(result.stderr).not.toMatch(/FAILED|internal error/);
    expect(result.status).toBe(0);
    const lines = result.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { type: string });
    expect(lines.filter((line) => line.type === 'progress').length).toBeGreaterThan(flavors.length);
    const report = lines.at(-1) as unknown as {
      type: string;
      outcomes: Array<{ id: string; status: string }>;
      folderBuilds: number;
    };
    expect(report.type).toBe('summary');
    expect(report.outcomes.map((outcome) => outcome.status)).toEqual(flavors.map(() => 'pushed'));
    // One folder build per folder, not per flavor: the fixture has a folder with three flavors.
    const folders = new Set(flavors.map((flavor) => `${flavor.kind}/${flavor.directory}`));
    expect(flavors.length).toBeGreaterThan(folders.size);
    expect(report.folderBuilds).toBe(folders.size);
  });

  it('pushed every tag of every flavor to the registry', async () => {
    const client = registryClient(state);
    try {
      for (const { definition } of flavors) {
        const parts = definition.version.split('.');
        const tags = [definition.version, ...(parts.length === 3 ? [parts.slice(0, 2).join('.')] : []), parts[0] ?? ''];
        for (const tag of tags) {
          const manifest = await client.headManifest(`${namespace}/${definition.name.toLowerCase()}`, tag);
          expect(manifest?.digest, `${definition.name}:${tag}`).toMatch(/^sha256:[0-9a-f]{64}$/);
        }
      }
      expect(await client.headManifest(`${namespace}/no-such-worker`, '1')).toBeUndefined();
    } finally {
      await client.close();
    }
  });

  it('writes catalogs in the engine format: definition minus command, plus dockerImage last', async () => {
    for (const kind of ['analyzers', 'responders']) {
      const expected = flavors.filter((flavor) => flavor.kind === kind);
      const catalog = JSON.parse(await readFile(path.join(output, `${kind}.json`), 'utf8')) as Array<
        Record<string, unknown>
      >;
      const stable = JSON.parse(await readFile(path.join(output, `${kind}-stable.json`), 'utf8')) as Array<
        Record<string, unknown>
      >;
      expect(catalog.map((entry) => entry['name'])).toEqual(expected.map((flavor) => flavor.definition.name));
      for (const [index, entry] of catalog.entries()) {
        const { definition } = expected[index] as FixtureFlavor;
        const { command: _command, ...rest } = definition;
        const image = `${state.registry.host}/${namespace}/${definition.name.toLowerCase()}`;
        expect(entry).toEqual({ ...rest, dockerImage: `${image}:${definition.version.split('.')[0]}` });
        expect(Object.keys(entry).at(-1)).toBe('dockerImage');
        expect(stable[index]?.['dockerImage']).toBe(`${image}:${definition.version}`);
      }
    }
  });

  it('never prints a credential', () => {
    for (const secret of [state.registry.password, state.packageIndex.password]) {
      expect(result.stdout).not.toContain(secret);
      expect(result.stderr).not.toContain(secret);
    }
  });

  it('keeps the package index credentials out of the final images', async () => {
    // The Python workers that install requirements from the authenticated index.
    for (const { definition } of flavors.filter((flavor) =>
      ['HashCalc', 'EmailHeaders', 'TagCase'].includes(flavor.directory),
    )) {
      const image = docker.getImage(
        `${state.registry.host}/${namespace}/${definition.name.toLowerCase()}:${definition.version}`,
      );
      const metadata = JSON.stringify([await image.inspect(), await image.history()]);
      expect(metadata).not.toContain(state.packageIndex.password);
      expect(metadata).not.toContain('PIP_INDEX_URL');
    }
  });

  it('ships Python final stages with no compiler, no pip cache, no build files, and a pinned base', async () => {
    for (const { directory, definition } of flavors.filter((flavor) =>
      ['HashCalc', 'EmailHeaders', 'TagCase', 'FileTriage'].includes(flavor.directory),
    )) {
      const reference = `${state.registry.host}/${namespace}/${definition.name.toLowerCase()}:${definition.version}`;
      const check =
        'for c in gcc cc make; do command -v $c && exit 1; done; test ! -e /root/.cache/pip && test ! -e /build && test ! -e /worker/*/.neurons && echo clean';
      const container = await docker.createContainer({
        Image: reference,
        Entrypoint: ['sh', '-c', check],
        HostConfig: { NetworkMode: 'host' },
      });
      await container.start();
      const { StatusCode } = (await container.wait()) as { StatusCode: number };
      const logs = (await container.logs({ stdout: true, stderr: true })).toString();
      await container.remove();
      expect(StatusCode, `${directory}: ${logs}`).toBe(0);
      const labels = (await docker.getImage(reference).inspect()).Config.Labels ?? {};
      expect(labels['io.neurons.build-input-digest']).toMatch(/^sha256:[0-9a-f]{64}$/);
      expect(labels['io.neurons.worker-id']).toBe(`${definition.name}_${definition.version.replaceAll('.', '_')}`);
      expect(labels['org.opencontainers.image.version']).toBe(definition.version);
    }
    // The generated FROM pins the base image by digest.
    const history = JSON.stringify(
      await docker.getImage(`${state.registry.host}/${namespace}/hashcalc_md5:1.0`).history(),
    );
    expect(history).not.toContain('PIP_INDEX_URL');
  });

  it('pulls each image back from the TLS registry with credentials and runs its sample job as the engine does', async () => {
    const auth = {
      username: state.registry.username,
      password: state.registry.password,
      serveraddress: state.registry.host,
    };
    let ran = 0;
    for (const { kind, directory, definition } of flavors) {
      const reference = `${state.registry.host}/${namespace}/${definition.name.toLowerCase()}:${definition.version.split('.')[0]}`;
      await docker
        .getImage(reference)
        .remove({ force: true })
        .catch(() => undefined);
      await expect(docker.getImage(reference).inspect()).rejects.toThrow();
      const stream = await docker.pull(reference, { authconfig: auth });
      await new Promise((resolve, reject) =>
        docker.modem.followProgress(stream, (error) => (error ? reject(error) : resolve(undefined))),
      );
      const testsDirectory = path.join(repo, kind, directory, 'tests');
      const [sample] = (await readdir(testsDirectory)).sort();
      if (!sample) continue;
      const job = await mkdtemp(path.join(tmpdir(), 'neurons-job-'));
      await cp(path.join(testsDirectory, sample), job, { recursive: true });
      // A multi-flavor folder's flavor is chosen by its `config`, which the engine merges into the job's config.
      const input = JSON.parse(await readFile(path.join(job, 'input', 'input.json'), 'utf8')) as {
        config?: Record<string, unknown>;
      };
      input.config = { ...(definition['config'] as Record<string, unknown> | undefined), ...input.config };
      await writeFile(path.join(job, 'input', 'input.json'), JSON.stringify(input));
      const run = await runJob(docker, reference, job, { timeoutMs: 60_000, network: 'host' });
      expect(run.output, `${definition.name}: ${run.logs}`).toMatchObject({ success: true });
      expect(run.exitCode).toBe(0);
      ran += 1;
    }
    expect(ran).toBe(flavors.length);
  });
});
