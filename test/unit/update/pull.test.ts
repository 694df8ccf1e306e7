import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { generateSigningKeys } from '../../../src/catalog/signing.js';
import { parseImageReference } from '../../../src/images/reference.js';
import { buildTrustStore } from '../../../src/trust/trust-store.js';
import { httpFetcher } from '../../../src/update/fetch.js';
import { hasRepoDigest, type ImagePuller } from '../../../src/update/pull.js';
import { resolveSource } from '../../../src/update/source.js';
import { runUpdate, type UpdateOptions } from '../../../src/update/update.js';
import { digestOf, entry, publication, startCatalogServer, type CatalogServer } from './catalog-server.js';

/**
 * The pull step through its interface: the engine's side of a pull (RepoDigests after it) is given here; the real
 * engine is in test/integration/update.test.ts.
 */
function engine(answers: (image: string) => string[] | Error): ImagePuller & { pulled: string[] } {
  const pulled: string[] = [];
  return {
    pulled,
    async pull(image) {
      const answer = answers(image);
      if (answer instanceof Error) throw answer;
      pulled.push(image);
      return answer;
    },
  };
}

/** What a registry serving the published images answers: the digest of `name@version` for its own repository. */
const honest = (image: string): string[] => {
  const { host, repository, tag } = parseImageReference(image);
  const name = repository.split('/').pop() ?? '';
  const version = { alpha: '1.0', beta: '2.1' }[name] ?? tag ?? '';
  return [`${host}/${repository}@${digestOf(name[0]?.toUpperCase() + name.slice(1), version)}`];
};

describe('pulling the images of an update', () => {
  const keys = generateSigningKeys();
  let server: CatalogServer;
  let stateDirectory: string;
  const state = (): Promise<string> => readFile(path.join(stateDirectory, 'state.json'), 'utf8').catch(() => 'none');
  const update = (puller: ImagePuller | undefined, extra: Partial<UpdateOptions> = {}) => {
    const source = resolveSource(server.url, '/');
    return runUpdate({
      source,
      fetcher: httpFetcher(source.base, buildTrustStore({ caFiles: [server.caFile], caPems: [], env: {} })),
      stateDirectory,
      publicKey: { pem: keys.publicKeyPem, file: 'neurons-index.pub' },
      registryPrefix: undefined,
      allowDowngrade: false,
      puller,
      now: new Date(),
      ...extra,
    });
  };

  beforeAll(async () => {
    server = await startCatalogServer();
    for (const [file, bytes] of publication({
      analyzers: [entry('Alpha', '1.0'), entry('Beta', '2.1')],
      serial: 1,
      privateKeyPem: keys.privateKeyPem,
    }))
      server.files.set(file, bytes);
  });
  beforeEach(async () => {
    stateDirectory = await mkdtemp(path.join(tmpdir(), 'neurons-update-pull-'));
  });
  afterAll(async () => server.close());

  it('pulls every new image, checks its digest against the index, and records it', async () => {
    const puller = engine(honest);
    const report = await update(puller);
    expect(report.status).toBe('updated');
    expect(report.pulls.map((pull) => [pull.image, pull.status, pull.digestMatches])).toEqual([
      ['registry.example:5000/ns/alpha:1', 'pulled', true],
      ['registry.example:5000/ns/beta:2', 'pulled', true],
    ]);
    const again = await update(engine(honest));
    expect(again.status).toBe('up-to-date');
    expect(again.requests).toBe(1);
  });

  it('fetches again when the last update did not pull, and pulls what it left', async () => {
    expect((await update(undefined)).pulls).toEqual([]);
    const puller = engine(honest);
    const report = await update(puller);
    expect(report.requests).toBe(4);
    expect(puller.pulled).toHaveLength(2);
  });

  it('keeps the previous state when an image has another digest than the signed one', async () => {
    await update(undefined);
    const before = await state();
    const report = await update(
      engine((image) =>
        image.includes('beta') ? [`registry.example:5000/ns/beta@sha256:${'0'.repeat(64)}`] : honest(image),
      ),
    );
    expect(report.status).toBe('pull-failed');
    expect(report.problems.map((problem) => problem.code)).toEqual(['UPDATE_DIGEST_MISMATCH']);
    expect(report.stateWritten).toBe(false);
    expect(await state()).toBe(before);
  });

  it('keeps the previous state when a pull fails', async () => {
    const report = await update(
      engine((image) => (image.includes('alpha') ? new Error('manifest unknown') : honest(image))),
    );
    expect(report.status).toBe('pull-failed');
    expect(report.problems).toEqual([
      expect.objectContaining({ code: 'UPDATE_PULL_FAILED', message: expect.stringContaining('manifest unknown') }),
    ]);
    expect(await state()).toBe('none');
  });

  it('pulls from the mirror named by --registry-prefix and checks the digest there', async () => {
    const puller = engine(honest);
    const report = await update(puller, { registryPrefix: 'mirror.example:5000' });
    expect(report.status).toBe('updated');
    expect(puller.pulled).toEqual(['mirror.example:5000/ns/alpha:1', 'mirror.example:5000/ns/beta:2']);
    expect(
      hasRepoDigest('mirror.example:5000/ns/alpha:1', ['registry.example:5000/ns/alpha@sha256:1'], 'sha256:1'),
    ).toBe(false);
  });

  it('still lets an index run out when the server keeps answering 304', async () => {
    await update(undefined);
    const later = new Date(Date.now() + 31 * 86_400_000);
    await expect(update(undefined, { now: later })).rejects.toMatchObject({ code: 'INDEX_EXPIRED' });
  });
});
