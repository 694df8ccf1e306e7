import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { listGitChanges, mergeBase } from '../../../src/detect/git-changes.js';
import { commitAll, createRepo, createTempDir, removeTempDirs, runGit, writeFiles } from './git-fixture.js';

const zeroSha = '0000000000000000000000000000000000000000';

/** A repository with `count` commits, each changing `file.txt`; returns it and the SHAs, oldest first. */
async function createHistory(count: number): Promise<{ repo: string; shas: string[] }> {
  const repo = await createRepo();
  const shas: string[] = [];
  for (let index = 0; index < count; index++) {
    await writeFiles(repo, { 'file.txt': `version ${index}\n` });
    shas.push(commitAll(repo, `commit ${index}`));
  }
  return { repo, shas };
}

describe('listGitChanges without a usable base', () => {
  afterAll(removeTempDirs);

  it('says no-base when no base is given', async () => {
    const { repo } = await createHistory(2);
    expect(await listGitChanges(repo, undefined, 'HEAD')).toMatchObject({ usable: false, reason: 'no-base' });
  });

  it('says first-commit for the root commit without a base', async () => {
    const { repo } = await createHistory(1);
    expect(await listGitChanges(repo, undefined, 'HEAD')).toMatchObject({ usable: false, reason: 'first-commit' });
  });

  it('says zero-base for the all-zero SHA CI systems send', async () => {
    const { repo } = await createHistory(2);
    expect(await listGitChanges(repo, zeroSha, 'HEAD')).toMatchObject({ usable: false, reason: 'zero-base' });
  });

  it('says unknown-base for a commit a force-push removed', async () => {
    const { repo, shas } = await createHistory(3);
    const [first, , lost] = shas as [string, string, string];
    runGit(repo, 'reset', '--quiet', '--hard', first);
    await writeFiles(repo, { 'other.txt': 'rewritten\n' });
    commitAll(repo, 'rewritten history');
    runGit(repo, 'reflog', 'expire', '--expire=now', '--all');
    runGit(repo, 'gc', '--quiet', '--prune=now');
    expect(runGit(repo, 'cat-file', '-t', first)).toBe('commit');
    const changes = await listGitChanges(repo, lost, 'HEAD');
    expect(changes).toMatchObject({ usable: false, reason: 'unknown-base' });
    expect(changes.usable ? '' : changes.detail).toContain(lost);
    expect(await listGitChanges(repo, 'no-such-branch', 'HEAD')).toMatchObject({
      usable: false,
      reason: 'unknown-base',
    });
    expect(await listGitChanges(repo, '--output=/tmp/x', 'HEAD')).toMatchObject({
      usable: false,
      reason: 'unknown-base',
    });
  });

  it('says shallow-without-base in a shallow clone, and no-base (not first-commit) at its depth limit', async () => {
    const { repo, shas } = await createHistory(3);
    const clone = join(await createTempDir(), 'clone');
    runGit(repo, 'clone', '--quiet', '--depth', '1', `file://${repo}`, clone);
    expect(await listGitChanges(clone, shas[0], 'HEAD')).toMatchObject({
      usable: false,
      reason: 'shallow-without-base',
    });
    expect(await listGitChanges(clone, undefined, 'HEAD')).toMatchObject({ usable: false, reason: 'no-base' });
  });

  it('says not-a-repository for a plain folder and for a missing one', async () => {
    const folder = await createTempDir();
    expect(await listGitChanges(folder, undefined, 'HEAD')).toMatchObject({
      usable: false,
      reason: 'not-a-repository',
    });
    expect(await listGitChanges(join(folder, 'missing'), 'HEAD~1', 'HEAD')).toMatchObject({
      usable: false,
      reason: 'not-a-repository',
    });
  });

  it('throws a usage error for a head the repository does not have', async () => {
    const { repo } = await createHistory(1);
    await expect(listGitChanges(repo, undefined, 'no-such-head')).rejects.toMatchObject({ code: 'GIT_HEAD_UNKNOWN' });
  });
});

describe('mergeBase', () => {
  afterAll(removeTempDirs);

  it('finds where a branch left main, and nothing for unknown commits or unrelated histories', async () => {
    const { repo, shas } = await createHistory(2);
    runGit(repo, 'checkout', '--quiet', '-b', 'feature');
    await writeFiles(repo, { 'feature.txt': 'feature\n' });
    commitAll(repo, 'feature');
    runGit(repo, 'checkout', '--quiet', 'main');
    await writeFiles(repo, { 'main.txt': 'main\n' });
    commitAll(repo, 'main moves on');
    expect(await mergeBase(repo, 'main', 'feature')).toBe(shas[1]);
    expect(await mergeBase(repo, 'main', 'no-such-branch')).toBeUndefined();
    runGit(repo, 'checkout', '--quiet', '--orphan', 'unrelated');
    commitAll(repo, 'unrelated root');
    expect(await mergeBase(repo, 'main', 'unrelated')).toBeUndefined();
  });
});
