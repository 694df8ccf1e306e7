import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCertificateAuthority } from '../../src/ca/certificates.js';
import { pruneRegistryStorage } from '../../src/environment/prune.js';
import { isAlive } from '../../src/environment/processes.js';
import { ensureRegistry, type RegistryServer } from '../../src/environment/registry-server.js';
import { manifestMediaType, pushBlob, pushManifest } from '../../src/registry/artifact.js';
import { digestOf, RegistryClient } from '../../src/registry/client.js';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

// A registry of its own (distribution, as `neurons env up` runs it), so that stopping it for its garbage collection
// disturbs no other test.
describe('neurons env prune: namespaces removed from a registry of the environment, their space reclaimed', () => {
  const ca = createCertificateAuthority({ commonName: 'neurons env prune test', days: 1 });
  const credentials = { username: 'prune', password: randomBytes(12).toString('hex') };
  let directory: string;
  let host: string;
  let server: RegistryServer;
  const start = (previousPid: number | undefined): Promise<RegistryServer> =>
    ensureRegistry({
      directory,
      name: 'registry',
      host,
      ca,
      credentials,
      previousPid,
      reuse: false,
      auth: { kind: 'htpasswd' },
      log: () => undefined,
    });
  const client = (): RegistryClient => new RegistryClient({ host, ca: [ca.certificatePem], credentials });

  beforeAll(async () => {
    directory = await mkdtemp(path.join(tmpdir(), 'neurons-prune-'));
    host = `127.0.0.1:${await freePort()}`;
    server = await start(undefined);
  }, 60_000);
  afterAll(async () => {
    if (isAlive(server.pid)) process.kill(server.pid ?? 0, 'SIGTERM');
    await rm(directory, { recursive: true, force: true });
  });

  it('keeps base/ and the namespaces kept, with a blob they share with one removed; frees the rest', async () => {
    const shared = randomBytes(256 * 1024);
    const images: Record<string, Buffer[]> = {
      'base/python': [shared],
      'kept/worker': [shared, randomBytes(256 * 1024)],
      'gone/first': [shared, randomBytes(1024 * 1024)],
      'gone/second': [randomBytes(1024 * 1024)],
    };
    const writer = client();
    for (const [repository, layers] of Object.entries(images)) {
      const config = await pushBlob(
        writer,
        repository,
        Buffer.from(`{"repository":"${repository}"}`),
        'application/json',
      );
      const descriptors = [];
      for (const layer of layers)
        descriptors.push(await pushBlob(writer, repository, layer, 'application/octet-stream'));
      await pushManifest(writer, repository, '1', {
        schemaVersion: 2,
        mediaType: manifestMediaType,
        config,
        layers: descriptors,
      });
    }
    await writer.close();

    const lines: string[] = [];
    const pruned = await pruneRegistryStorage({
      registry: 'registry',
      folder: path.join(directory, 'registry'),
      pid: server.pid,
      keep: new Set(['kept']),
      log: (line) => lines.push(line),
    });
    expect(pruned).toMatchObject({ removed: ['gone'], kept: ['base', 'kept'] });
    // The two layers only `gone` held (2 MB), not the one it shared.
    expect(pruned.bytesBefore - pruned.bytesAfter).toBeGreaterThanOrEqual(2 * 1024 * 1024);
    expect(pruned.bytesBefore - pruned.bytesAfter).toBeLessThan(2 * 1024 * 1024 + 256 * 1024);
    expect(lines.join('\n')).toMatch(/1 namespace\(s\) removed, 2\.\d MB reclaimed; kept base, kept/);
    expect(isAlive(server.pid)).toBe(false);

    server = await start(server.pid);
    const reader = client();
    for (const [repository, layers] of Object.entries(images)) {
      const manifest = await reader.readManifest(repository, '1');
      if (repository.startsWith('gone/')) {
        expect(manifest, repository).toBeUndefined();
        continue;
      }
      expect(manifest, repository).toBeDefined();
      for (const layer of layers) expect((await reader.readBlob(repository, digestOf(layer))).equals(layer)).toBe(true);
    }
    await reader.close();
    expect(
      existsSync(path.join(directory, 'registry', 'data', 'docker', 'registry', 'v2', 'repositories', 'gone')),
    ).toBe(false);
    expect(
      (await readdir(path.join(directory, 'registry', 'data', 'docker', 'registry', 'v2', 'repositories'))).sort(),
    ).toEqual(['base', 'kept']);
  }, 120_000);
});
