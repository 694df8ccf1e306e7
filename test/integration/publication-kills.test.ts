import { spawn } from 'node:child_process';
import { watch } from 'node:fs';
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { indexFileName, isObjectName, referencedObjects } from '../../src/publish/publication.js';
import { generateSigningKeys } from '../../src/catalog/signing.js';
import { copyFixture, root, runCli } from '../helpers/environment.js';

/**
 * `neurons catalog` publishing to a folder, killed (SIGKILL) at the k-th file event the folder reports while it
 * publishes: whatever the moment, an updater with the key accepts what is there, and the next run cleans up.
 */
describe('a folder publication killed at every step', () => {
  let repo: string;
  let out: string;
  let work: string;
  const args = (): string[] => [
    'catalog',
    '--repo',
    repo,
    '--out',
    out,
    '--no-verify',
    '--definitions-only',
    '--registry',
    'registry.example/acme',
    '--sign',
    path.join(work, 'index.key'),
  ];
  let version = 1;
  /** Each publication differs from the one before: a definition's version moves on. */
  const nextDefinition = async (): Promise<void> => {
    const file = path.join(repo, 'analyzers/UrlInspect/UrlInspect.json');
    const definition = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
    version += 1;
    definition['version'] = `1.${version}`;
    await writeFile(file, JSON.stringify(definition, null, 2));
  };

  /** Runs a publication and kills it at the `killAt`-th event of the folder; resolves with the events seen. */
  const publishKilledAt = (killAt: number): Promise<{ events: number; killed: boolean }> =>
    new Promise((resolve, reject) => {
      let events = 0;
      let killed = false;
      const child = spawn(path.join(root, 'bin', 'neurons'), args(), { stdio: 'ignore' });
      const watcher = watch(out, () => {
        events += 1;
        if (events === killAt && child.exitCode === null) killed = child.kill('SIGKILL');
      });
      child.on('error', reject);
      child.on('exit', () => {
        watcher.close();
        resolve({ events, killed });
      });
    });

  const accepted = async (state: string): Promise<number> => {
    const update = await runCli([
      'update',
      '--catalog',
      out,
      '--key',
      path.join(work, 'index.pub'),
      '--state',
      path.join(work, state),
      '--json',
    ]);
    expect(update.status, update.stderr).toBe(0);
    return (JSON.parse(update.stdout) as { serial: number }).serial;
  };

  beforeAll(async () => {
    repo = await copyFixture();
    work = await mkdtemp(path.join(tmpdir(), 'neurons-kills-'));
    out = path.join(work, 'published');
    const keys = generateSigningKeys();
    await writeFile(path.join(work, 'index.key'), keys.privateKeyPem, { mode: 0o600 });
    await writeFile(path.join(work, 'index.pub'), keys.publicKeyPem);
    const first = await runCli(args());
    expect(first.status, first.stderr).toBe(0);
  });

  it('leaves, at each of at least 20 points, a publication the updater accepts; the next run leaves no temporary file', async () => {
    await nextDefinition();
    // A whole publication, to know how many events one makes.
    const whole = await publishKilledAt(Number.POSITIVE_INFINITY);
    expect(whole.events).toBeGreaterThanOrEqual(20);
    let serial = await accepted('state-whole');
    const kills: Array<{ at: number; leftovers: string[]; serial: number }> = [];
    for (let at = 1; at <= whole.events; at += 1) {
      await nextDefinition();
      const run = await publishKilledAt(at);
      if (!run.killed) continue;
      const leftovers = (await readdir(out)).filter((file) => file.startsWith('.'));
      const seen = await accepted(`state-${at}`);
      // The previous publication or the new one, nothing else.
      expect([serial, serial + 1]).toContain(seen);
      serial = seen;
      kills.push({ at, leftovers, serial: seen });
    }
    expect(kills.length).toBeGreaterThanOrEqual(20);
    // Kills landed before and after the commit: both outcomes were seen, and some left files behind to clean.
    expect(kills.some((kill) => kill.leftovers.length > 0)).toBe(true);
    const finished = await runCli(args());
    expect(finished.status, finished.stderr).toBe(0);
    const files = await readdir(out);
    expect(files.filter((file) => file.startsWith('.'))).toEqual([]);
    // No content-addressed file that neither the current index nor the one before it needs.
    const index = await readFile(path.join(out, indexFileName));
    const needed = referencedObjects(index);
    const orphans = files.filter((file) => isObjectName(file) && !needed.has(file));
    expect(orphans.length).toBeLessThanOrEqual(needed.size);
    expect(await accepted('state-final')).toBeGreaterThan(serial);
  });
});
