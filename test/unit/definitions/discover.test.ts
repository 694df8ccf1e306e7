import { describe, it, expect } from 'vitest';
import { discoverRepository } from '../../../src/definitions/discover.js';
import { UsageError } from '../../../src/errors/neurons-error.js';
import { definitionText, positionOf, pythonWorker, writeTree } from './fixture.js';
import { discoverTree, located } from './helpers.js';

describe('discoverRepository on good trees', () => {
  it('finds every flavor, ordered by kind, folder and file, and validates clean', async () => {
    const discovery = await discoverTree({
      'responders/Block/Block.json': definitionText({
        name: 'Block',
        command: 'Block/block.js',
        dataTypeList: ['thehive:case'],
      }),
      'responders/Block/block.js': '',
      'responders/Block/README.md': '',
      'responders/Block/package.json': '{"name": "block"}',
      ...pythonWorker('Echo', {
        'Echo_Zeta.json': definitionText({ name: 'Echo_Zeta' }),
        'Echo_Alpha.json': definitionText({ name: 'Echo_Alpha', version: '2.1.3', requirements: 'requirements.txt' }),
      }),
      'analyzers/Abc/Abc.json': definitionText({ name: 'Abc', command: 'Abc/abc' }),
      'analyzers/Abc/go.mod': 'module abc\n',
      'analyzers/Abc/README.md': '',
    });
    expect(discovery.errors).toEqual([]);
    expect(discovery.warnings).toEqual([]);
    expect(
      discovery.workers.map(({ kind, directory, path, runtime, errorCount }) => ({
        kind,
        directory,
        path,
        runtime,
        errorCount,
      })),
    ).toEqual([
      { kind: 'analyzer', directory: 'Abc', path: 'analyzers/Abc', runtime: 'go', errorCount: 0 },
      { kind: 'analyzer', directory: 'Echo', path: 'analyzers/Echo', runtime: 'python', errorCount: 0 },
      { kind: 'responder', directory: 'Block', path: 'responders/Block', runtime: 'node', errorCount: 0 },
    ]);
    expect(discovery.workers[1]?.flavors.map(({ file, id }) => [file, id])).toEqual([
      ['analyzers/Echo/Echo_Alpha.json', 'Echo_Alpha_2_1_3'],
      ['analyzers/Echo/Echo_Zeta.json', 'Echo_Zeta_1_0'],
    ]);
  });

  it('keeps the field order of the file and unknown fields', async () => {
    const text = JSON.stringify(
      { command: 'Echo/echo.py', name: 'Echo', ...JSON.parse(definitionText()), extra: { a: 1 } },
      null,
      2,
    );
    const discovery = await discoverTree(pythonWorker('Echo', { 'Echo.json': text }));
    expect(Object.keys(discovery.workers[0]?.flavors[0]?.definition ?? {})).toEqual(
      Object.keys(JSON.parse(text) as object),
    );
    expect(located(discovery.warnings)).toEqual([
      {
        code: 'DEF_W_UNKNOWN_FIELD',
        file: 'analyzers/Echo/Echo.json',
        pointer: '/extra',
        ...positionOf(text, '"extra"'),
      },
    ]);
  });

  it('lists deprecated definitions and ignores deeper JSON and tool files', async () => {
    const discovery = await discoverTree({
      ...pythonWorker('Echo', { 'Echo.json': definitionText() }),
      'analyzers/Echo/Echo_Old.json.deprecated': '{ not even json',
      'analyzers/Echo/assets/sample.json': '{ not json',
      'analyzers/Echo/tsconfig.json': '{"compilerOptions": {}}',
      'analyzers/Gone/Gone.json.deprecated': '{}',
      'analyzers/Gone/requirements.txt': '',
      'analyzers/notes.json': '{',
      'analyzers/.hidden/X.json': '{',
    });
    expect(discovery.errors).toEqual([]);
    expect(discovery.deprecated).toEqual([
      'analyzers/Echo/Echo_Old.json.deprecated',
      'analyzers/Gone/Gone.json.deprecated',
    ]);
    // A folder without a definition is not a worker.
    expect(discovery.workers.map((worker) => worker.directory)).toEqual(['Echo']);
  });

  it('detects python from requirements*.txt when the command has no extension', async () => {
    const discovery = await discoverTree({
      'analyzers/Tool/Tool.json': definitionText({ name: 'Tool', command: 'Tool/tool' }),
      'analyzers/Tool/tool': '#!/usr/bin/env python3\n',
      'analyzers/Tool/requirements_v2.txt': '',
      'analyzers/Tool/README.md': '',
    });
    expect(discovery.errors).toEqual([]);
    expect(discovery.workers[0]?.runtime).toBe('python');
  });
});

describe('warnings', () => {
  it('reports misspelled fields, defaulted configuration flags and a missing README', async () => {
    const text = definitionText({
      serviceHomepage: 'https://example.org',
      configurationItems: [{ name: 'key', description: 'API key', type: 'number', required: true, default: 3 }],
    });
    const discovery = await discoverTree({ 'analyzers/Echo/Echo.json': text, 'analyzers/Echo/echo.py': '' });
    expect(discovery.errors).toEqual([]);
    expect(located(discovery.warnings)).toEqual([
      { code: 'DEF_W_NO_README', file: 'analyzers/Echo' },
      {
        code: 'DEF_W_CONFIG_ITEM_DEFAULTED',
        file: 'analyzers/Echo/Echo.json',
        pointer: '/configurationItems/0',
        line: 15,
        column: 5,
      },
      {
        code: 'DEF_W_MISSPELLED_FIELD',
        file: 'analyzers/Echo/Echo.json',
        pointer: '/configurationItems/0/default',
        line: 20,
        column: 7,
      },
      {
        code: 'DEF_W_MISSPELLED_FIELD',
        file: 'analyzers/Echo/Echo.json',
        pointer: '/serviceHomepage',
        line: 23,
        column: 3,
      },
    ]);
    // Kept as written (the catalog carries the definition as is); the engine reads the missing flag as false.
    expect(discovery.workers[0]?.flavors[0]?.definition.configurationItems?.[0]).not.toHaveProperty('multi');
  });

  it('reports a key written twice', async () => {
    const text = definitionText().replace('"author": "Someone",', '"author": "Someone",\n  "author": "Someone else",');
    const discovery = await discoverTree(pythonWorker('Echo', { 'Echo.json': text }));
    expect(located(discovery.warnings)).toEqual([
      { code: 'DEF_W_DUPLICATE_KEY', file: 'analyzers/Echo/Echo.json', pointer: '/author', line: 5, column: 3 },
    ]);
  });
});

describe('definitions only', () => {
  it('skips the checks that need code files, keeps the others', async () => {
    const discovery = await discoverTree(
      {
        'analyzers/Echo/Echo.json': definitionText({ requirements: 'requirements_v6.txt' }),
        'analyzers/Other/Other.json': definitionText({ name: 'Other', command: 'Echo/x.py' }),
        'analyzers/Tool/Tool.json': definitionText({ name: 'Tool', command: 'Tool/tool' }),
      },
      true,
    );
    expect(discovery.errors.map((problem) => problem.code)).toEqual(['DEF_COMMAND_FOLDER']);
    expect(discovery.warnings).toEqual([]);
    expect(discovery.workers.map((worker) => worker.runtime)).toEqual(['python', 'python', undefined]);
  });
});

describe('repository errors', () => {
  it('throws a usage error for a folder that does not exist', async () => {
    await expect(discoverRepository('/nonexistent/neurons-repo', { definitionsOnly: false })).rejects.toMatchObject({
      code: 'REPO_NOT_FOUND',
    });
  });

  it('throws a usage error for a folder without analyzers/ and responders/', async () => {
    const root = await writeTree({ 'README.md': '' });
    const error = await discoverRepository(root, { definitionsOnly: false }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(UsageError);
    expect(error).toMatchObject({ code: 'REPO_NO_WORKERS', exitCode: 2 });
  });
});
