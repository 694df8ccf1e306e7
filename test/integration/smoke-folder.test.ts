import Docker from 'dockerode';
import { mkdtemp, readFile, readlink, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Flavor, WorkerFolder } from '../../src/definitions/types.js';
import { SharedNoNetwork } from '../../src/smoke/shared-network.js';
import { smokeTestFolder } from '../../src/smoke/smoke-folder.js';
import { smokeTestFlavor, type SmokeCase, type SmokeResult } from '../../src/smoke/smoke-test.js';
import { environmentState, runCli, uniqueNamespace } from '../helpers/environment.js';
import { buildWorkerImage, writeFiles } from '../helpers/test-images.js';

const docker = new Docker();

/**
 * A worker that reports the container it ran in (its host name) and whether /job held anything but its input when
 * it started: the folder's jobs share a container, each must find a clean /job.
 */
const reporter = (name: string) => `import json, os, socket, sys
job = sys.argv[1]
leftovers = sorted(set(os.listdir(job)) - {"input", "output"}) + sorted(os.listdir(os.path.join(job, "output")))
os.makedirs(os.path.join(job, "output"), exist_ok=True)
with open(os.path.join(job, "output", "stray.txt"), "w") as handle:
    handle.write("left by ${name}")
value = socket.gethostname() if not leftovers else "dirty: " + ",".join(leftovers)
report = {"success": True, "summary": {"taxonomies": [{"level": "info", "namespace": "${name}", "predicate": "Host", "value": value}]}, "full": {}}
with open(os.path.join(job, "output", "output.json"), "w") as handle:
    json.dump(report, handle)
`;

const files: Record<string, string> = {
  'first.py': reporter('First'),
  'second.py': reporter('Second'),
  'crashes.py': 'import json\nraise RuntimeError("boom in the third flavor")\n',
  'sleeps.py': 'import time\ntime.sleep(300)\n',
  // Ignores its argument and writes where the engine mounts the job: right in the engine, wrong in a batch.
  'insists.py': reporter('Insists').replace('job = sys.argv[1]', 'job = "/job"'),
};

/** Hosts named in a passed job's detail (`success; First:Host="<host>" (exit code 0)`). */
function hostOf(result: SmokeResult | undefined): string {
  const job = result?.cases.find((smokeCase: SmokeCase) => smokeCase.name.startsWith('generated job'));
  return /:Host="([^"]+)"/.exec(job?.detail ?? '')?.[1] ?? `no host in ${JSON.stringify(result?.cases)}`;
}

describe('smoke test of the flavors of one folder in one container, against the real engine', () => {
  const tag = uniqueNamespace('smoke-folder');
  const images: string[] = [];
  let repo: string;
  let worker: WorkerFolder;
  const flavors: Flavor[] = [];

  beforeAll(async () => {
    const host = (await environmentState()).registry.host;
    repo = await mkdtemp(path.join(tmpdir(), 'neurons-smoke-folder-'));
    const scripts = ['first.py', 'second.py', 'crashes.py', 'sleeps.py', 'insists.py'];
    for (const script of scripts) {
      // One filesystem (same base, same files, same working directory), three entry points: a folder's flavors.
      const dockerfile = `FROM ${host}/base/python:3.11-bookworm\nWORKDIR /worker\nCOPY worker/ /worker/Trio/\nENTRYPOINT ["python3", "Trio/${script}"]\n`;
      const image = `neurons-smoke-folder/trio-${script.replace('.py', '')}:${tag}`;
      await buildWorkerImage(docker, image, { dockerfile, files, file: 'analyzers/Trio' });
      images.push(image);
      const name = `Trio_${script.replace('.py', '')}`;
      flavors.push({
        file: `analyzers/Trio/${name}.json`,
        id: `${name}_1_0`,
        definition: {
          name,
          version: '1.0',
          author: 'test',
          url: '',
          license: 'AGPL-V3',
          description: '',
          dataTypeList: ['domain'],
          command: `Trio/${script}`,
          baseConfig: 'Trio',
        },
      });
    }
    worker = {
      kind: 'analyzer',
      directory: 'Trio',
      path: 'analyzers/Trio',
      runtime: 'python',
      flavors,
      definitionFiles: flavors.map((flavor) => flavor.file),
      errorCount: 0,
    };
  });

  afterAll(async () => {
    for (const image of images)
      await docker
        .getImage(image)
        .remove({ force: true })
        .catch(() => undefined);
    if (repo) await rm(repo, { recursive: true, force: true });
  });

  const options = (scriptChecks = new Map<string, Promise<SmokeCase>>()) => ({
    repo,
    worker,
    timeoutMs: 60_000,
    network: 'none',
    scriptChecks,
  });

  it('runs the passing flavors in one container, each with a job folder of its own, and reports as a lone run would', async () => {
    const results = await smokeTestFolder(docker, {
      ...options(),
      images: images.slice(0, 3).map((image, index) => ({ image, flavor: flavors[index] as Flavor })),
    });
    expect(results.map((result) => [result.flavorId, result.passed])).toEqual([
      ['Trio_first_1_0', true],
      ['Trio_second_1_0', true],
      ['Trio_crashes_1_0', false],
    ]);
    const [first, second, crashes] = results;
    // One container for both jobs: the same host name; neither found what the other left in /job.
    expect(hostOf(first)).toMatch(/^[0-9a-f]{12}$/);
    expect(hostOf(second), JSON.stringify(results, null, 1)).toBe(hostOf(first));
    // Each case as a container of its own gives it, in the same order; the script check ran once for the filesystem.
    const lone = await smokeTestFlavor(docker, {
      ...options(),
      image: images[1] as string,
      flavor: flavors[1] as Flavor,
    });
    expect(hostOf(lone)).not.toBe(hostOf(second));
    expect(second?.cases.map((smokeCase) => smokeCase.name)).toEqual(lone.cases.map((smokeCase) => smokeCase.name));
    expect(second?.cases[1]).toEqual(lone.cases[1]);
    expect(second?.cases[1]?.detail).toMatch(/every top-level import of \/worker\/Trio\/second\.py resolves: json/);
    // The failing flavor is tested again alone: its problem is exactly the one a lone run gives.
    const crashedAlone = await smokeTestFlavor(docker, {
      ...options(),
      image: images[2] as string,
      flavor: flavors[2] as Flavor,
    });
    expect(crashes?.problem).toEqual(crashedAlone.problem);
    expect(crashes?.problem?.message).toMatch(/RuntimeError: boom in the third flavor/);
  });

  it('runs a deferred image in the container of the image it is like, and pulls it only to test it alone', async () => {
    const pulls: string[] = [];
    const deferred = (index: number, pull: () => Promise<void>) => ({
      image: images[index] as string,
      flavor: flavors[index] as Flavor,
      deferred: {
        like: images[0] as string,
        entrypoint: ['python3', `Trio/${['first', 'second', 'crashes'][index]}.py`],
        pull: () => {
          pulls.push(flavors[index]?.id ?? '');
          return pull();
        },
      },
    });
    const results = await smokeTestFolder(docker, {
      ...options(),
      images: [
        { image: images[0] as string, flavor: flavors[0] as Flavor },
        deferred(1, () => Promise.resolve()),
        deferred(2, () => Promise.resolve()),
      ],
    });
    expect(results.map((result) => [result.flavorId, result.passed])).toEqual([
      ['Trio_first_1_0', true],
      ['Trio_second_1_0', true],
      ['Trio_crashes_1_0', false],
    ]);
    // The passing one ran with its own entry point in the first one's container, never pulled.
    expect(hostOf(results[1])).toBe(hostOf(results[0]));
    expect(results[1]?.cases[0]?.detail).toMatch(/Second:Host=/);
    // The failing one was pulled once, then tested alone: its problem is the one a lone run gives.
    expect(pulls).toEqual(['Trio_crashes_1_0']);
    expect(results[2]?.problem?.message).toMatch(/RuntimeError: boom in the third flavor/);

    // A pull that fails is the flavor's failed test, coded as such; the others are not touched.
    pulls.length = 0;
    const refused = await smokeTestFolder(docker, {
      ...options(),
      images: [
        { image: images[0] as string, flavor: flavors[0] as Flavor },
        deferred(2, () => Promise.reject(new Error('manifest unknown'))),
      ],
    });
    expect(refused.map((result) => result.passed)).toEqual([true, false]);
    expect(pulls).toEqual(['Trio_crashes_1_0']);
    expect(refused[1]?.problem).toMatchObject({ code: 'SMOKE_PULL_FAILED', file: flavors[2]?.file });
    expect(refused[1]?.problem?.message).toMatch(/could not be pulled for its test: manifest unknown/);
  });

  it('on an emulated platform, runs one job per entry script and no script check, the others standing on it', async () => {
    // A fourth flavor with the first one's entry point: the same image, another flavor (another data type).
    const again: Flavor = {
      ...(flavors[0] as Flavor),
      id: 'Trio_first_again_1_0',
      file: 'analyzers/Trio/Trio_first_again.json',
      definition: { ...(flavors[0] as Flavor).definition, name: 'Trio_first_again', dataTypeList: ['ip'] },
    };
    const results = await smokeTestFolder(docker, {
      ...options(),
      images: [
        { image: images[0] as string, flavor: flavors[0] as Flavor },
        { image: images[0] as string, flavor: again },
        { image: images[1] as string, flavor: flavors[1] as Flavor },
        { image: images[2] as string, flavor: flavors[2] as Flavor },
      ],
      emulated: { platform: 'linux/arm64', native: 'linux/amd64' },
    });
    expect(results.map((result) => [result.flavorId, result.passed])).toEqual([
      ['Trio_first_1_0', true],
      ['Trio_first_again_1_0', true],
      ['Trio_second_1_0', true],
      ['Trio_crashes_1_0', false],
    ]);
    const [first, covered, second, crashes] = results;
    expect(first?.cases.map((smokeCase) => smokeCase.name)).toEqual(['generated job (domain)']);
    expect(hostOf(second)).toBe(hostOf(first));
    expect(covered?.cases).toEqual([
      {
        name: 'emulated',
        passed: true,
        detail:
          "linux/arm64 runs under emulation: Trio_first_1_0 ran the same entry script on the same filesystem; this flavor's own job runs on linux/amd64",
      },
    ]);
    // A failing job is tested again alone, in full (its job and its script check).
    expect(crashes?.cases.map((smokeCase) => smokeCase.name)).toEqual(['generated job (domain)', 'imports']);
  });

  it('kills a job past its time limit, reports it timed out, and runs what the batch did not reach alone', async () => {
    const since = Math.floor(Date.now() / 1000) - 1;
    const results = await smokeTestFolder(docker, {
      ...options(),
      // Long enough for the others' containers to start on a loaded machine: they run alone, under the same limit.
      timeoutMs: 10_000,
      images: [3, 4, 0].map((index) => ({ image: images[index] as string, flavor: flavors[index] as Flavor })),
    });
    const until = Math.ceil(Date.now() / 1000) + 1;
    const [sleeps, insists, first] = results;
    expect(sleeps?.passed).toBe(false);
    expect(sleeps?.cases[0]?.detail).toMatch(/^timed out after 10 s: the container was killed/);
    // Its script check, which the killed batch did not reach, ran alone; the job that hung did not run again: two
    // containers of its image in all (the batch and the check), not three.
    expect(sleeps?.cases.map((smokeCase) => [smokeCase.name, smokeCase.passed])).toEqual([
      ['generated job (domain)', false],
      ['imports', true],
    ]);
    expect(await containersStarted(images[3] as string, since, until)).toBe(2);
    // Never reached in the batch: tested alone, where /job is the job folder, as in the engine.
    expect(insists?.passed, JSON.stringify(insists?.cases)).toBe(true);
    expect(first?.passed, JSON.stringify(first?.cases)).toBe(true);
    expect(hostOf(first)).not.toBe(hostOf(insists));
  });

  it('runs every job alone when the batch hung before its first one (a package that hangs when imported)', async () => {
    const host = (await environmentState()).registry.host;
    // hang.py is an installed package (on PYTHONPATH, outside the worker's folder): the batch's interpreter imports it
    // before any job, and never gets further.
    const dockerfile = [
      `FROM ${host}/base/python:3.11-bookworm`,
      'WORKDIR /worker',
      'COPY worker/ /worker/Trio/',
      `RUN mkdir /site && printf 'import time\\ntime.sleep(300)\\n' > /site/hang.py`,
      'ENV PYTHONPATH=/site',
      'ENTRYPOINT ["python3", "Trio/hangs.py"]',
      '',
    ].join('\n');
    const image = `neurons-smoke-folder/trio-hangs:${tag}`;
    await buildWorkerImage(docker, image, {
      dockerfile,
      files: { 'hangs.py': `import hang\n${reporter('Hangs')}` },
      file: 'analyzers/Trio',
    });
    images.push(image);
    const since = Math.floor(Date.now() / 1000) - 1;
    const [hangs] = await smokeTestFolder(docker, {
      ...options(),
      timeoutMs: 5_000,
      images: [{ image, flavor: { ...(flavors[0] as Flavor), id: 'Trio_hangs_1_0' } }],
    });
    const until = Math.ceil(Date.now() / 1000) + 1;
    expect(hangs?.passed).toBe(false);
    expect(hangs?.cases[0]?.detail).toMatch(/^timed out after 5 s: the container was killed/);
    // The batch, then the job alone (where it times out for good) and its script check alone: the time-out is the
    // job's own, not the batch's.
    expect(await containersStarted(image, since, until), JSON.stringify(hangs?.cases)).toBe(3);
  });

  it('runs a worker that writes to /job whatever its argument again alone, where it passes', async () => {
    const results = await smokeTestFolder(docker, {
      ...options(),
      images: [0, 4].map((index) => ({ image: images[index] as string, flavor: flavors[index] as Flavor })),
    });
    expect(results.map((result) => result.passed)).toEqual([true, true]);
    // Its batch run left no report in its own folder: the one that counts ran in a container of its own.
    expect(hostOf(results[1])).not.toBe(hostOf(results[0]));
  });

  it('tests an image it cannot inspect alone, and the others of the folder still together', async () => {
    const results = await smokeTestFolder(docker, {
      ...options(),
      images: [
        { image: images[0] as string, flavor: flavors[0] as Flavor },
        { image: `${tag}-missing/trio:none`, flavor: flavors[1] as Flavor },
      ],
    });
    expect(results[0]?.passed).toBe(true);
    // An image the engine does not have cannot be inspected: tested alone, it fails as a lone run does.
    expect(results[1]?.passed).toBe(false);
    expect(results[1]?.cases.map((smokeCase) => smokeCase.detail).join('\n')).toMatch(
      /did not start|could not be inspected/,
    );
  });
});

describe('smoke tests of an assembled folder for two platforms, through the command line', () => {
  const work: string[] = [];
  afterAll(async () => {
    for (const folder of work) await rm(folder, { recursive: true, force: true });
  });

  /** `Host="<host name> <machine>"` of each passed generated job in the run's log, by machine. */
  function hostsByMachine(stderr: string): Record<string, string[]> {
    const hosts: Record<string, string[]> = {};
    for (const [, host, machine] of stderr.matchAll(
      /smoke test of \S+ passed: generated job[^\n]*:Host="(\S+) (\S+)"/g,
    ))
      (hosts[machine as string] ??= []).push(host as string);
    return hosts;
  }

  it('tests every flavor natively in one container, and one job per entry script under emulation unless told every flavor', async () => {
    const repo = await mkdtemp(path.join(tmpdir(), 'neurons-smoke-quartet-'));
    work.push(repo);
    // With a requirement, as most workers: the image's Python is a virtual environment's, where the batch's
    // interpreter starts with fewer modules than the system's (what a job or the import check imports must still be
    // found as a fresh interpreter finds it).
    const machineReporter = `import cortexlite\nimport importlib.util\n${reporter('Quartet').replace(
      'socket.gethostname()',
      'socket.gethostname() + " " + os.uname().machine',
    )}`;
    const definition = (name: string, script: string, dataType: string) =>
      JSON.stringify({
        name,
        version: '1.0',
        author: 'test',
        url: 'https://example.org',
        license: 'AGPL-V3',
        description: `${name}: one of three flavors, two of them on one script`,
        dataTypeList: [dataType],
        command: `Quartet/${script}`,
        baseConfig: 'Quartet',
      });
    await writeFiles(repo, {
      'analyzers/Quartet/a.py': machineReporter,
      'analyzers/Quartet/b.py': machineReporter,
      'analyzers/Quartet/requirements.txt': 'cortexlite\n',
      'analyzers/Quartet/Quartet_A1.json': definition('Quartet_A1', 'a.py', 'domain'),
      'analyzers/Quartet/Quartet_A2.json': definition('Quartet_A2', 'a.py', 'ip'),
      'analyzers/Quartet/Quartet_B.json': definition('Quartet_B', 'b.py', 'domain'),
    });
    const namespace = uniqueNamespace('quartet');
    const since = Math.floor(Date.now() / 1000);
    const sampled = await runCli(['push', '--repo', repo, '--namespace', namespace, '--json']);
    expect(sampled.status, sampled.stderr).toBe(0);
    // One folder, a batch per platform: each got a namespace of its own, and no holder was started for them.
    expect(await holdersStarted(since, Math.ceil(Date.now() / 1000) + 1)).toBe(0);
    // The three flavors share a filesystem on each platform: the engine pulled one of their images per platform.
    const pulled = (await docker.listImages({ digests: true }))
      .flatMap((image) => image.RepoDigests ?? [])
      .filter((reference) => reference.includes(`/${namespace}/`))
      .map((reference) => reference.replace(/^.*\/([^/@]+)@.*$/, '$1'));
    expect(pulled.sort(), sampled.stderr).toEqual(['quartet_a1', 'quartet_a1']);
    const native = hostsByMachine(sampled.stderr);
    // linux/amd64, the engine's own: all three flavors, in one container.
    expect(native['x86_64'], sampled.stderr).toHaveLength(3);
    expect(new Set(native['x86_64']).size).toBe(1);
    // linux/arm64 under QEMU: one job per script (a.py, b.py), in one container; Quartet_A2 stands on Quartet_A1's.
    expect(native['aarch64'], sampled.stderr).toHaveLength(2);
    expect(new Set(native['aarch64']).size).toBe(1);
    expect(sampled.stderr).toMatch(
      /smoke test of \S+\/quartet_a2@sha256:\S+ passed: emulated: linux\/arm64 runs under emulation: Quartet_A1_1_0 ran the same entry script/,
    );

    await writeFile(path.join(repo, 'neurons.json'), JSON.stringify({ smoke: { emulated: 'every-flavor' } }));
    const every = await runCli(['push', '--repo', repo, '--namespace', uniqueNamespace('quartet'), '--json']);
    expect(every.status, every.stderr).toBe(0);
    const all = hostsByMachine(every.stderr);
    expect(all['x86_64'], every.stderr).toHaveLength(3);
    expect(all['aarch64'], every.stderr).toHaveLength(3);
    expect(every.stderr).not.toMatch(/runs under emulation/);
  });

  it("lets the next folders on a base and dependency layer stand on the first one's test under emulation, unless they hold native code", async () => {
    const repo = await mkdtemp(path.join(tmpdir(), 'neurons-smoke-layers-'));
    work.push(repo);
    const folder = (name: string) => ({
      // Its host, machine, network namespace and network interfaces.
      [`analyzers/${name}/job.py`]: `import cortexlite\n${reporter(name).replace(
        'socket.gethostname()',
        'socket.gethostname() + " " + os.uname().machine + " " + os.readlink("/proc/self/ns/net") + " " + ",".join(sorted(os.listdir("/sys/class/net")))',
      )}`,
      [`analyzers/${name}/requirements.txt`]: 'cortexlite\n',
      [`analyzers/${name}/${name}.json`]: JSON.stringify({
        name,
        version: '1.0',
        author: 'test',
        url: 'https://example.org',
        license: 'AGPL-V3',
        description: `${name}: one of three folders on the same layers`,
        dataTypeList: ['domain'],
        command: `${name}/job.py`,
        baseConfig: name,
      }),
    });
    await writeFiles(repo, { ...folder('Alpha'), ...folder('Beta'), ...folder('Gamma') });
    // Gamma ships a program of its own (this host's /bin/true): native code, which behaves by platform.
    await writeFile(path.join(repo, 'analyzers/Gamma/helper'), await readFile('/bin/true'));
    // One folder at a time: Alpha, the first, is tested on linux/arm64 and covers the others.
    const result = await runCli([
      'push',
      '--repo',
      repo,
      '--namespace',
      uniqueNamespace('layers'),
      '--concurrency',
      '1',
    ]);
    expect(result.status, result.stderr).toBe(0);
    const lines = (image: string) =>
      [...result.stderr.matchAll(new RegExp(`smoke test of \\S+/${image}@sha256:\\S+ passed: ([^\\n]*)`, 'g'))].map(
        (match) => match[1] ?? '',
      );
    const [alpha, beta, gamma] = [lines('alpha'), lines('beta'), lines('gamma')];
    expect(
      alpha.filter((line) => / x86_64 /.test(line)),
      result.stderr,
    ).toHaveLength(1);
    expect(alpha.filter((line) => / aarch64 /.test(line))).toEqual([
      expect.stringMatching(/; dependency imports: every installed module imports: cortexlite$/),
    ]);
    expect(beta.filter((line) => / x86_64 /.test(line))).toHaveLength(1);
    expect(beta.filter((line) => / aarch64 /.test(line))).toHaveLength(0);
    expect(beta).toContainEqual(
      expect.stringMatching(
        /^emulated: linux\/arm64 runs under emulation: Alpha_1_0 ran its jobs there on the same base and dependency layers, where every installed module imports; this folder's files, with no native code, are those its flavors' jobs ran on linux\/amd64$/,
      ),
    );
    expect(
      gamma.filter((line) => / aarch64 /.test(line)),
      result.stderr,
    ).toHaveLength(1);
    // Without network, the run's batches share one namespace that holds nothing but loopback: the engine has the
    // base image, so it was started from it while the run uploaded, and the first batch joined it too.
    const seen = [...alpha, ...beta, ...gamma].flatMap(
      (line) => /:Host="\S+ \S+ (\S+) (\S+)"/.exec(line)?.slice(1) ?? [],
    );
    expect(seen, result.stderr).toHaveLength(10);
    const namespaces = seen.filter((_, index) => index % 2 === 0);
    expect(new Set(namespaces).size).toBe(1);
    expect(new Set(seen.filter((_, index) => index % 2 === 1))).toEqual(new Set(['lo']));
    expect(namespaces[0]).not.toBe(await readlink('/proc/self/ns/net'));
  });
});

describe("the run's namespace without network", () => {
  const holders = async (): Promise<string[]> =>
    (await docker.listContainers({ filters: { label: ['io.neurons.smoke-network=holder'] } })).map((item) => item.Id);

  it('starts ahead from a base image the engine has, and the first batch joins it; with none there, the first gets its own', async () => {
    const state = await environmentState();
    const base = state.baseImages.python;
    const before = await holders();
    const warmed = new SharedNoNetwork(docker);
    warmed.warm([`${state.registry.host}/nowhere/none@sha256:${'0'.repeat(64)}`, base]);
    const joined = await warmed.network(base);
    expect(joined).toMatch(/^container:[0-9a-f]{64}$/);
    expect((await holders()).filter((id) => !before.includes(id))).toEqual([joined.slice('container:'.length)]);
    await warmed.close();
    expect((await holders()).filter((id) => !before.includes(id))).toEqual([]);
    // No image the engine has: nothing starts, and the first batch gets a namespace of its own.
    const cold = new SharedNoNetwork(docker);
    cold.warm([`${state.registry.host}/nowhere/none@sha256:${'0'.repeat(64)}`]);
    expect(await cold.network(base)).toBe('none');
    expect((await holders()).filter((id) => !before.includes(id))).toEqual([]);
    // So does the second (a one-folder run's other platform); the third starts one from its own image and joins it.
    expect(await cold.network(base)).toBe('none');
    expect((await holders()).filter((id) => !before.includes(id))).toEqual([]);
    const next = await cold.network(base);
    expect(next).toMatch(/^container:[0-9a-f]{64}$/);
    expect((await holders()).filter((id) => !before.includes(id))).toEqual([next.slice('container:'.length)]);
    await cold.close();
    expect((await holders()).filter((id) => !before.includes(id))).toEqual([]);
  });
});

/** How many holders of a namespace without network the engine started between two times (seconds). */
async function holdersStarted(since: number, until: number): Promise<number> {
  const stream = (await docker.getEvents({
    since,
    until,
    filters: { type: ['container'], event: ['start'], label: ['io.neurons.smoke-network=holder'] },
  })) as NodeJS.ReadableStream;
  let text = '';
  for await (const chunk of stream) text += String(chunk);
  return text.split('\n').filter(Boolean).length;
}

/** How many containers of `image` the engine started between two times (seconds), from its own event log. */
async function containersStarted(image: string, since: number, until: number): Promise<number> {
  const stream = (await docker.getEvents({
    since,
    until,
    filters: { type: ['container'], event: ['start'] },
  })) as NodeJS.ReadableStream;
  let text = '';
  for await (const chunk of stream) text += String(chunk);
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as { from?: string })
    .filter((event) => event.from === image).length;
}
