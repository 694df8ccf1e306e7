import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, readlink, symlink, writeFile, chmod, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { folderEntries } from '../../src/inputs/context.js';
import { createTar, type TarEntry } from '../../src/oci/tar.js';

async function tempDirectory(): Promise<string> {
  return mkdtemp(path.join(tmpdir(), 'neurons-tar-'));
}

describe('build context archives', () => {
  it('round-trips files, modes, symlinks and long names through GNU tar', async () => {
    const folder = await tempDirectory();
    const longName = `${'d'.repeat(60)}/${'f'.repeat(80)}.txt`;
    await mkdir(path.join(folder, path.dirname(longName)), { recursive: true });
    await writeFile(path.join(folder, longName), 'long');
    await writeFile(path.join(folder, 'run.sh'), '#!/bin/sh\necho hi\n');
    await chmod(path.join(folder, 'run.sh'), 0o755);
    await writeFile(path.join(folder, 'data.bin'), Buffer.from([0, 1, 2, 255]));
    await symlink('data.bin', path.join(folder, 'link.bin'));
    const archive = path.join(await tempDirectory(), 'context.tar');
    await writeFile(archive, createTar(await folderEntries(folder, 'worker', 'analyzers/X')));
    const out = await tempDirectory();
    execFileSync('tar', ['-xf', archive, '-C', out]);
    expect(await readFile(path.join(out, 'worker', longName), 'utf8')).toBe('long');
    expect((await stat(path.join(out, 'worker', 'run.sh'))).mode & 0o777).toBe(0o755);
    expect(await readFile(path.join(out, 'worker', 'data.bin'))).toEqual(Buffer.from([0, 1, 2, 255]));
    expect(await readlink(path.join(out, 'worker', 'link.bin'))).toBe('data.bin');
  });

  it('is byte-identical for the same inputs', async () => {
    const folder = await tempDirectory();
    await writeFile(path.join(folder, 'a.py'), 'print(1)\n');
    const first = createTar(await folderEntries(folder, '', 'x'));
    await writeFile(path.join(folder, 'a.py'), 'print(1)\n'); // new mtime, same content
    expect(createTar(await folderEntries(folder, '', 'x')).equals(first)).toBe(true);
  });

  it('honours .dockerignore (with exceptions) and the exclusions asked for, and always keeps Dockerfile', async () => {
    const folder = await tempDirectory();
    await mkdir(path.join(folder, 'tests', 'keep'), { recursive: true });
    await writeFile(path.join(folder, '.dockerignore'), 'tests\n!tests/keep\n*.md\nDockerfile\n');
    for (const file of ['a.py', 'README.md', 'Dockerfile', 'Flavor.json', 'tests/job.json', 'tests/keep/x.txt'])
      await writeFile(path.join(folder, file), file);
    const names = (await folderEntries(folder, '', 'x', { exclude: new Set(['Flavor.json']) })).map(
      (entry) => entry.name,
    );
    expect(names.sort()).toEqual(['.dockerignore', 'Dockerfile', 'a.py', 'tests', 'tests/keep', 'tests/keep/x.txt']);
  });

  it('refuses a symlink that leaves the worker folder, naming the file', async () => {
    const folder = await tempDirectory();
    await symlink('/etc/passwd', path.join(folder, 'escape'));
    await expect(folderEntries(folder, 'worker', 'analyzers/X')).rejects.toMatchObject({
      code: 'BUILD_SYMLINK_ESCAPE',
      problem: { file: 'analyzers/X/escape' },
    });
  });

  it('writes any UTF-8 path that GNU tar and Python tarfile both read back, byte for byte', async () => {
    const folder = await tempDirectory();
    // Over 100 bytes, in characters of 2, 3 and 4 bytes: the PAX record length must count bytes.
    const names = [
      `${'é'.repeat(60)}.txt`,
      `données/${'日本語'.repeat(15)}/fichier.py`,
      `${'🧠'.repeat(30)}`,
      `mixed-${'a'.repeat(90)}-ü`,
      'court-é.txt',
    ];
    for (const name of names) {
      await mkdir(path.join(folder, path.dirname(name)), { recursive: true });
      await writeFile(path.join(folder, name), name);
    }
    await symlink(names[0] as string, path.join(folder, `lien-${'ø'.repeat(60)}`));
    const archive = path.join(await tempDirectory(), 'context.tar');
    await writeFile(archive, createTar(await folderEntries(folder, 'worker', 'analyzers/X')));
    const expected = [...names.map((name) => `worker/${name}`), `worker/lien-${'ø'.repeat(60)}`];
    const gnuListing = execFileSync('tar', ['-tvf', archive], {
      encoding: 'utf8',
      env: { ...process.env, LC_ALL: 'C.UTF-8' },
    });
    for (const name of expected) expect(gnuListing).toContain(name);
    const out = await tempDirectory();
    execFileSync('tar', ['-xf', archive, '-C', out], { env: { ...process.env, LC_ALL: 'C.UTF-8' } });
    for (const name of names) expect(await readFile(path.join(out, 'worker', name), 'utf8')).toBe(name);
    const python =
      'import sys, tarfile, json\nwith tarfile.open(sys.argv[1], encoding="utf-8", errors="strict") as t:\n  print(json.dumps([[m.name, m.linkname, (t.extractfile(m).read().decode() if m.isfile() else "")] for m in t.getmembers()]))';
    const members = JSON.parse(execFileSync('python3', ['-c', python, archive], { encoding: 'utf8' })) as Array<
      [string, string, string]
    >;
    for (const name of names) expect(members).toContainEqual([`worker/${name}`, '', name]);
    expect(members).toContainEqual([`worker/lien-${'ø'.repeat(60)}`, names[0], '']);
  });

  it('writes the same bytes as before for ASCII paths (short, long, long link targets)', () => {
    const entries: TarEntry[] = [
      { name: 'worker', type: 'directory', mode: 0o755 },
      { name: 'worker/run.sh', type: 'file', mode: 0o755, data: Buffer.from('#!/bin/sh\necho hi\n') },
      { name: `worker/${'d'.repeat(60)}/${'f'.repeat(80)}.txt`, type: 'file', mode: 0o644, data: Buffer.from('long') },
      { name: `worker/${'e'.repeat(120)}`, type: 'directory', mode: 0o755 },
      { name: 'worker/link', type: 'symlink', mode: 0o777, linkTarget: 'run.sh' },
      { name: 'worker/longlink', type: 'symlink', mode: 0o777, linkTarget: 't'.repeat(150) },
      { name: 'worker/empty', type: 'file', mode: 0o600, data: Buffer.alloc(0) },
      { name: 'worker/block', type: 'file', mode: 0o644, data: Buffer.alloc(512, 7) },
    ];
    // The digest of the archive the writer made before UTF-8 paths were fixed (commit c05c4e0): every image's
    // build-input digest depends on these bytes, so a change here would rebuild every worker.
    expect(createHash('sha256').update(createTar(entries)).digest('hex')).toBe(
      '4c6cfcf4f2380f5f0da43502447c94d23e55f6800b4a3017693d9fb34ee4598e',
    );
  });
});
