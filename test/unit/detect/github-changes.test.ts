import { afterEach, describe, expect, it } from 'vitest';
import { listPullRequestChanges } from '../../../src/detect/github-changes.js';
import { EnvironmentError } from '../../../src/errors/neurons-error.js';
import { startFakeGitHub, type FakeFile, type FakeGitHub } from './fake-github.js';

const token = 'ghp_testTokenThatMustNeverBePrinted';
const baseSha = 'a'.repeat(40);
const headSha = 'b'.repeat(40);
let github: FakeGitHub | undefined;

afterEach(async () => {
  await github?.close();
  github = undefined;
});

function numberedFiles(count: number): FakeFile[] {
  return Array.from({ length: count }, (_, index) => ({ filename: `analyzers/W${index}/w.py`, status: 'modified' }));
}

async function serve(files: FakeFile[]): Promise<FakeGitHub> {
  github = await startFakeGitHub({ owner: 'cortex', repo: 'neurons', number: 7, baseSha, headSha, files }, token);
  return github;
}

describe('listPullRequestChanges', () => {
  it('follows the Link pages and returns both commits', async () => {
    const server = await serve(numberedFiles(250));
    const changes = await listPullRequestChanges({
      owner: 'cortex',
      repo: 'neurons',
      pullNumber: 7,
      token,
      baseUrl: server.url,
    });
    expect(changes).toMatchObject({ capped: false, baseSha, headSha });
    expect(changes.files).toHaveLength(250);
    expect(changes.files[249]).toEqual({ status: 'modified', path: 'analyzers/W249/w.py' });
    const pages = server.requests.filter((request) => request.includes('/files'));
    expect(pages).toEqual([
      '/repos/cortex/neurons/pulls/7/files?per_page=100',
      '/repositories/4242/pulls/7/files?per_page=100&page=2',
      '/repositories/4242/pulls/7/files?per_page=100&page=3',
    ]);
  });

  it.each([3000, 3500])('says capped when GitHub stops at 3,000 files (%i changed)', async (count) => {
    const server = await serve(numberedFiles(count));
    const changes = await listPullRequestChanges({
      owner: 'cortex',
      repo: 'neurons',
      pullNumber: 7,
      token,
      baseUrl: `${server.url}/`,
    });
    expect(changes.capped).toBe(true);
    expect(changes.files).toHaveLength(3000);
    expect(server.requests.filter((request) => request.includes('/files'))).toHaveLength(30);
  });

  it("maps GitHub's statuses to git's, renames with their previous path", async () => {
    const server = await serve([
      { filename: 'analyzers/A/new.py', status: 'added' },
      { filename: 'analyzers/A/gone.py', status: 'removed' },
      { filename: 'analyzers/A/a.py', status: 'modified' },
      { filename: 'analyzers/B/x.py', status: 'renamed', previous_filename: 'analyzers/A/x.py' },
      { filename: 'analyzers/C/copy.py', status: 'copied', previous_filename: 'analyzers/A/a.py' },
      { filename: 'analyzers/A/run.sh', status: 'changed' },
      { filename: 'analyzers/A/same.py', status: 'unchanged' },
    ]);
    const changes = await listPullRequestChanges({
      owner: 'cortex',
      repo: 'neurons',
      pullNumber: 7,
      token,
      baseUrl: server.url,
      fetch,
    });
    expect(changes.files).toEqual([
      { status: 'added', path: 'analyzers/A/new.py' },
      { status: 'deleted', path: 'analyzers/A/gone.py' },
      { status: 'modified', path: 'analyzers/A/a.py' },
      { status: 'renamed', path: 'analyzers/B/x.py', previousPath: 'analyzers/A/x.py' },
      { status: 'added', path: 'analyzers/C/copy.py' },
      { status: 'modified', path: 'analyzers/A/run.sh' },
    ]);
    expect(changes.capped).toBe(false);
  });

  it('turns a refused token into GITHUB_API without printing the token', async () => {
    const server = await serve(numberedFiles(1));
    const wrong = 'ghp_wrongTokenAlsoSecret';
    const error = await listPullRequestChanges({
      owner: 'cortex',
      repo: 'neurons',
      pullNumber: 7,
      token: wrong,
      baseUrl: server.url,
    }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(EnvironmentError);
    const { code, message, hint } = (error as EnvironmentError).problem;
    expect(code).toBe('GITHUB_API');
    expect(message).toContain(new URL(server.url).host);
    expect(message).toContain('cortex/neurons#7');
    expect(message).toContain('401');
    const printed = `${message} ${hint ?? ''} ${(error as Error).stack ?? ''} ${JSON.stringify(error)}`;
    expect(printed).not.toContain(wrong);
    expect(printed).not.toContain(token);
  });

  it('turns an unknown pull request and an unreachable host into GITHUB_API', async () => {
    const server = await serve(numberedFiles(1));
    await expect(
      listPullRequestChanges({ owner: 'cortex', repo: 'neurons', pullNumber: 8, token, baseUrl: server.url }),
    ).rejects.toMatchObject({
      code: 'GITHUB_API',
      message: expect.stringContaining('404'),
    });
    await server.close();
    github = undefined;
    await expect(
      listPullRequestChanges({ owner: 'cortex', repo: 'neurons', pullNumber: 7, token, baseUrl: server.url }),
    ).rejects.toMatchObject({
      code: 'GITHUB_API',
      message: expect.stringContaining('could not be reached'),
    });
  });
});
