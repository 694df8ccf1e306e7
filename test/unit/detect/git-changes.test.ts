import { rm, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { listGitChanges, type ChangedFile, type GitChanges } from '../../../src/detect/git-changes.js';
import { commitAll, createRepo, removeTempDirs, runGit, sampleProgram, writeFiles } from './git-fixture.js';

function filesOf(changes: GitChanges): ChangedFile[] {
  if (!changes.usable) throw new Error(`expected usable changes, got ${changes.reason}: ${changes.detail}`);
  return [...changes.files].sort((a, b) => a.path.localeCompare(b.path));
}

async function createWorkers(): Promise<{ repo: string; base: string }> {
  const repo = await createRepo();
  await writeFiles(repo, {
    'analyzers/A/a.py': sampleProgram('a'),
    'analyzers/A/x.py': sampleProgram('x'),
    'analyzers/B/b.py': sampleProgram('b'),
    'responders/R/r.py': sampleProgram('r'),
  });
  return { repo, base: commitAll(repo, 'workers') };
}

describe('listGitChanges', () => {
  afterAll(removeTempDirs);

  it('reports one modified file, with both commits resolved to full SHAs', async () => {
    const { repo, base } = await createWorkers();
    await writeFiles(repo, { 'analyzers/A/a.py': 'print("changed")\n' });
    const head = commitAll(repo, 'change a');
    const changes = await listGitChanges(repo, base.slice(0, 10), 'HEAD');
    expect(changes).toEqual({ usable: true, base, head, files: [{ status: 'modified', path: 'analyzers/A/a.py' }] });
  });

  it('reports added and deleted files', async () => {
    const { repo, base } = await createWorkers();
    await writeFiles(repo, { 'analyzers/C/c.py': 'print("new")\n' });
    await rm(join(repo, 'responders/R/r.py'));
    commitAll(repo, 'add c, delete r');
    expect(filesOf(await listGitChanges(repo, base, 'HEAD'))).toEqual([
      { status: 'added', path: 'analyzers/C/c.py' },
      { status: 'deleted', path: 'responders/R/r.py' },
    ]);
  });

  it('reports renames within a folder and across folders with both paths', async () => {
    const { repo, base } = await createWorkers();
    runGit(repo, 'mv', 'analyzers/A/a.py', 'analyzers/A/renamed.py');
    runGit(repo, 'mv', 'analyzers/A/x.py', 'analyzers/B/x.py');
    commitAll(repo, 'renames');
    expect(filesOf(await listGitChanges(repo, base, 'HEAD'))).toEqual([
      { status: 'renamed', path: 'analyzers/A/renamed.py', previousPath: 'analyzers/A/a.py' },
      { status: 'renamed', path: 'analyzers/B/x.py', previousPath: 'analyzers/A/x.py' },
    ]);
  });

  it('keeps paths with spaces, tabs, newlines and unicode verbatim', async () => {
    const { repo, base } = await createWorkers();
    const odd = [
      'analyzers/Mail Checker/run me.py',
      'analyzers/Ünïcødé/分析.py',
      'analyzers/T/tab\there.py',
      'analyzers/N/new\nline.py',
    ];
    await writeFiles(repo, Object.fromEntries(odd.map((path) => [path, `${path}\n`])));
    commitAll(repo, 'odd names');
    const files = filesOf(await listGitChanges(repo, base, 'HEAD'));
    expect(files.map((file) => file.path).sort()).toEqual([...odd].sort());
    expect(files.every((file) => file.status === 'added')).toBe(true);
  });

  it('reports a change of type (file to symbolic link)', async () => {
    const { repo, base } = await createWorkers();
    await rm(join(repo, 'analyzers/B/b.py'));
    await symlink('../A/a.py', join(repo, 'analyzers/B/b.py'));
    commitAll(repo, 'link');
    expect(filesOf(await listGitChanges(repo, base, 'HEAD'))).toEqual([
      { status: 'type-changed', path: 'analyzers/B/b.py' },
    ]);
  });

  it('gives paths relative to a repository folder below the top of the checkout', async () => {
    const repo = await createRepo();
    await writeFiles(repo, { 'cortex/analyzers/A/a.py': 'one\n', 'other/file.txt': 'one\n' });
    const base = commitAll(repo, 'first');
    await writeFiles(repo, { 'cortex/analyzers/A/a.py': 'two\n', 'other/file.txt': 'two\n' });
    commitAll(repo, 'second');
    expect(filesOf(await listGitChanges(join(repo, 'cortex'), base, 'HEAD'))).toEqual([
      { status: 'modified', path: 'analyzers/A/a.py' },
    ]);
  });

  it('reports nothing when base and head are the same commit', async () => {
    const { repo, base } = await createWorkers();
    expect(filesOf(await listGitChanges(repo, base, base))).toEqual([]);
  });
});
