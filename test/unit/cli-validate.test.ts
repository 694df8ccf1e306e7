import { runMain as run } from '../helpers/memory-io.js';
import { describe, it, expect } from 'vitest';
import { definitionText, pythonWorker, writeTree } from './definitions/fixture.js';

const goodTree = {
  ...pythonWorker('Echo', { 'Echo.json': definitionText(), 'Echo_Old.json.deprecated': '{}' }),
  'responders/Block/Block.json': definitionText({ name: 'Block', version: '1.2', command: 'Block/block.js' }),
  'responders/Block/block.js': '',
  'responders/Block/README.md': '',
};

describe('neurons validate', () => {
  it('prints the --json document and exits 0 on a clean repository', async () => {
    const repo = await writeTree(goodTree);
    const result = await run(['validate', '--repo', repo, '--json'], '/');
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({
      workers: [
        {
          kind: 'analyzer',
          directory: 'Echo',
          runtime: 'python',
          flavors: [{ name: 'Echo', version: '1.0', file: 'analyzers/Echo/Echo.json', id: 'Echo_1_0' }],
        },
        {
          kind: 'responder',
          directory: 'Block',
          runtime: 'node',
          flavors: [{ name: 'Block', version: '1.2', file: 'responders/Block/Block.json', id: 'Block_1_2' }],
        },
      ],
      deprecated: ['analyzers/Echo/Echo_Old.json.deprecated'],
      reportTemplates: { state: 'absent' },
      errors: [],
      warnings: [],
    });
  });

  it('exits 1 and reports every problem with its location', async () => {
    const repo = await writeTree({
      ...goodTree,
      'analyzers/Echo/Echo.json': definitionText({ version: 'latest', serviceHomepage: 'https://example.org' }),
    });
    const result = await run(['validate', '--json'], repo);
    expect(result.code).toBe(1);
    const report = JSON.parse(result.stdout) as { errors: unknown[]; warnings: unknown[] };
    expect(report.errors).toEqual([
      {
        code: 'DEF_VERSION_INVALID',
        file: 'analyzers/Echo/Echo.json',
        pointer: '/version',
        line: 3,
        column: 14,
        message: expect.stringContaining('latest'),
        hint: expect.any(String),
      },
    ]);
    expect(report.warnings).toMatchObject([
      { code: 'DEF_W_MISSPELLED_FIELD', pointer: '/serviceHomepage', line: 23, column: 3 },
    ]);
  });

  it('prints a summary and the problems grouped by file', async () => {
    const repo = await writeTree({ ...goodTree, 'analyzers/Echo/Echo.json': definitionText({ name: 'Echo Lookup' }) });
    const result = await run(['validate', '--repo', repo], '/');
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('analyzers: 1 folders, 1 flavors (python 1)');
    expect(result.stdout).toContain('responders: 1 folders, 1 flavors (node 1)');
    expect(result.stdout).toContain('analyzers/Echo/Echo.json\n  error: 2:11 (/name): DEF_NAME_INVALID:');
    expect(result.stdout).toContain('1 errors, 0 warnings');
  });

  it('checks definitions only with --definitions-only', async () => {
    const repo = await writeTree({ 'analyzers/Echo/Echo.json': definitionText() });
    expect((await run(['validate', '--repo', repo], '/')).code).toBe(1);
    expect((await run(['validate', '--repo', repo, '--definitions-only'], '/')).code).toBe(0);
  });

  it('exits 2 for a repository that does not exist or holds no workers', async () => {
    const missing = await run(['validate', '--repo', '/nonexistent/neurons-repo'], '/');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('REPO_NOT_FOUND');
    const empty = await run(['validate', '--repo', await writeTree({ 'README.md': '' })], '/');
    expect(empty.code).toBe(2);
    expect(empty.stderr).toContain('REPO_NO_WORKERS');
    expect((await run(['validate', '--bogus'], '/')).code).toBe(2);
  });
});
