import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EnvironmentState } from '../../src/state/environment-state.js';
import { parseImageReference } from '../../src/images/reference.js';
import { resolveBaseImage } from '../../src/oci/base-image.js';
import { buildImageConfig, buildImageIndex, buildImageManifest } from '../../src/oci/image.js';
import { buildLayer } from '../../src/oci/layer.js';
import { parsePlatform } from '../../src/oci/platform.js';
import { ensureBlob, hasManifest, putManifest } from '../../src/oci/write.js';
import type { RegistryClient } from '../../src/registry/client.js';
import { environmentState, registryClient, runCommand as run, uniqueNamespace } from '../helpers/environment.js';

// An image assembled in the environment's real registry (TLS, private CA, token service) without a Docker build:
// the python base's layers mounted, one small layer and a configuration uploaded, a manifest and an index under a tag.
// Then checked by clients that share no code with ours: skopeo reads the index back byte for byte, and the Docker
// engine pulls and runs the image.
describe('an image assembled directly in the registry', () => {
  let state: EnvironmentState;
  let client: RegistryClient;
  let work = '';
  const repository = `neurons/${uniqueNamespace('oci-test')}`;
  const tag = 'v1';
  let reference = '';
  beforeAll(async () => {
    state = await environmentState();
    client = registryClient(state);
    work = await mkdtemp(path.join(tmpdir(), 'neurons-oci-assemble-'));
    reference = `${state.registry.host}/${repository}:${tag}`;
  });
  afterAll(async () => {
    await run('docker', ['image', 'rm', '--force', reference]);
    await client.close();
    await rm(work, { recursive: true, force: true });
  });

  it('builds on the python base, is read back by skopeo as built, and runs in Docker', async () => {
    const base = parseImageReference(state.baseImages.python);
    expect(base.host).toBe(state.registry.host);
    const amd64 = parsePlatform('linux/amd64');
    const resolved = await resolveBaseImage(client, base.repository, base.tag ?? 'latest', [amd64]);
    const image = resolved.images[0];
    if (!image) throw new Error('no image resolved');

    const layer = buildLayer([
      { name: 'hello.txt', type: 'file', mode: 0o644, data: Buffer.from('hello from an assembled layer\n') },
    ]);
    const config = buildImageConfig({
      base: image.config,
      diffIds: [layer.diffId],
      env: ['NEURONS_OCI_TEST=assembled'],
      entrypoint: ['/usr/bin/env'],
      labels: { 'org.opencontainers.image.title': 'oci-assemble test' },
      created: '2026-01-01T00:00:00Z',
      history: ['COPY hello.txt /'],
    });
    const outcomes = [];
    for (const descriptor of image.layers)
      outcomes.push(await ensureBlob(client, repository, descriptor, { mountFrom: [resolved.repository] }));
    outcomes.push(await ensureBlob(client, repository, layer, { bytes: layer.bytes }));
    outcomes.push(await ensureBlob(client, repository, config.descriptor, { bytes: config.bytes }));
    // A fresh repository: the base's layers are mounted (one token for both repositories), ours uploaded.
    expect(outcomes).toEqual([...image.layers.map(() => 'mounted'), 'uploaded', 'uploaded']);
    const manifest = buildImageManifest(config.descriptor, [...image.layers, layer]);
    expect(
      await putManifest(client, repository, manifest.descriptor.digest, manifest.bytes, manifest.descriptor.mediaType),
    ).toBe(manifest.descriptor.digest);
    const index = buildImageIndex([{ descriptor: manifest.descriptor, platform: amd64 }]);
    expect(await putManifest(client, repository, tag, index.bytes, index.descriptor.mediaType)).toBe(
      index.descriptor.digest,
    );
    expect(await hasManifest(client, repository, tag)).toEqual({
      digest: index.descriptor.digest,
      mediaType: 'application/vnd.oci.image.index.v1+json',
    });
    // Again: everything is there, nothing is sent twice.
    expect(await ensureBlob(client, repository, layer, { bytes: layer.bytes })).toBe('present');

    // skopeo, with the environment's CA and the registry login in an auth file (no password on a command line).
    const certs = path.join(work, 'certs');
    await mkdir(certs);
    await copyFile(state.caFile, path.join(certs, 'ca.crt'));
    const authFile = path.join(work, 'auth.json');
    const auth = Buffer.from(`${state.registry.username}:${state.registry.password}`).toString('base64');
    await writeFile(authFile, JSON.stringify({ auths: { [state.registry.host]: { auth } } }), { mode: 0o600 });
    const skopeo = (ref: string) =>
      run('skopeo', [
        'inspect',
        '--raw',
        '--tls-verify=true',
        '--cert-dir',
        certs,
        '--authfile',
        authFile,
        `docker://${ref}`,
      ]);
    const rawIndex = await skopeo(reference);
    expect(rawIndex.status, rawIndex.stderr).toBe(0);
    expect(rawIndex.stdout).toBe(index.bytes.toString());
    const rawManifest = await skopeo(`${state.registry.host}/${repository}@${manifest.descriptor.digest}`);
    expect(rawManifest.stdout).toBe(manifest.bytes.toString());

    // The Docker engine, with the login in a client configuration of its own.
    const dockerConfig = path.join(work, 'docker');
    await mkdir(dockerConfig);
    await writeFile(
      path.join(dockerConfig, 'config.json'),
      JSON.stringify({ auths: { [state.registry.host]: { auth } } }),
      { mode: 0o600 },
    );
    const env = { DOCKER_CONFIG: dockerConfig };
    const pulled = await run('docker', ['pull', reference], env);
    expect(pulled.status, pulled.stderr).toBe(0);
    expect(pulled.stdout).toContain(index.descriptor.digest);
    const hello = await run('docker', ['run', '--rm', '--network', 'host', reference, 'cat', '/hello.txt'], env);
    expect(hello.stderr).toBe('');
    expect(hello.stdout).toBe('hello from an assembled layer\n');
    // The entry point (env, with no arguments) prints the environment: the base's and ours.
    const environment = await run('docker', ['run', '--rm', '--network', 'host', reference], env);
    expect(environment.stdout).toContain('NEURONS_OCI_TEST=assembled\n');
    expect(environment.stdout).toMatch(/^PATH=/m);
  });
});
