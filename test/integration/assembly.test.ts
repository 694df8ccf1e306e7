import Docker from 'dockerode';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EnvironmentState } from '../../src/state/environment-state.js';
import {
  copyFixture,
  environmentState,
  registryClient,
  registryLog,
  runCli,
  uniqueNamespace,
  type CliResult,
} from '../helpers/environment.js';
import { inNamespace, removeReferences } from '../helpers/test-images.js';

interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: { os: string; architecture: string };
}

/** Blob uploads completed in `namespace` (the PUT that closes an upload session names the digest), from the access log. */
function uploadedDigests(log: string, namespace: string): string[] {
  const pattern = new RegExp(
    `"PUT /v2/${namespace}/[^ ]*/blobs/uploads/[^ ]*digest=sha256%3A([0-9a-f]{64})[^"]*" 201`,
    'g',
  );
  return [...log.matchAll(pattern)].map((match) => `sha256:${match[1]}`);
}

describe('images assembled in the registry, for linux/amd64 and linux/arm64', () => {
  const docker = new Docker();
  let state: EnvironmentState;
  let repo: string;
  let namespace: string;
  /** The second namespace the reproducibility test publishes to. */
  let other = '';
  let certDir: string;
  let first: CliResult;
  let firstLog: string;
  const flavors = ['hashcalc_md5', 'hashcalc_sha1', 'hashcalc_sha256', 'urlinspect'];

  /** What Debian's skopeo (a client independent of ours) reads under a reference. */
  function skopeo(reference: string, raw = true): unknown {
    const args = [
      'inspect',
      ...(raw ? ['--raw'] : []),
      '--cert-dir',
      certDir,
      '--creds',
      `${state.registry.username}:${state.registry.password}`,
      `docker://${state.registry.host}/${reference}`,
    ];
    const result = spawnSync('skopeo', args, { encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`skopeo ${args.slice(0, 2).join(' ')} ${reference}: ${result.stderr}`);
    return JSON.parse(result.stdout) as unknown;
  }

  beforeAll(async () => {
    state = await environmentState();
    certDir = await mkdtemp(path.join(tmpdir(), 'neurons-skopeo-'));
    await writeFile(path.join(certDir, 'ca.crt'), await readFile(state.caFile));
    repo = await copyFixture();
    namespace = uniqueNamespace('asm');
    const offset = await registryLog.size(state);
    first = await runCli([
      'push',
      '--repo',
      repo,
      '--only',
      'HashCalc',
      '--only',
      'UrlInspect',
      '--namespace',
      namespace,
      '--json',
    ]);
    firstLog = await registryLog.since(state, offset);
  });

  afterAll(async () => {
    await removeReferences(docker, inNamespace(namespace, other));
  });

  it('publishes every flavor, each tag an OCI index with linux/amd64 and linux/arm64 (read by skopeo)', () => {
    expect(first.stderr).not.toMatch(/internal error/);
    expect(first.status, first.stderr).toBe(0);
    for (const name of flavors) {
      const index = skopeo(`${namespace}/${name}:1`) as { mediaType: string; manifests: Descriptor[] };
      expect(index.mediaType).toBe('application/vnd.oci.image.index.v1+json');
      expect(index.manifests.map((manifest) => `${manifest.platform?.os}/${manifest.platform?.architecture}`)).toEqual([
        'linux/amd64',
        'linux/arm64',
      ]);
    }
  });

  it('gives the flavors of one folder every layer in common, and uploads each layer once', () => {
    const layersOf = (name: string, architecture: string): string[] => {
      const index = skopeo(`${namespace}/${name}:1`) as { manifests: Descriptor[] };
      const manifest = index.manifests.find((item) => item.platform?.architecture === architecture);
      return (skopeo(`${namespace}/${name}@${manifest?.digest}`) as { layers: Descriptor[] }).layers.map(
        (layer) => layer.digest,
      );
    };
    for (const architecture of ['amd64', 'arm64']) {
      const md5 = layersOf('hashcalc_md5', architecture);
      expect(md5.length).toBeGreaterThan(2);
      expect(layersOf('hashcalc_sha1', architecture)).toEqual(md5);
      expect(layersOf('hashcalc_sha256', architecture)).toEqual(md5);
    }
    const uploads = uploadedDigests(firstLog, namespace);
    // Every layer of the three HashCalc flavors went up at most once; the other repositories mounted it.
    const layers = new Set(['amd64', 'arm64'].flatMap((architecture) => layersOf('hashcalc_md5', architecture)));
    for (const layer of layers)
      expect(uploads.filter((digest) => digest === layer).length, layer).toBeLessThanOrEqual(1);
    // The base image's layers are never uploaded: they are in the registry already.
    const amd64Base = layersOf('hashcalc_md5', 'amd64').slice(0, -2);
    for (const layer of amd64Base) expect(uploads).not.toContain(layer);
  });

  it('stores each platform manifest by digest before any tag, and the index under its tags only', async () => {
    const puts = [...firstLog.matchAll(new RegExp(`"PUT /v2/${namespace}/([^/]+)/manifests/([^ ?"]+)[^"]*" 201`, 'g'))];
    for (const name of flavors) {
      const client = registryClient(state);
      let indexDigest: string | undefined;
      try {
        indexDigest = (await client.readManifest(`${namespace}/${name}`, '1'))?.digest;
      } finally {
        await client.close();
      }
      expect(indexDigest, name).toMatch(/^sha256:/);
      const platforms = (skopeo(`${namespace}/${name}:1`) as { manifests: Descriptor[] }).manifests.map(
        (item) => item.digest,
      );
      const references = puts.filter((match) => match[1] === name).map((match) => match[2] ?? '');
      const firstTag = references.findIndex((reference) => !reference.startsWith('sha256:'));
      expect(firstTag, name).toBeGreaterThan(0);
      // Both platform manifests went in by digest, before the first tag; the index never by its digest.
      for (const digest of platforms) {
        const at = references.indexOf(digest);
        expect(at, `${name} ${digest}`).toBeGreaterThanOrEqual(0);
        expect(at, `${name} ${digest}`).toBeLessThan(firstTag);
      }
      expect(references, name).not.toContain(indexDigest);
      // After the first tag, tags only: the exact version and the moving ones.
      const tags = references.slice(firstTag);
      expect(
        tags.filter((reference) => reference.startsWith('sha256:')),
        name,
      ).toEqual([]);
      expect(tags, name).toContain('1');
    }
  });

  it('leaves neither the package index password nor the registry password in any layer or configuration it pushed', async () => {
    const { gunzipSync } = await import('node:zlib');
    const secrets = [state.packageIndex.password, state.registry.password];
    const seen = new Set<string>();
    for (const name of flavors) {
      const index = skopeo(`${namespace}/${name}:1`) as { manifests: Descriptor[] };
      for (const { digest } of index.manifests) {
        const manifest = skopeo(`${namespace}/${name}@${digest}`) as { config: Descriptor; layers: Descriptor[] };
        for (const blob of [manifest.config, ...manifest.layers]) {
          if (seen.has(blob.digest)) continue;
          seen.add(blob.digest);
          const client = registryClient(state);
          try {
            const bytes = await client.readBlob(`${namespace}/${name}`, blob.digest);
            const text = blob.mediaType.includes('gzip') ? gunzipSync(bytes) : bytes;
            for (const secret of secrets)
              expect(text.includes(Buffer.from(secret)), `${name} ${blob.digest}`).toBe(false);
          } finally {
            await client.close();
          }
        }
      }
    }
    expect(seen.size).toBeGreaterThan(4);
  });

  it('runs each platform: docker pull --platform linux/arm64 then docker run answers from an aarch64 machine', () => {
    const image = `${state.registry.host}/${namespace}/hashcalc_md5:1`;
    for (const [platform, machine] of [
      ['linux/arm64', 'aarch64'],
      ['linux/amd64', 'x86_64'],
    ] as const) {
      const pull = spawnSync('docker', ['pull', '--platform', platform, image], { encoding: 'utf8' });
      expect(pull.status, pull.stderr).toBe(0);
      const run = spawnSync(
        'docker',
        [
          'run',
          '--rm',
          '--platform',
          platform,
          '--network',
          'none',
          '--entrypoint',
          'python3',
          image,
          '-c',
          'import platform, cortexlite; print(platform.machine())',
        ],
        { encoding: 'utf8' },
      );
      expect(run.status, run.stderr).toBe(0);
      expect(run.stdout.trim()).toBe(machine);
    }
  });

  it('uploads nothing on a second run with nothing changed', async () => {
    const offset = await registryLog.size(state);
    const second = await runCli([
      'push',
      '--repo',
      repo,
      '--only',
      'HashCalc',
      '--only',
      'UrlInspect',
      '--namespace',
      namespace,
      '--json',
    ]);
    expect(second.status, second.stderr).toBe(0);
    const log = await registryLog.since(state, offset);
    expect(log).toMatch(new RegExp(`"(HEAD|GET) /v2/${namespace}/`));
    expect(log).not.toMatch(new RegExp(`"(PUT|POST|PATCH) /v2/${namespace}/`));
  });

  it('gives the same digests from another namespace (reproducible)', async () => {
    other = uniqueNamespace('asm2');
    const again = await runCli(['push', '--repo', repo, '--only', 'HashCalc', '--namespace', other, '--json']);
    expect(again.status, again.stderr).toBe(0);
    for (const name of ['hashcalc_md5', 'hashcalc_sha256']) {
      const mine = skopeo(`${namespace}/${name}:1`) as { manifests: Descriptor[] };
      const theirs = skopeo(`${other}/${name}:1`) as { manifests: Descriptor[] };
      expect(theirs.manifests.map((item) => item.digest)).toEqual(mine.manifests.map((item) => item.digest));
    }
  });

  it('republishes a code-only change from an engine without its images, taking the dependency layer from the registry', async () => {
    const ours = inNamespace(namespace, other);
    await removeReferences(docker, ours);
    const left = (await docker.listImages({ digests: true })).flatMap((image) => [
      ...(image.RepoTags ?? []),
      ...(image.RepoDigests ?? []),
    ]);
    expect(left.filter(ours)).toEqual([]);
    // What HashCalc's flavors published before: one of them is pulled ahead, while the new images are assembled.
    const client = registryClient(state);
    const before = new Set<string>();
    try {
      for (const flavor of flavors.filter((name) => name.startsWith('hashcalc'))) {
        const found = await client.readManifest(`${namespace}/${flavor}`, '1');
        if (found) before.add(`${state.registry.host}/${namespace}/${flavor}@${found.digest}`);
      }
    } finally {
      await client.close();
    }
    expect(before.size).toBe(3);
    const script = path.join(repo, 'analyzers', 'HashCalc', 'hashcalc.py');
    await writeFile(script, `${await readFile(script, 'utf8')}\n# a code-only change\n`);
    const changed = await runCli(['push', '--repo', repo, '--only', 'HashCalc', '--namespace', namespace, '--force']);
    expect(changed.status, changed.stderr).toBe(0);
    expect(changed.stderr).toMatch(/dependencies of analyzers\/HashCalc for linux\/amd64: from the registry cache/);
    expect(changed.stderr).toMatch(/dependencies of analyzers\/HashCalc for linux\/arm64: from the registry cache/);
    expect(changed.stderr).not.toMatch(/package\(s\) installed/);
    const pulled = (await docker.listImages({ digests: true })).flatMap((image) => image.RepoDigests ?? []);
    expect(pulled.filter((reference) => before.has(reference))).toHaveLength(1);
  });
});
