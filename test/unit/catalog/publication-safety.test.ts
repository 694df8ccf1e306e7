import { mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSigningKeys } from '../../../src/catalog/signing.js';
import { runCli } from '../ca/helpers.js';
import { startPutServer, type PutServer } from './put-server.js';

const fixture = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../analyzers-fixture');

// `neurons catalog` in-process, without a registry (--no-verify --definitions-only): what a publisher refuses, and
// what two publishers of different channels leave on one HTTP server.
describe('publishing safely', () => {
  let work: string;
  let keyFile: string;
  let publicKeyFile: string;
  const catalog = (...extra: string[]) =>
    runCli(
      [
        'catalog',
        '--repo',
        fixture,
        '--no-verify',
        '--definitions-only',
        '--registry',
        'registry.example/acme',
        ...extra,
      ],
      work,
    );

  beforeAll(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'neurons-safety-'));
    const keys = generateSigningKeys();
    keyFile = path.join(work, 'index.key');
    publicKeyFile = path.join(work, 'index.pub');
    await writeFile(keyFile, keys.privateKeyPem, { mode: 0o600 });
    await writeFile(publicKeyFile, keys.publicKeyPem);
  });

  it.each(['ftp://host/x', 'htps://catalogs.example/x', 's3:bucket'])(
    'refuses --publish %s with exit 2 before anything is written',
    async (target) => {
      const out = path.join(work, `out-${target.replace(/\W/g, '')}`);
      const run = await catalog('--out', out, '--publish', target);
      expect(run.code).toBe(2);
      expect(run.stderr).toContain('CATALOG_PUBLISH_TARGET');
      expect(run.stderr).toContain('github-release:OWNER/REPO@TAG');
      await expect(readdir(out)).rejects.toMatchObject({ code: 'ENOENT' });
    },
  );

  it('refuses --require-signature without a key, and an unsigned run over a signed publication unless --allow-unsigned', async () => {
    const out = path.join(work, 'signed');
    const required = await catalog('--out', out, '--require-signature');
    expect(required.code).toBe(2);
    expect(required.stderr).toContain('SIGN_KEY_REQUIRED');
    await expect(readdir(out)).rejects.toMatchObject({ code: 'ENOENT' });
    expect((await catalog('--out', out, '--sign', keyFile, '--require-signature')).code).toBe(0);
    const before = (await readdir(out)).sort();
    const unsigned = await catalog('--out', out);
    expect(unsigned.code).toBe(2);
    expect(unsigned.stderr).toContain('CATALOG_UNSIGNED_AFTER_SIGNED');
    expect((await readdir(out)).sort()).toEqual(before);
    const allowed = await catalog('--out', out, '--allow-unsigned');
    expect(allowed.code, allowed.stderr).toBe(0);
    expect(allowed.stdout).toContain('not signed');
    // An engine that requires a signature is told the index is unsigned, not that it was altered.
    const update = await runCli(
      ['update', '--catalog', out, '--key', publicKeyFile, '--state', path.join(work, 'signed-state')],
      work,
    );
    expect(update.code).toBe(1);
    expect(update.stderr).toContain('INDEX_UNSIGNED');
    expect(update.stderr).not.toContain('INDEX_SIGNATURE_INVALID');
  });

  describe('two publishers of different channels racing on one slow HTTP server', () => {
    let server: PutServer;
    // The first read of a trial's index by each publisher is held until both have asked: they start from the same
    // index, so one of them loses the commit in every trial, however the machine schedules them.
    const firstReads = new Map<string, { readers: number; bothAsked: Promise<void>; release: () => void }>();
    const bothReadTheIndex = ({ method, name }: { method: string; name: string }): Promise<void> => {
      if (method !== 'GET' || !name.endsWith('/index.json')) return Promise.resolve();
      let barrier = firstReads.get(name);
      if (!barrier) {
        let release = (): void => undefined;
        const bothAsked = new Promise<void>((resolve) => (release = resolve));
        barrier = { readers: 0, bothAsked, release };
        firstReads.set(name, barrier);
      }
      barrier.readers += 1;
      if (barrier.readers === 2) barrier.release();
      return barrier.readers <= 2 ? barrier.bothAsked : Promise.resolve();
    };
    beforeAll(async () => {
      // Every request also waits 0-8 ms: past the shared start, the two runs interleave differently each trial.
      server = await startPutServer({ delay: () => Math.floor(Math.random() * 9), hold: bothReadTheIndex });
    });
    afterAll(async () => server.close());

    it('ends, every trial, in a publication an updater with the key accepts for each channel', async () => {
      // The bar: at least 20 trials.
      const trials = 20;
      for (let trial = 0; trial < trials; trial += 1) {
        const base = `${server.url}trial-${trial}/`;
        const publish = (channel: string) =>
          catalog(
            '--out',
            path.join(work, `race-${trial}-${channel}`),
            '--channel',
            channel,
            '--sign',
            keyFile,
            '--publish',
            base,
            '--json',
          );
        const runs = await Promise.all([publish('stable'), publish('devel')]);
        for (const run of runs) expect(run.code, run.stderr).toBe(0);
        // The race is real: one publisher lost the commit and published again on top.
        expect(runs.filter((run) => /"retries":[1-9]/.test(run.stdout)).length, `trial ${trial}`).toBeGreaterThan(0);
        for (const file of [
          'analyzers.json',
          'analyzers-stable.json',
          'analyzers-devel.json',
          'responders-devel.json',
        ]) {
          const update = await runCli(
            [
              'update',
              '--catalog',
              `${base}${file}`,
              '--key',
              publicKeyFile,
              '--state',
              path.join(work, `race-state-${trial}-${file}`),
              '--json',
            ],
            work,
          );
          expect(update.code, `trial ${trial}, ${file}: ${update.stderr}`).toBe(0);
          expect((JSON.parse(update.stdout) as { counts: { added: number } }).counts.added).toBeGreaterThan(0);
        }
      }
    }, 180_000);
  });
});
