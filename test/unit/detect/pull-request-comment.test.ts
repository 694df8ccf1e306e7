import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { main } from '../../../src/cli/main.js';
import type { Detection } from '../../../src/detect/detect.js';
import {
  commentMarker,
  renderDetectionComment,
  upsertPullRequestComment,
} from '../../../src/detect/pull-request-comment.js';
import { memoryStream } from '../../helpers/memory-io.js';
import { definitionText } from '../definitions/fixture.js';
import { startFakeGitHub, type FakeGitHub } from './fake-github.js';
import { createRepo, removeTempDirs, runGit, writeFiles } from './git-fixture.js';

const token = 'ghp_commentTokenNeverPrinted';
let github: FakeGitHub | undefined;
afterEach(async () => {
  await github?.close();
  github = undefined;
});
afterAll(removeTempDirs);

const detection = (
  overrides: Partial<Omit<Detection, 'decisions' | 'prepared'>> = {},
): Omit<Detection, 'decisions' | 'prepared'> => ({
  mode: 'auto',
  source: { kind: 'pull-request', base: 'a'.repeat(40), head: 'b'.repeat(40) },
  rebuild: [],
  removed: [],
  unchanged: 12,
  digestChecks: 3,
  ...overrides,
});

describe('the pull request comment', () => {
  it('says what is rebuilt and why, what is removed or refused, and what is wrong, in safe Markdown', () => {
    const body = renderDetectionComment(
      detection({
        rebuild: [
          {
            kind: 'analyzer',
            directory: 'Echo',
            path: 'analyzers/Echo',
            flavors: ['Echo_1_0', 'Echo_Pro_1_0'],
            reasons: ['files', 'definition'],
            refused: [],
          },
          {
            kind: 'responder',
            directory: 'Odd|Name',
            path: 'responders/Odd|Name`x',
            flavors: ['Odd_2_0'],
            reasons: ['new'],
            refused: ['Odd_2_0'],
          },
        ],
        removed: [
          { kind: 'analyzer', directory: 'Gone', file: 'analyzers/Gone/Gone.json', folderRemoved: true },
        ] as Detection['removed'],
      }),
      [
        {
          code: 'DEF_REQUIRED_FIELD',
          file: 'analyzers/Bad/Bad.json',
          line: 3,
          column: 5,
          message: 'missing "version" <script>',
        },
      ],
    );
    expect(body.startsWith(`${commentMarker}\n### neurons: 2 worker folders to rebuild\n`)).toBe(true);
    expect(body).toContain('pull request files aaaaaaa..bbbbbbb · mode auto · 12 flavors unchanged · 3 digest checks');
    expect(body).toContain('| `analyzers/Echo` | Echo_1_0, Echo_Pro_1_0 | files, definition |');
    // A cell or code span cannot be broken out of, and no HTML gets through.
    expect(body).toContain('| `responders/Odd&#124;Name&#96;x` | Odd_2_0 | new |');
    expect(body).toContain('**Published versions are immutable**: `Odd_2_0`');
    expect(body).toContain('**Removed** (dropped from the catalogs): `analyzers/Gone/Gone.json` (folder removed)');
    expect(body).toContain('- `analyzers/Bad/Bad.json:3:5` DEF_REQUIRED_FIELD: missing "version" &#60;script&#62;');
    expect(renderDetectionComment(detection(), [])).toContain('### neurons: nothing to rebuild');
  });

  it('is posted once, then edited in place, and left alone when nothing changed', async () => {
    github = await startFakeGitHub(
      { owner: 'cortex', repo: 'neurons', number: 7, baseSha: 'a'.repeat(40), headSha: 'b'.repeat(40), files: [] },
      token,
    );
    // 150 comments of people before ours: it must be found on the second page.
    for (let index = 0; index < 150; index += 1)
      github.comments.push({ id: index + 1, body: `review comment ${index}` });
    const target = { owner: 'cortex', repo: 'neurons', pullNumber: 7, token, baseUrl: github.url, fetch: undefined };
    const first = await upsertPullRequestComment(target, `${commentMarker}\nfirst\n`);
    expect(first.action).toBe('created');
    const ours = github.comments.at(-1);
    expect(ours?.body).toBe(`${commentMarker}\nfirst\n`);
    for (let index = 0; index < 10; index += 1) github.comments.push({ id: 500 + index, body: 'later comment' });
    expect((await upsertPullRequestComment(target, `${commentMarker}\nfirst\n`)).action).toBe('unchanged');
    const second = await upsertPullRequestComment(target, `${commentMarker}\nsecond\n`);
    expect(second).toMatchObject({ action: 'updated', url: expect.stringContaining(`#issuecomment-${ours?.id ?? 0}`) });
    expect(github.comments.filter((comment) => comment.body.startsWith(commentMarker))).toEqual([
      { id: ours?.id, body: `${commentMarker}\nsecond\n` },
    ]);
    expect(github.requests.filter((request) => request.startsWith('PATCH'))).toHaveLength(1);
    expect(github.requests.filter((request) => request.startsWith('POST'))).toHaveLength(1);
  });

  it('says which permission is missing on a read-only token, without showing it', async () => {
    github = await startFakeGitHub(
      { owner: 'cortex', repo: 'neurons', number: 7, baseSha: 'a'.repeat(40), headSha: 'b'.repeat(40), files: [] },
      token,
      { readOnly: true },
    );
    const error = await upsertPullRequestComment(
      { owner: 'cortex', repo: 'neurons', pullNumber: 7, token, baseUrl: github.url, fetch: undefined },
      `${commentMarker}\nx\n`,
    ).catch((caught: unknown) => caught);
    expect(error).toMatchObject({
      code: 'GITHUB_API',
      message: expect.stringContaining('answered 403'),
      problem: { hint: expect.stringContaining('pull-requests: write') },
    });
    expect(JSON.stringify(error) + String((error as Error).message)).not.toContain(token);
  });

  it('is what neurons detect --pr N --comment posts, on a real repository', async () => {
    const repo = await createRepo();
    await writeFiles(repo, {
      'analyzers/Echo/Echo.json': definitionText(),
      'analyzers/Echo/echo.py': 'print("one")\n',
      'analyzers/Other/Other.json': definitionText({ name: 'Other', command: 'Other/other.py' }),
      'analyzers/Other/other.py': 'print("x")\n',
    });
    runGit(repo, 'add', '-A');
    runGit(repo, 'commit', '-qm', 'workers');
    const baseSha = runGit(repo, 'rev-parse', 'HEAD');
    await writeFiles(repo, { 'analyzers/Echo/echo.py': 'print("two")\n' });
    runGit(repo, 'commit', '-qam', 'change Echo');
    const headSha = runGit(repo, 'rev-parse', 'HEAD');
    github = await startFakeGitHub(
      {
        owner: 'cortex',
        repo: 'neurons',
        number: 7,
        baseSha,
        headSha,
        files: [{ filename: 'analyzers/Echo/echo.py', status: 'modified' }],
      },
      token,
    );
    const env = {
      GITHUB_REPOSITORY: 'cortex/neurons',
      GITHUB_TOKEN: token,
      GITHUB_API_URL: github.url,
      NEURONS_REGISTRY: 'registry.example',
      NEURONS_ENV_DIR: await mkdtemp(path.join(tmpdir(), 'neurons-no-env-')),
    };
    const run = async (args: string[]): Promise<{ code: number; stdout: string; stderr: string }> => {
      const stdout = memoryStream();
      const stderr = memoryStream();
      const code = await main(args, { cwd: repo, env, stdout, stderr });
      return { code, stdout: stdout.text(), stderr: stderr.text() };
    };
    const result = await run(['detect', '--pr', '7', '--comment', '--mode', 'git', '--offline', '--json']);
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ rebuild: [{ directory: 'Echo', reasons: ['files'] }] });
    expect(result.stderr).toContain(
      'pull request comment created: https://github.example/cortex/neurons/pull/7#issuecomment-',
    );
    expect(github.comments).toHaveLength(1);
    expect(github.comments[0]?.body).toContain('| `analyzers/Echo` | Echo | files |');
    expect(github.comments[0]?.body).not.toContain('Other');
    expect(result.stdout + result.stderr).not.toContain(token);
    expect((await run(['detect', '--pr', '7', '--comment', '--mode', 'git', '--offline'])).stderr).toContain(
      'pull request comment unchanged',
    );
    expect(github.comments).toHaveLength(1);
    const usage = await run(['detect', '--comment']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('--comment needs --pr N');
  });
});
