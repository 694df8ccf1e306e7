import Docker from 'dockerode';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pullImage } from '../../src/runner/pull-image.js';
import { discoverRepository } from '../../src/definitions/discover.js';
import type { Flavor, Runtime, WorkerFolder } from '../../src/definitions/types.js';
import { smokeTestFlavor, type SmokeCase, type SmokeResult } from '../../src/smoke/smoke-test.js';
import { copyFixture, environmentState, runCli, uniqueNamespace } from '../helpers/environment.js';
import { buildWorkerImage, writeFiles } from '../helpers/test-images.js';

const docker = new Docker();
const network = 'none';
const job = (config: Record<string, unknown>): string =>
  JSON.stringify({ data: 'example.org', dataType: 'domain', tlp: 2, pap: 2, message: '', parameters: {}, config });

/** A worker folder of its own in `root`, with an image built from a base: just its files and an entry point. */
async function tinyWorker(
  root: string,
  tag: string,
  options: {
    directory: string;
    runtime: Runtime;
    base: string;
    files: Record<string, string>;
    command: string;
    entrypoint?: string[];
    dataTypeList?: string[];
  },
): Promise<{ worker: WorkerFolder; flavor: Flavor; image: string }> {
  const folder = `analyzers/${options.directory}`;
  await writeFiles(path.join(root, folder), options.files);
  const entrypoint = options.entrypoint ? `ENTRYPOINT ${JSON.stringify(options.entrypoint)}\n` : '';
  const dockerfile = `FROM ${options.base}\nWORKDIR /worker\nCOPY worker/ /worker/${options.directory}/\n${entrypoint}`;
  const image = `neurons-smoke-test/${options.directory.toLowerCase()}:${tag}`;
  await buildWorkerImage(docker, image, { dockerfile, files: options.files, file: folder });
  const definition = {
    name: options.directory,
    version: '1.0',
    author: 'test',
    url: '',
    license: 'AGPL-V3',
    description: '',
    dataTypeList: options.dataTypeList ?? ['domain'],
    command: `${options.directory}/${options.command}`,
    baseConfig: options.directory,
  };
  const flavor: Flavor = { file: `${folder}/${options.directory}.json`, definition, id: `${options.directory}_1_0` };
  return {
    worker: {
      kind: 'analyzer',
      directory: options.directory,
      path: folder,
      runtime: options.runtime,
      flavors: [flavor],
      definitionFiles: [flavor.file],
      errorCount: 0,
    },
    flavor,
    image,
  };
}

async function smokeTempFolders(): Promise<string[]> {
  return (await readdir(tmpdir())).filter((name) => name.startsWith('neurons-smoke-'));
}

describe('smoke test of built images, against the real engine', () => {
  const tag = uniqueNamespace('smoke');
  let repo: string;
  let tiny: string;
  let namespace: string;
  let host: string;
  let hashCalc: WorkerFolder;
  const images: string[] = [];
  const tinyWorkers: Record<string, Awaited<ReturnType<typeof tinyWorker>>> = {};
  let foldersBefore: string[];

  const sharedTmp = process.env['TMPDIR'];
  beforeAll(async () => {
    // The temporary job folders of this process's smoke tests go to a folder of its own: another run on the machine
    // (a CI checkout, a benchmark) makes and removes its own under the shared one meanwhile.
    process.env['TMPDIR'] = await mkdtemp(path.join(tmpdir(), 'neurons-smoke-isolated-'));
    host = (await environmentState()).registry.host;
    repo = await copyFixture();
    namespace = uniqueNamespace('smoke');
    const cases = path.join(repo, 'analyzers/HashCalc/tests');
    await writeFiles(cases, {
      // No `service` in the job: the flavor's config decides the algorithm.
      'merged-config/input/input.json': job({ check_tlp: false }),
      'unknown-service/input/input.json': job({ service: 'crc32' }),
      'unknown-service/expect.json': '{"success": false}',
    });
    await writeFiles(path.join(repo, 'analyzers/HashCalc/smoke-cases'), {
      'a-wrong-expectation/input/input.json': job({}),
      'a-wrong-expectation/expect.json': '{"success": false}',
      'b-fine/input/input.json': job({}),
    });
    const result = await runCli([
      'pipeline',
      '--repo',
      repo,
      '--output',
      path.join(repo, 'out'),
      '--namespace',
      namespace,
      '--only',
      'HashCalc',
    ]);
    const discovery = await discoverRepository(repo, { definitionsOnly: false });
    hashCalc = discovery.workers.find((worker) => worker.directory === 'HashCalc') as WorkerFolder;
    images.push(...hashCalc.flavors.map((flavor) => reference(flavor)));
    // With --only, the other workers' catalog entries are missing from this namespace (exit 1): only the build matters here.
    // Assembled in the registry: the engine gets the images by pulling them, as a Cortex host would.
    for (const image of images)
      await pullImage(docker, image, process.env).catch((error: unknown) =>
        expect.fail(`${String(error)}\n${result.stdout}${result.stderr}`),
      );
    for (const image of images)
      await expect(docker.getImage(image).inspect(), result.stdout + result.stderr).resolves.toBeDefined();

    tiny = await mkdtemp(path.join(tmpdir(), 'neurons-tiny-'));
    const python = `${host}/base/python:3.11-bookworm`;
    const node = `${host}/base/node:18-bookworm`;
    const specs: Array<Parameters<typeof tinyWorker>[2]> = [
      {
        directory: 'Crashes',
        runtime: 'python',
        base: python,
        command: 'crashes.py',
        entrypoint: ['python3', 'Crashes/crashes.py'],
        files: { 'crashes.py': 'raise RuntimeError("boom in the worker")\n', 'tests/any/input/input.json': job({}) },
      },
      {
        directory: 'Sleeps',
        runtime: 'python',
        base: python,
        command: 'sleeps.py',
        entrypoint: ['python3', 'Sleeps/sleeps.py'],
        files: { 'sleeps.py': 'import time\ntime.sleep(300)\n', 'tests/slow/input/input.json': job({}) },
      },
      {
        directory: 'MissingImport',
        runtime: 'python',
        base: python,
        command: 'worker.py',
        entrypoint: ['python3', 'MissingImport/worker.py'],
        files: {
          'worker.py':
            'from __future__ import annotations\nimport json, os.path\nfrom collections import OrderedDict\nfrom . import relative_only\nimport helper\nimport not_installed_module_xyz\ntry:\n    import optional_module_xyz\nexcept ImportError:\n    pass\n',
          'helper.py': 'VALUE = 1\n',
        },
      },
      {
        directory: 'BadSyntax',
        runtime: 'node',
        base: node,
        command: 'index.js',
        entrypoint: ['node', 'BadSyntax/index.js'],
        files: { 'index.js': 'function broken( {\n' },
      },
      {
        directory: 'GoodSyntax',
        runtime: 'node',
        base: node,
        command: 'index.js',
        entrypoint: ['node', 'GoodSyntax/index.js'],
        // Fails cleanly, as a worker without its API key does: a report all the same.
        files: {
          'index.js':
            'const fs = require("fs");\nfs.mkdirSync("/job/output", { recursive: true });\nfs.writeFileSync("/job/output/output.json", JSON.stringify({ success: false, errorMessage: "no API key configured" }));\n',
        },
      },
      {
        directory: 'FileReader',
        runtime: 'python',
        base: python,
        command: 'reader.py',
        entrypoint: ['python3', 'FileReader/reader.py'],
        dataTypeList: ['file', 'domain'],
        // Reports the attachment the engine names in input.json, so the test sees it was there.
        files: {
          'reader.py':
            'import json, os, sys\njob = sys.argv[1]\nwith open(os.path.join(job, "input", "input.json")) as handle:\n    job_input = json.load(handle)\nwith open(os.path.join(job, "input", job_input["file"])) as handle:\n    content = handle.read()\nos.makedirs(os.path.join(job, "output"), exist_ok=True)\nreport = {"success": True, "summary": {"taxonomies": [{"level": "info", "namespace": "File", "predicate": "Name", "value": job_input["filename"] + " " + job_input["contentType"] + " " + str(len(content))}]}, "full": {"content": content}}\nwith open(os.path.join(job, "output", "output.json"), "w") as handle:\n    json.dump(report, handle)\n',
        },
      },
      {
        directory: 'NoDataTypes',
        runtime: 'python',
        base: python,
        command: 'worker.py',
        entrypoint: ['python3', 'NoDataTypes/worker.py'],
        dataTypeList: [],
        files: { 'worker.py': 'pass\n' },
      },
      {
        directory: 'ExitsNonZero',
        runtime: 'go',
        base: python,
        command: 'check',
        entrypoint: ['/bin/sh', '-c', 'exit 3', '--'],
        files: { 'README.md': 'no code\n' },
      },
      {
        directory: 'NoBinary',
        runtime: 'go',
        base: python,
        command: 'check',
        entrypoint: ['/worker/NoBinary/check'],
        files: { 'README.md': 'no code\n' },
      },
      {
        directory: 'NoEntrypoint',
        runtime: 'custom',
        base: python,
        command: 'run.sh',
        files: { 'README.md': 'no code\n' },
      },
    ];
    for (const spec of specs) {
      tinyWorkers[spec.directory] = await tinyWorker(tiny, tag, spec);
      images.push(tinyWorkers[spec.directory]?.image ?? '');
    }
    foldersBefore = await smokeTempFolders();
  });

  afterAll(async () => {
    if (sharedTmp === undefined) delete process.env['TMPDIR'];
    else process.env['TMPDIR'] = sharedTmp;
    for (const image of images)
      await docker
        .getImage(image)
        .remove({ force: true })
        .catch(() => undefined);
    if (tiny) await rm(tiny, { recursive: true, force: true });
    if (repo) await rm(repo, { recursive: true, force: true });
  });

  function reference(flavor: Flavor): string {
    return `${host}/${namespace}/${flavor.definition.name.toLowerCase()}:${flavor.definition.version}`;
  }

  function flavorNamed(name: string): Flavor {
    return hashCalc.flavors.find((flavor) => flavor.definition.name === name) as Flavor;
  }

  async function smokeHashCalc(
    name: string,
    casesDirectory?: string,
    scriptChecks?: Map<string, Promise<SmokeCase>>,
  ): Promise<SmokeResult> {
    const flavor = flavorNamed(name);
    return smokeTestFlavor(docker, {
      image: reference(flavor),
      repo,
      worker: hashCalc,
      flavor,
      timeoutMs: 60_000,
      network,
      ...(casesDirectory ? { casesDirectory } : {}),
      ...(scriptChecks ? { scriptChecks } : {}),
    });
  }

  async function smokeTiny(
    directory: string,
    timeoutMs = 60_000,
    skip?: string,
    scriptChecks?: Map<string, Promise<SmokeCase>>,
  ): Promise<SmokeResult> {
    const { worker, flavor, image } = tinyWorkers[directory] as Awaited<ReturnType<typeof tinyWorker>>;
    return smokeTestFlavor(docker, {
      image,
      repo: tiny,
      worker,
      flavor,
      timeoutMs,
      network,
      ...(skip !== undefined ? { skip } : {}),
      ...(scriptChecks ? { scriptChecks } : {}),
    });
  }

  const caseNamed = (result: SmokeResult, name: string) => result.cases.find((smokeCase) => smokeCase.name === name);

  it('runs every sample job of every HashCalc flavor, with the flavor config merged under the job config', async () => {
    const sha256 = createHash('sha256').update('example.org').digest('hex');
    for (const name of ['HashCalc_MD5', 'HashCalc_SHA1', 'HashCalc_SHA256']) {
      const result = await smokeHashCalc(name);
      expect(result, JSON.stringify(result.cases, null, 2)).toMatchObject({
        kind: 'sample-job',
        passed: true,
        flavorId: flavorNamed(name).id,
      });
      expect(result.problem).toBeUndefined();
      expect(result.cases.map((smokeCase) => smokeCase.name)).toEqual([
        'md5-domain',
        'merged-config',
        'sha256-file',
        'unknown-service',
      ]);
      // The md5-domain job names md5 in its own config: the job's value wins over every flavor's.
      expect(result.cases[0]?.detail).toContain('HashCalc:MD5=');
      expect(result.cases[3]?.detail).toMatch(/^failed as expected: .*crc32/);
    }
    const merged = (await smokeHashCalc('HashCalc_SHA256')).cases[1];
    expect(merged?.detail).toContain(`HashCalc:SHA256="${sha256}"`);
  });

  it('runs every case of a configured cases folder even when one fails, and names the failure', async () => {
    const result = await smokeHashCalc('HashCalc_MD5', 'smoke-cases');
    expect(result.passed).toBe(false);
    expect(result.cases.map((smokeCase) => [smokeCase.name, smokeCase.passed])).toEqual([
      ['a-wrong-expectation', false],
      ['b-fine', true],
    ]);
    expect(result.problem).toMatchObject({ code: 'SMOKE_FAILED', file: 'analyzers/HashCalc/HashCalc_MD5.json' });
    expect(result.problem?.message).toContain(reference(flavorNamed('HashCalc_MD5')));
    expect(result.problem?.message).toContain('a-wrong-expectation: expect.json expects a failure');
    expect(result.problem?.message).not.toContain('b-fine');
  });

  it('makes up a job for the first data type without sample jobs (a file here), and checks the imports besides', async () => {
    const result = await smokeHashCalc('HashCalc_SHA256', 'no-such-folder');
    expect(result, JSON.stringify(result.cases)).toMatchObject({ kind: 'generated-job', passed: true });
    expect(result.cases.map((smokeCase) => smokeCase.name)).toEqual(['generated job (file)', 'imports']);
    // The SHA-256 of the made-up attachment: the worker found the file where the engine puts it.
    const sha256 = createHash('sha256').update('neurons smoke test: a small plain text file\n').digest('hex');
    expect(result.cases[0]?.detail).toContain(`HashCalc:SHA256="${sha256}"`);
    expect(caseNamed(result, 'imports')?.detail).toContain('hashlib, cortexlite');
  });

  it('checks the entry script once for the flavors of a folder, which share their filesystem', async () => {
    const scriptChecks = new Map<string, Promise<SmokeCase>>();
    const results: SmokeResult[] = [];
    for (const flavor of hashCalc.flavors.slice(0, 2))
      results.push(await smokeHashCalc(flavor.definition.name, 'no-such-folder', scriptChecks));
    expect(results.map((result) => result.passed)).toEqual([true, true]);
    expect(scriptChecks.size).toBe(1);
    expect(caseNamed(results[1] as SmokeResult, 'imports')).toEqual(caseNamed(results[0] as SmokeResult, 'imports'));
    // Another filesystem is checked on its own.
    const other = await smokeTiny('MissingImport', 60_000, undefined, scriptChecks);
    expect(scriptChecks.size).toBe(2);
    expect(caseNamed(other, 'imports')?.passed).toBe(false);
  });

  it('hands a file job its attachment under input/, with its name and type in input.json', async () => {
    const result = await smokeTiny('FileReader');
    expect(result, JSON.stringify(result.cases)).toMatchObject({ kind: 'generated-job', passed: true });
    expect(caseNamed(result, 'generated job (file)')?.detail).toMatch(
      /^success; File:Name="sample\.txt text\/plain \d+" \(exit code 0\)$/,
    );
  });

  it('passes a worker that fails cleanly on the made-up job: it ran and said why', async () => {
    const result = await smokeTiny('GoodSyntax');
    expect(result, JSON.stringify(result.cases)).toMatchObject({ kind: 'generated-job', passed: true });
    expect(result.cases.map((smokeCase) => [smokeCase.name, smokeCase.detail])).toEqual([
      ['generated job (domain)', 'failed cleanly: no API key configured (exit code 0)'],
      ['syntax', 'node --check /worker/GoodSyntax/index.js passed'],
    ]);
  });

  it('refuses a flavor with nothing to run, unless a reason to skip is given', async () => {
    const refused = await smokeTiny('NoDataTypes');
    expect(refused).toMatchObject({
      passed: false,
      cases: [],
      problem: { code: 'SMOKE_NO_CHECK', file: 'analyzers/NoDataTypes/NoDataTypes.json' },
    });
    expect(refused.problem?.hint).toContain('"smoke": {"skip": "<reason>"}');
    const skipped = await smokeTiny('NoDataTypes', 60_000, 'a licensed sandbox only');
    expect(skipped).toMatchObject({
      kind: 'skipped',
      passed: true,
      cases: [{ name: 'skipped', detail: 'workers.NoDataTypes.smoke.skip: a licensed sandbox only' }],
    });
  });

  it('fails a worker that crashes, with the last lines of its logs', async () => {
    const result = await smokeTiny('Crashes');
    expect(result).toMatchObject({
      kind: 'sample-job',
      passed: false,
      problem: { code: 'SMOKE_FAILED', file: 'analyzers/Crashes/Crashes.json' },
    });
    expect(result.problem?.message).toMatch(/any: no output\/output\.json.*exit code 1/);
    expect(result.problem?.message).toContain('RuntimeError: boom in the worker');
    // The log tail is plain text: no stream frame headers left in it.
    expect(result.problem?.message).not.toMatch(/[\u0000-\u0008]/);
    expect(result.problem?.hint).toContain('expect.json');
  });

  it('kills a case that runs past the timeout and fails it', async () => {
    const started = Date.now();
    const result = await smokeTiny('Sleeps', 3_000);
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(result.passed).toBe(false);
    expect(result.cases[0]?.detail).toMatch(/^timed out after 3 s: the container was killed/);
  });

  it('catches a top-level import the image cannot resolve, and only that one, besides the failed job', async () => {
    const result = await smokeTiny('MissingImport');
    expect(result).toMatchObject({ kind: 'generated-job', passed: false });
    expect(caseNamed(result, 'imports')?.detail).toBe(
      '/worker/MissingImport/worker.py imports modules the image does not have: not_installed_module_xyz',
    );
    expect(caseNamed(result, 'generated job (domain)')).toMatchObject({
      passed: false,
      detail: expect.stringMatching(/^no output\/output\.json, exit code 1; last log lines:\n.*ImportError/s),
    });
    expect(result.problem?.message).toContain('not_installed_module_xyz');
  });

  it('checks Node scripts with node --check', async () => {
    const bad = await smokeTiny('BadSyntax');
    expect(bad).toMatchObject({ kind: 'generated-job', passed: false });
    expect(caseNamed(bad, 'syntax')?.detail).toContain('SyntaxError');
  });

  it('holds any other entry point to a report: an exit without one fails, as does an entry point that cannot start', async () => {
    const exits = await smokeTiny('ExitsNonZero');
    expect(exits).toMatchObject({
      kind: 'generated-job',
      passed: false,
      cases: [{ name: 'generated job (domain)', detail: 'no output/output.json, exit code 3' }],
    });
    expect(exits.problem?.hint).toContain('neurons run');
    const missing = await smokeTiny('NoBinary');
    expect(missing).toMatchObject({ kind: 'generated-job', passed: false });
    expect(missing.cases[0]?.detail).toMatch(/did not start: .*\/worker\/NoBinary\/check/);
    const noEntrypoint = await smokeTiny('NoEntrypoint');
    expect(noEntrypoint).toMatchObject({
      kind: 'generated-job',
      passed: false,
      cases: [{ name: 'generated job (domain)', detail: expect.stringMatching(/did not start: .*\/job/) }],
    });
  });

  it('leaves no container and no temporary job folder behind', async () => {
    const containers = await docker.listContainers({ all: true });
    expect(containers.filter((container) => images.includes(container.Image))).toEqual([]);
    expect(await smokeTempFolders()).toEqual(foldersBefore);
  });
});
