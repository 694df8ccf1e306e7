import Docker from 'dockerode';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWorkerId } from '../../src/definitions/version.js';
import type { CatalogIndex } from '../../src/catalog/index-file.js';
import type { EnvironmentState } from '../../src/state/environment-state.js';
import {
  copyFixture,
  environmentState,
  environmentVariables,
  runCli,
  uniqueNamespace,
  type CliResult,
} from '../helpers/environment.js';
import { startRegistryProxy, type RegistryProxy } from '../helpers/registry-proxy.js';

type Entry = Record<string, unknown> & { name: string; version: string; dockerImage: string };
const catalogFiles = ['analyzers.json', 'analyzers-stable.json', 'responders.json', 'responders-stable.json'];
const md5File = 'analyzers/HashCalc/HashCalc_MD5.json';

// HashCalc_MD5 1.0 is published (full pipeline, real engine, real TLS registry behind a loopback proxy); then 1.1,
// which adds a required configuration item, fails in each way a release can fail. After each, every entry of every
// catalog and every flavor of the index is checked against the labels of the image it names, as the Docker engine
// pulls it (not as neurons reads it): no definition may be paired with another version's image.
describe('catalog entries backed by their own image', () => {
  let state: EnvironmentState;
  let proxy: RegistryProxy;
  let repo: string;
  let out: string;
  let namespace: string;
  let env: NodeJS.ProcessEnv;
  let authconfig: { username: string; password: string; serveraddress: string };
  const docker = new Docker();
  let definition10: Record<string, unknown>;

  const pipeline = (): Promise<CliResult> =>
    runCli(['pipeline', '--repo', repo, '--output', out, '--namespace', namespace], env);
  const entries = async (directory: string, file: string): Promise<Entry[]> =>
    JSON.parse(await readFile(path.join(directory, file), 'utf8')) as Entry[];
  const engine = async (stream: NodeJS.ReadableStream): Promise<Array<{ status?: string; error?: string }>> => {
    const events = await new Promise<Array<{ status?: string; error?: string }>>((resolve, reject) =>
      docker.modem.followProgress(stream, (error: Error | null, done: Array<{ status?: string }>) =>
        error ? reject(error) : resolve(done),
      ),
    );
    const failure = events.find((event) => event.error);
    if (failure) throw new Error(failure.error);
    return events;
  };
  /** The manifest digest the engine pulls for `reference`, and the labels of what it pulled. */
  const inspected = new Map<string, Promise<{ digest: string; labels: Record<string, string> }>>();
  const inspect = (reference: string) => {
    let pending = inspected.get(reference);
    if (!pending) {
      pending = (async () => {
        const events = await engine(await docker.pull(reference, { authconfig }));
        const digest =
          events.flatMap((event) => /^Digest: (sha256:[0-9a-f]{64})$/.exec(event.status ?? '')?.[1] ?? [])[0] ?? '';
        const image = await docker.getImage(reference).inspect();
        return { digest, labels: image.Config.Labels ?? {} };
      })();
      inspected.set(reference, pending);
    }
    return pending;
  };
  /** MD5 1.1's definition: the 1.0 one with a new required item, and `changes`. */
  const writeMd5 = async (changes: Record<string, unknown>): Promise<void> => {
    const items = [
      ...(definition10['configurationItems'] as object[]),
      {
        name: 'salt',
        description: 'A salt prepended to the data (new in 1.1)',
        type: 'string',
        multi: false,
        required: true,
      },
    ];
    await writeFile(
      path.join(repo, md5File),
      JSON.stringify({ ...definition10, version: '1.1', configurationItems: items, ...changes }, null, 2),
    );
  };

  /** Every catalog entry and index flavor of `directory`, against the labels of the image it names. */
  const expectEveryImageItsOwn = async (directory: string): Promise<void> => {
    inspected.clear();
    for (const file of catalogFiles) {
      const kind = file.startsWith('analyzers') ? 'analyzer' : 'responder';
      for (const entry of await entries(directory, file)) {
        const { labels } = await inspect(entry.dockerImage);
        expect({
          file,
          image: entry.dockerImage,
          id: labels['io.neurons.worker-id'],
          kind: labels['io.neurons.worker-kind'],
          version: labels['org.opencontainers.image.version'],
        }).toEqual({
          file,
          image: entry.dockerImage,
          id: createWorkerId(entry.name, entry.version),
          kind,
          version: entry.version,
        });
      }
    }
    const index = JSON.parse(await readFile(path.join(directory, 'index.json'), 'utf8')) as CatalogIndex;
    expect(index.flavors.length).toBeGreaterThan(0);
    for (const flavor of index.flavors) {
      expect(flavor.verified, flavor.id).toBe(true);
      for (const tag of flavor.tags) {
        const { digest, labels } = await inspect(`${flavor.image}:${tag}`);
        expect({
          tag,
          digest,
          id: labels['io.neurons.worker-id'],
          kind: labels['io.neurons.worker-kind'],
          version: labels['org.opencontainers.image.version'],
        }).toEqual({ tag, digest: flavor.digest, id: flavor.id, kind: flavor.kind, version: flavor.version });
        expect(createWorkerId(flavor.name, flavor.version)).toBe(flavor.id);
      }
    }
  };

  /** After a failed 1.1: both catalogs keep the 1.0 entry, with the 1.0 image, and say so. */
  const expectMd5Kept = async (result: CliResult, failure: RegExp): Promise<void> => {
    expect(result.status, result.stdout + result.stderr).toBe(1);
    expect(result.stdout).toMatch(failure);
    expect(result.stdout).toMatch(/HashCalc_SHA1_1_0 +unchanged/);
    await expectEveryImageItsOwn(out);
    const kept = result.stdout.split('\n').filter((line) => line.startsWith('kept'));
    expect(kept).toEqual([
      expect.stringContaining('CATALOG_KEPT_PREVIOUS'),
      expect.stringContaining('CATALOG_KEPT_PREVIOUS'),
    ]);
    // The default catalog's tag `1` is still the 1.0 image: its labels say so, and the entry keeps 1.0.
    expect(kept[0]).toMatch(
      /hashcalc_md5:1 is HashCalc_MD5_1_0 \(analyzer, version 1\.0\) by its labels, not HashCalc_MD5_1_1 .*analyzers\.json keeps the previous entry/,
    );
    expect(kept[1]).toMatch(
      /hashcalc_md5:1\.1 (is not in the registry|is HashCalc_MD5_1_0 .* by its labels, not HashCalc_MD5_1_1 .*): analyzers-stable\.json keeps the previous entry/,
    );
    expect(result.stdout).not.toMatch(/^missing/m);
    for (const [file, tag] of [
      ['analyzers.json', '1'],
      ['analyzers-stable.json', '1.0'],
    ] as const) {
      const md5 = (await entries(out, file)).find((entry) => entry.name === 'HashCalc_MD5');
      expect(md5, file).toEqual({
        ...Object.fromEntries(Object.entries(definition10).filter(([field]) => field !== 'command')),
        dockerImage: `${proxy.host}/${namespace}/hashcalc_md5:${tag}`,
      });
    }
    const index = JSON.parse(await readFile(path.join(out, 'index.json'), 'utf8')) as CatalogIndex;
    expect(
      index.flavors.filter((flavor) => flavor.name === 'HashCalc_MD5').map((flavor) => [flavor.id, flavor.tags]),
    ).toEqual([['HashCalc_MD5_1_0', ['1', '1.0']]]);
  };

  beforeAll(async () => {
    state = await environmentState();
    const caPem = await readFile(state.caFile, 'utf8');
    proxy = await startRegistryProxy({ host: state.registry.host, caPem });
    // The CAs neurons trusts: the environment's (the token service) and the proxy's.
    const certs = await mkdtemp(path.join(tmpdir(), 'neurons-proxy-certs-'));
    await writeFile(path.join(certs, 'bundle.pem'), `${caPem}\n${proxy.caPem}`);
    authconfig = { username: state.registry.username, password: state.registry.password, serveraddress: proxy.host };
    namespace = uniqueNamespace('labels');
    // The base images through the proxy too: one registry, one set of credentials for the run.
    env = {
      ...environmentVariables(state, { registry: proxy.host }),
      NEURONS_REGISTRY_CA: path.join(certs, 'bundle.pem'),
    };
    // The fixture's HashCalc folder alone (three flavors, one folder build), with what the failures below use: a
    // requirements file that cannot install and a program that fails, present from the start so that the folder's
    // other flavors keep their inputs whatever MD5 1.1 does.
    repo = await copyFixture();
    for (const kind of ['analyzers', 'responders']) {
      for (const folder of await readdir(path.join(repo, kind)))
        if (folder !== 'HashCalc') await rm(path.join(repo, kind, folder), { recursive: true });
    }
    await writeFile(path.join(repo, 'analyzers/HashCalc/requirements-broken.txt'), 'no-such-package==9.9\n');
    await writeFile(path.join(repo, 'analyzers/HashCalc/broken.py'), 'raise SystemExit("broken on purpose")\n');
    definition10 = JSON.parse(await readFile(path.join(repo, md5File), 'utf8')) as Record<string, unknown>;
    out = path.join(repo, 'published');
    const first = await pipeline();
    expect(first.status, first.stdout + first.stderr).toBe(0);
    await expectEveryImageItsOwn(out);
  });

  afterAll(async () => {
    await proxy?.close();
    // Local references under the proxy's host only (the flavor images, the bases pulled through it), by name: the
    // base images themselves are shared with every other test. The registry keeps what was pushed.
    for (const image of await docker.listImages()) {
      for (const reference of [...(image.RepoTags ?? []), ...(image.RepoDigests ?? [])].filter((name) =>
        name.startsWith(`${proxy.host}/`),
      )) {
        await docker
          .getImage(reference)
          .remove()
          .catch(() => undefined);
      }
    }
  });

  it('(a) 1.1 fails to build', async () => {
    await writeMd5({ requirements: 'requirements-broken.txt' });
    await expectMd5Kept(await pipeline(), /HashCalc_MD5_1_1 +failed .*BUILD_FAILED/);
  });

  it('(b) 1.1 is refused by the registry when pushed', async () => {
    await writeMd5({});
    proxy.refuse = (method, url) => method === 'PUT' && url.startsWith(`/v2/${namespace}/hashcalc_md5/manifests/`);
    try {
      await expectMd5Kept(await pipeline(), /HashCalc_MD5_1_1 +failed .*PUSH_FAILED/);
    } finally {
      proxy.refuse = () => false;
    }
    // The push stopped at its first manifest (retried as the transport retries a refusal it may retry): no tag of
    // 1.1 was written, and the major tag was never moved.
    expect(proxy.refused.length).toBeGreaterThan(0);
    expect(
      proxy.refused.every((request) => request.startsWith(`PUT /v2/${namespace}/hashcalc_md5/manifests/sha256:`)),
    ).toBe(true);
  });

  it('(d) 1.1 fails its smoke test', async () => {
    await writeMd5({ command: 'HashCalc/broken.py' });
    await expectMd5Kept(await pipeline(), /HashCalc_MD5_1_1 +failed .*SMOKE_FAILED/);
  });

  it('(c) 1.1 is refused as immutable: its tag already names another image', async () => {
    // Someone pushed the 1.0 image under the tag 1.1 by hand; the pipeline may not overwrite a published version.
    const repository = `${proxy.host}/${namespace}/hashcalc_md5`;
    await engine(await docker.pull(`${repository}:1.0`, { authconfig }));
    await docker.getImage(`${repository}:1.0`).tag({ repo: repository, tag: '1.1' });
    await engine(await docker.getImage(`${repository}:1.1`).push({ authconfig }));
    await writeMd5({});
    await expectMd5Kept(await pipeline(), /HashCalc_MD5_1_1 +failed .*TAG_IMMUTABLE/);
  });

  it('(c) without a previous publication, the entry is left out: the tag names another version', async () => {
    const fresh = path.join(repo, 'fresh');
    const result = await runCli(
      ['catalog', '--repo', repo, '--out', fresh, '--registry', `${proxy.host}/${namespace}`],
      env,
    );
    expect(result.status, result.stdout + result.stderr).toBe(1);
    const problems = `${result.stdout}${result.stderr}`;
    expect(problems).toMatch(
      new RegExp(
        `${md5File}: CATALOG_IMAGE_MISMATCH: \\S+/hashcalc_md5:1 is HashCalc_MD5_1_0 \\(analyzer, version 1\\.0\\) by its labels, not HashCalc_MD5_1_1 \\(analyzer, version 1\\.1\\): left out of analyzers\\.json`,
      ),
    );
    expect(problems).toMatch(
      /CATALOG_IMAGE_MISMATCH: \S+\/hashcalc_md5:1\.1 is HashCalc_MD5_1_0 .*: left out of analyzers-stable\.json/,
    );
    for (const file of ['analyzers.json', 'analyzers-stable.json'])
      expect(
        (await entries(fresh, file)).map((entry) => entry.name),
        file,
      ).toEqual(['HashCalc_SHA1', 'HashCalc_SHA256']);
    await expectEveryImageItsOwn(fresh);
  });
});
