import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, readlink, symlink, writeFile, chmod, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { folderEntries } from '../../src/build/context.js';
import { createTar } from '../../src/build/tar.js';

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
    for (const file of ['a.py', 'README.md', 'Dockerfile', 'Flavor.json', 'tests/job.json', 'tests/keep/x.txt']) await writeFile(path.join(folder, file), file);
    const names = (await folderEntries(folder, '', 'x', { exclude: new Set(['Flavor.json']) })).map((entry) => entry.name);
    expect(names.sort()).toEqual(['.dockerignore', 'Dockerfile', 'a.py', 'tests', 'tests/keep', 'tests/keep/x.txt']);
  });

  it('refuses a symlink that leaves the worker folder, naming the file', async () => {
    const folder = await tempDirectory();
    await symlink('/etc/passwd', path.join(folder, 'escape'));
    await expect(folderEntries(folder, 'worker', 'analyzers/X')).rejects.toMatchObject({ code: 'BUILD_SYMLINK_ESCAPE', problem: { file: 'analyzers/X/escape' } });
  });
});
