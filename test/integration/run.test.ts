import Docker from 'dockerode';
import { copyFile, mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildImage } from '../../src/engine/docker-build.js';
import { createTar } from '../../src/oci/tar.js';
import { discoverRepository } from '../../src/definitions/discover.js';
import type { Flavor, WorkerFolder } from '../../src/definitions/types.js';
import { createWorkerId } from '../../src/definitions/version.js';
import { copyFixture, environmentState, runCli, uniqueNamespace, type CliResult } from '../helpers/environment.js';

const docker = new Docker();

/**
 * A worker of its own for what the fixture cannot show: by its `data`, it sleeps (timeouts), prints to stderr and
 * writes no report (the engine's fallback), or reports what it sees of the CA bundle and writes a file artifact.
 */
const probe = `
import json, os, sys, time
job = sys.argv[1]
data = json.load(open(os.path.join(job, "input", "input.json")))["data"]
if data == "sleep":
    time.sleep(120)
if data == "silent":
    print("probe: something went wrong", file=sys.stderr)
    sys.exit(3)
bundle = os.environ.get("REQUESTS_CA_BUNDLE")
cacerts = open(bundle, newline="").read() if bundle else None
open(os.path.join(job, "output", "extra.txt"), "w").write("artifact")
json.dump({"success": True, "summary": {"taxonomies": []}, "full": {"bundle": bundle, "cacerts": cacerts}, "artifacts": [], "operations": []},
          open(os.path.join(job, "output", "output.json"), "w"))
`;

interface SampleCase {
  worker: WorkerFolder;
  flavor: Flavor;
  name: string;
  input: Record<string, unknown>;
  inputDirectory: string;
}

/** The CLI flags that give `neurons run` what a sample job's input.json holds. */
async function flagsFor(sample: SampleCase, scratch: string): Promise<string[]> {
  const { input } = sample;
  const flags = [
    '--data-type',
    String(input['dataType']),
    '--tlp',
    String(input['tlp']),
    '--pap',
    String(input['pap']),
    '--message',
    String(input['message'] ?? ''),
  ];
  if (typeof input['file'] === 'string') {
    // The worker sees the original name as `filename`: give the file under that name, as a user would.
    const original = path.join(await mkdtemp(path.join(scratch, 'file-')), String(input['filename']));
    await copyFile(path.join(sample.inputDirectory, input['file']), original);
    flags.push('--file', original);
  } else {
    flags.push('--data', typeof input['data'] === 'string' ? input['data'] : JSON.stringify(input['data']));
  }
  for (const [name, value] of Object.entries((input['config'] as Record<string, unknown> | undefined) ?? {})) {
    flags.push('--config', `${name}=${Array.isArray(value) ? value.join(',') : String(value)}`);
  }
  return flags;
}

function report(result: CliResult): Record<string, unknown> {
  try {
    return JSON.parse(result.stdout) as Record<string, unknown>;
  } catch {
    throw new Error(`stdout is not one JSON report (exit ${result.status}):\n${result.stdout}\n${result.stderr}`);
  }
}

describe('neurons run, against the real engine', () => {
  let repo: string;
  let scratch: string;
  let catalog: string;
  const samples: SampleCase[] = [];
  /** Worker id -> image, from the catalogs the pipeline wrote. */
  const images = new Map<string, string>();
  const probeImage = `neurons-run-test/probe:${uniqueNamespace('t')}`;
  const image = (flavor: Flavor): string => images.get(flavor.id) ?? `(no catalog entry for ${flavor.id})`;
  const definitionFile = (flavor: Flavor): string => path.join(repo, flavor.file);

  beforeAll(async () => {
    repo = await copyFixture();
    scratch = await mkdtemp(path.join(tmpdir(), 'neurons-run-test-'));
    const output = path.join(scratch, 'catalogs');
    const published = await runCli([
      'pipeline',
      '--repo',
      repo,
      '--namespace',
      uniqueNamespace('run'),
      '--output',
      output,
      '--skip-tests',
      '--json',
    ]);
    expect(published.status, published.stdout + published.stderr).toBe(0);
    catalog = path.join(output, 'analyzers.json');
    for (const file of ['analyzers.json', 'responders.json']) {
      for (const entry of JSON.parse(await readFile(path.join(output, file), 'utf8')) as Array<{
        name: string;
        version: string;
        dockerImage: string;
      }>) {
        images.set(createWorkerId(entry.name, entry.version), entry.dockerImage);
      }
    }

    const discovery = await discoverRepository(repo, { definitionsOnly: false });
    for (const worker of discovery.workers) {
      const casesRoot = path.join(repo, worker.path, 'tests');
      for (const name of (await readdir(casesRoot).catch(() => [])).sort()) {
        const inputDirectory = path.join(casesRoot, name, 'input');
        const input = JSON.parse(await readFile(path.join(inputDirectory, 'input.json'), 'utf8')) as Record<
          string,
          unknown
        >;
        // HashCalc's flavors differ by service: a case runs on the flavor of its own service.
        const service = (input['config'] as Record<string, unknown> | undefined)?.['service'];
        const flavor =
          worker.flavors.find(
            (candidate) => service === undefined || candidate.definition.config?.['service'] === service,
          ) ?? worker.flavors[0];
        if (flavor) samples.push({ worker, flavor, name, input, inputDirectory });
      }
    }

    // The environment's python base (an index of linux/amd64 and linux/arm64: the engine picks its own platform).
    const pythonBase = (await environmentState()).baseImages.python;
    const files = {
      Dockerfile: `FROM ${pythonBase}\nCOPY probe.py /probe.py\nENTRYPOINT ["python3", "/probe.py"]\n`,
      'probe.py': probe,
    };
    const context = createTar(
      Object.entries(files).map(([name, content]) => ({
        name,
        type: 'file' as const,
        mode: 0o644,
        data: Buffer.from(content),
      })),
    );
    await buildImage(docker, context, {
      tag: probeImage,
      dockerfile: 'Dockerfile',
      buildArgs: {},
      labels: {},
      registryAuth: {},
      file: 'probe',
    });
  });

  afterAll(async () => {
    await docker
      .getImage(probeImage)
      .remove({ force: true })
      .catch(() => undefined);
    await rm(scratch, { recursive: true, force: true });
    await rm(repo, { recursive: true, force: true });
  });

  it('runs every fixture worker on its sample jobs, Go adapter and files included', async () => {
    const covered = new Set(samples.map((sample) => sample.worker.directory));
    expect(covered).toEqual(
      new Set([
        'CaseTriage',
        'EmailHeaders',
        'FileTriage',
        'GoDomainCheck',
        'HashCalc',
        'IPClassifier',
        'TagCase',
        'UrlInspect',
      ]),
    );
    for (const sample of samples) {
      const result = await runCli([
        'run',
        image(sample.flavor),
        '--definition',
        definitionFile(sample.flavor),
        ...(await flagsFor(sample, scratch)),
        '--json',
      ]);
      const label = `${sample.flavor.id} ${sample.name}: ${result.stdout}${result.stderr}`;
      expect(result.status, label).toBe(0);
      expect(report(result)['success'], label).toBe(true);
    }
  });

  it('finds a worker by id in a catalog, and prints the human report', async () => {
    const sample = samples.find((candidate) => candidate.name === 'sha256-file') as SampleCase;
    const result = await runCli(['run', sample.flavor.id, '--catalog', catalog, ...(await flagsFor(sample, scratch))]);
    expect(result.status, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toContain(`${sample.flavor.id} (${image(sample.flavor)}) on file invoice.exe\nsuccess\n`);
    expect(result.stdout).toMatch(/HashCalc:SHA256 = "[0-9a-f]{64}"/);
  });

  it('reports an unknown worker id with its close matches (exit 2)', async () => {
    const result = await runCli([
      'run',
      'HashCalc_SHA256_1',
      '--catalog',
      catalog,
      '--data',
      'x',
      '--data-type',
      'domain',
    ]);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(
      "RUN_UNKNOWN_WORKER: no worker 'HashCalc_SHA256_1' in the catalog; close matches: HashCalc_SHA256_1_1",
    );
  });

  it("reports a worker failure cleanly (TLP above the flavor's max_tlp): exit 1", async () => {
    const flavor = samples.find((sample) => sample.worker.directory === 'IPClassifier')?.flavor as Flavor;
    const args = [
      'run',
      image(flavor),
      '--definition',
      definitionFile(flavor),
      '--data',
      '8.8.8.8',
      '--data-type',
      'ip',
      '--tlp',
      '3',
    ];
    const json = await runCli([...args, '--json']);
    expect(json.status).toBe(1);
    expect(report(json)).toMatchObject({ success: false, errorMessage: 'TLP is higher than allowed.' });
    const human = await runCli(args);
    expect(human.status).toBe(1);
    expect(human.stdout).toContain('failure: TLP is higher than allowed.');
  });

  it('refuses a data type the flavor does not accept, before running anything (exit 2)', async () => {
    const flavor = samples.find((sample) => sample.worker.directory === 'IPClassifier')?.flavor as Flavor;
    const result = await runCli([
      'run',
      image(flavor),
      '--definition',
      definitionFile(flavor),
      '--data',
      'example.org',
      '--data-type',
      'domain',
    ]);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('RUN_DATA_TYPE');
  });

  it('kills a job at --timeout and reports it', async () => {
    const started = Date.now();
    const result = await runCli([
      'run',
      probeImage,
      '--data',
      'sleep',
      '--data-type',
      'other',
      '--timeout',
      '2',
      '--json',
    ]);
    expect(result.status, result.stderr).toBe(1);
    expect(String(report(result)['errorMessage'])).toMatch(/^timeout: the job ran longer than 2 s and was killed/);
    expect(Date.now() - started).toBeLessThan(60_000);
  });

  it('reports the log tail when the worker writes no report, as the engine does', async () => {
    const result = await runCli(['run', probeImage, '--data', 'silent', '--data-type', 'other', '--json']);
    expect(result.status).toBe(1);
    expect(report(result)).toEqual({ success: false, errorMessage: 'probe: something went wrong' });
  });

  it('writes --ca to input/cacerts, points REQUESTS_CA_BUNDLE at it, lists output files and keeps the job with --keep', async () => {
    const state = await environmentState();
    const ca = await readFile(state.caFile, 'utf8');
    const result = await runCli([
      'run',
      probeImage,
      '--data',
      'example.org',
      '--data-type',
      'domain',
      '--ca',
      state.caFile,
      '--keep',
      '--json',
    ]);
    expect(result.status, result.stderr).toBe(0);
    expect(report(result)['full']).toEqual({ bundle: '/job/input/cacerts', cacerts: ca });
    const kept = /job folder kept: (.+)/.exec(result.stderr)?.[1] as string;
    expect(await readFile(path.join(kept, 'input', 'cacerts'), 'utf8')).toBe(ca);
    await rm(kept, { recursive: true, force: true });

    const human = await runCli(['run', probeImage, '--data', 'example.org', '--data-type', 'domain']);
    expect(human.stdout).toContain('files in output/: extra.txt');
    const plain = await runCli(['run', probeImage, '--data', 'example.org', '--data-type', 'domain', '--json']);
    expect(report(plain)['full']).toEqual({ bundle: null, cacerts: null });
  });

  it('pulls an image the engine does not have yet', async () => {
    const flavor = samples.find((sample) => sample.worker.directory === 'UrlInspect')?.flavor as Flavor;
    await docker
      .getImage(image(flavor))
      .remove({ force: true })
      .catch(() => undefined);
    const result = await runCli([
      'run',
      image(flavor),
      '--data',
      'https://example.org/',
      '--data-type',
      'url',
      '--json',
    ]);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stderr).toContain(`pulled ${image(flavor)}`);
  });

  it('writes no job folder when the flags are wrong, and reports every problem at once', async () => {
    const before = (await readdir(tmpdir())).filter((name) => name.startsWith('neurons-run-')).length;
    const result = await runCli([
      'run',
      probeImage,
      '--data',
      'x',
      '--tlp',
      '7',
      '--config',
      'novalue',
      '--ca',
      path.join(scratch, 'missing.pem'),
    ]);
    expect(result.status).toBe(2);
    for (const code of ['USAGE: --data-type is required', 'USAGE: --tlp', 'RUN_CONFIG_SYNTAX', 'RUN_CA_MISSING'])
      expect(result.stderr).toContain(code);
    expect((await readdir(tmpdir())).filter((name) => name.startsWith('neurons-run-')).length).toBe(before);
  });
});
