import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { GitCommandError, GitFolderError, isInsideWorkTree, runGit } from '../../src/util/git-command.js';

describe('runGit', () => {
  const repo = mkdtempSync(path.join(tmpdir(), 'neurons-git-command-'));
  const outside = mkdtempSync(path.join(tmpdir(), 'neurons-git-outside-'));
  execFileSync('git', ['init', '-q', repo]);
  afterAll(() => {
    rmSync(repo, { recursive: true, force: true });
    rmSync(outside, { recursive: true, force: true });
  });

  it('returns what git printed, and the empty output for a failure without a word (an unknown name, --quiet)', async () => {
    expect((await runGit(repo, ['rev-parse', '--is-inside-work-tree'])).trim()).toBe('true');
    expect(await runGit(repo, ['rev-parse', '--verify', '--quiet', 'no-such-branch^{commit}'])).toBe('');
  });

  it("throws git's own words for a failure with a message", async () => {
    const failure = runGit(repo, ['rev-parse', '--verify', 'no-such-branch^{commit}']);
    await expect(failure).rejects.toBeInstanceOf(GitCommandError);
    await expect(failure).rejects.toThrow(/Needed a single revision/);
  });

  it('tells a folder outside any repository from one that does not exist, and a host without git', async () => {
    expect(await isInsideWorkTree(repo)).toBe(true);
    expect(await isInsideWorkTree(outside)).toBe(false);
    await expect(runGit(path.join(outside, 'missing'), ['status'])).rejects.toBeInstanceOf(GitFolderError);
    const saved = process.env['PATH'];
    process.env['PATH'] = path.join(outside, 'no-bin');
    try {
      await expect(runGit(repo, ['status'])).rejects.toThrow(/git could not run/);
    } finally {
      process.env['PATH'] = saved;
    }
  });
});
