import Docker from 'dockerode';
import { randomBytes } from 'node:crypto';
import type { Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCertificateAuthority, issueServerCertificate } from '../../src/ca/certificates.js';
import { createTar } from '../../src/oci/tar.js';
import { followProgress } from '../../src/engine/docker-build.js';
import { startPackageIndex } from '../../src/environment/package-index-server.js';
import type { EnvironmentState } from '../../src/state/environment-state.js';
import { copyFixture, environmentState, runCli, uniqueNamespace, type CliResult } from '../helpers/environment.js';
import { layersHold, scanEngine } from '../helpers/image-scan.js';
import { inNamespace, removeReferences } from '../helpers/test-images.js';

describe('build secrets never reach the engine image store', () => {
  const docker = new Docker();
  let state: EnvironmentState;
  let index: Server;
  let namespace: string;
  let result: CliResult;
  // A password of this run alone: an image holding it was built by this run. (The environment's own index password
  // is shared with every checkout using this engine, whose older builds may hold it.) A new port also means a new
  // index URL, so the install steps cannot be cache hits of an earlier run: they really run with the credentials.
  const indexPassword = `idx-${randomBytes(12).toString('base64url')}`;
  const served: Array<{ path: string; authorized: boolean }> = [];

  beforeAll(async () => {
    state = await environmentState();
    const ca = createCertificateAuthority({ commonName: 'neurons build-secrets test index', days: 1 });
    const certificate = issueServerCertificate(ca, { hosts: ['localhost'], ips: ['127.0.0.1'], days: 1 });
    const directory = await mkdtemp(path.join(tmpdir(), 'neurons-secrets-'));
    const caFile = path.join(directory, 'index-ca.pem');
    await writeFile(caFile, ca.certificatePem);
    index = await startPackageIndex({
      root: path.join(state.directory, 'package-index', 'packages'),
      host: '127.0.0.1',
      port: 0,
      certificatePem: `${certificate.certificatePem}${ca.certificatePem}`,
      keyPem: certificate.keyPem,
      username: 'secrets-test',
      password: indexPassword,
    });
    const expected = `Basic ${Buffer.from(`secrets-test:${indexPassword}`).toString('base64')}`;
    index.on('request', (request: { url?: string; headers: { authorization?: string } }) =>
      served.push({ path: request.url ?? '', authorized: request.headers.authorization === expected }),
    );
    const { port } = index.address() as AddressInfo;
    namespace = uniqueNamespace('secrets');
    const repo = await copyFixture();
    // Images built by the engine, as a worker's own Dockerfile, Go workers or `"assemble": false` have them: the
    // install steps run in the engine's builder. (Assembled images install on the host: assembly.test.ts scans them.)
    await writeFile(path.join(repo, 'neurons.json'), JSON.stringify({ assemble: false }));
    result = await runCli(
      ['pipeline', '--repo', repo, '--output', path.join(repo, 'out'), '--namespace', namespace, '--json'],
      {
        NEURONS_PIP_INDEX_URL: `https://127.0.0.1:${port}/simple/`,
        NEURONS_PIP_INDEX_USERNAME: 'secrets-test',
        NEURONS_PIP_INDEX_PASSWORD: indexPassword,
        NEURONS_PIP_INDEX_CA: caFile,
      },
    );
  });

  afterAll(async () => {
    await new Promise((resolve) => index.close(resolve));
    await removeReferences(
      docker,
      (reference) => inNamespace(namespace)(reference) || reference.endsWith(`/secrets-canary:${namespace}`),
    );
  });

  it('builds and pushes every flavor, the Python ones installing from the index with its credentials', () => {
    expect(result.stderr).not.toMatch(/FAILED|internal error/);
    expect(result.status).toBe(0);
    const summary = JSON.parse(result.stdout.trim().split('\n').at(-1) ?? '{}') as {
      outcomes?: Array<{ status: string }>;
    };
    expect(summary.outcomes?.length).toBeGreaterThan(0);
    expect(summary.outcomes?.every((outcome) => outcome.status === 'pushed')).toBe(true);
    // The fixture's requirements name cortexlite, served by this index only: fetched with the credentials.
    expect(
      served.filter((request) => request.authorized && request.path.startsWith('/packages/cortexlite-')).length,
    ).toBeGreaterThan(0);
  });

  it('leaves neither the package index password nor the registry password in any image, history or cache', async () => {
    const { scanned, leaks } = await scanEngine(docker, {
      'package index password': indexPassword,
      'registry password': state.registry.password,
    });
    expect(scanned).toBeGreaterThan(0);
    expect(leaks).toEqual([]);
  });

  it('leaves no credential in the layers of the install steps this run made', async () => {
    // The install steps of this run name its index (without credentials) in their history: the cache of builder
    // stages holds them, and their layers are what pip wrote with the credentials at hand.
    const installSteps: string[] = [];
    for (const image of await docker.listImages({ all: true })) {
      const history = await docker
        .getImage(image.Id)
        .history()
        .catch(() => []);
      if (
        JSON.stringify(history[0] ?? {}).includes(
          `NEURONS_PACKAGE_INDEX=https://127.0.0.1:${(index.address() as AddressInfo).port}/`,
        )
      )
        installSteps.push(image.Id);
    }
    expect(installSteps.length).toBeGreaterThan(0);
    for (const id of installSteps)
      expect(await layersHold(docker, id, [indexPassword, state.registry.password]), id).toEqual([]);
  });

  it('would see a secret left in a builder stage the old way (a build argument a RUN step reads)', async () => {
    // The scans above prove something only if they reach the classic builder's cache of builder stages: a canary built
    // as the templates used to build (ARG, then RUN) must be found there, in a dangling intermediate image, in its
    // history and in the file its step wrote.
    const canary = `canary-${randomBytes(12).toString('base64url')}`;
    const base = `${state.registry.host}/${namespace}/hashcalc_md5:1.0`;
    const dockerfile = `FROM ${base} AS builder\nARG NEURONS_CANARY\nRUN echo "$NEURONS_CANARY" > /canary\n\nFROM ${base}\nLABEL io.neurons.test=canary\n`;
    const context = createTar([{ name: 'Dockerfile', type: 'file', mode: 0o644, data: Buffer.from(dockerfile) }]);
    const stream = await docker.buildImage(Readable.from([context]), {
      t: `neurons.local/secrets-canary:${namespace}`,
      buildargs: { NEURONS_CANARY: canary },
      rm: true,
      forcerm: true,
    });
    const events = await followProgress<{ error?: string }>(docker, stream);
    expect(events.filter((event) => event.error)).toEqual([]);
    const { leaks } = await scanEngine(docker, { canary });
    expect(leaks.length).toBeGreaterThan(0);
    // And the layer scan finds what a step wrote to a file.
    const holders = await Promise.all(
      [...new Set(leaks.map((leak) => leak.image))].map((image) => layersHold(docker, image, [canary])),
    );
    expect(holders.flat()).toContain(canary);
    // Removing the dangling image that holds the canary removes its untagged parents too.
    for (const image of new Set(leaks.map((leak) => leak.image)))
      await docker
        .getImage(image)
        .remove({ force: true })
        .catch(() => undefined);
    expect((await scanEngine(docker, { canary })).leaks).toEqual([]);
  });
});
