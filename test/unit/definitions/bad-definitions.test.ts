import { describe, it, expect } from 'vitest';
import { definitionText, positionOf, pythonWorker, type TreeEntry } from './fixture.js';
import { discoverTree, located } from './helpers.js';

const file = 'analyzers/Echo/Echo.json';

/** Discovers a python worker `Echo` whose only flavor has the given text; returns the errors, located. */
async function errorsFor(text: string, extra: Record<string, TreeEntry> = {}) {
  const discovery = await discoverTree({ ...pythonWorker('Echo', { 'Echo.json': text }), ...extra });
  expect(discovery.warnings).toEqual([]);
  return discovery;
}

describe('bad definitions', () => {
  it('locates a JSON syntax error and still lists the folder', async () => {
    const text = '{\n  "name": "Echo",\n  "version": "1.0"\n  "author": "x"\n}';
    const discovery = await errorsFor(text);
    expect(located(discovery.errors)).toEqual([{ code: 'DEF_JSON_SYNTAX', file, line: 4, column: 3 }]);
    expect(discovery.workers).toMatchObject([{ directory: 'Echo', flavors: [], errorCount: 1 }]);
  });

  it.each(['name', 'version', 'author', 'url', 'license', 'description', 'dataTypeList', 'command', 'baseConfig'])(
    'reports the missing required field %s at the object',
    async (field) => {
      const discovery = await errorsFor(definitionText({ [field]: undefined }));
      expect(located(discovery.errors)).toEqual([
        { code: 'DEF_REQUIRED_FIELD', file, pointer: `/${field}`, line: 1, column: 1 },
      ]);
    },
  );

  it('reports missing fields of a configuration item', async () => {
    const text = definitionText({ configurationItems: [{ name: 'key', multi: false, required: true }] });
    const discovery = await errorsFor(text);
    const at = positionOf(text, '{\n      "name": "key"');
    expect(located(discovery.errors)).toEqual([
      { code: 'DEF_REQUIRED_FIELD', file, pointer: '/configurationItems/0/description', ...at },
      { code: 'DEF_REQUIRED_FIELD', file, pointer: '/configurationItems/0/type', ...at },
    ]);
  });

  it.each([
    [{ name: 5 }, '/name', '5'],
    [{ version: 1.0 }, '/version', '1'],
    [{ dataTypeList: 'ip' }, '/dataTypeList', '"ip"'],
    [{ dataTypeList: ['ip', 3] }, '/dataTypeList/1', '3'],
    [{ config: [] }, '/config', '[]'],
    [{ registration_required: 'yes' }, '/registration_required', '"yes"'],
    [
      { configurationItems: [{ name: 'k', description: 'd', type: 'string', multi: 'no', required: true }] },
      '/configurationItems/0/multi',
      '"no"',
    ],
  ])('reports a wrong type: %j', async (overrides, pointer, valueText) => {
    const text = definitionText(overrides);
    const discovery = await errorsFor(text);
    const key = pointer.split('/').at(-1) ?? '';
    const at = /^\d+$/.test(key) ? positionOf(text, `    ${valueText}`) : positionOf(text, `"${key}": ${valueText}`);
    const column = /^\d+$/.test(key) ? at.column + 4 : at.column + key.length + 4;
    expect(located(discovery.errors)).toEqual([{ code: 'DEF_TYPE', file, pointer, line: at.line, column }]);
  });

  it('reports a configuration item type that does not exist', async () => {
    const text = definitionText({
      configurationItems: [{ name: 'k', description: 'd', type: 'int', multi: false, required: true }],
    });
    const discovery = await errorsFor(text);
    const at = positionOf(text, '"int"');
    expect(located(discovery.errors)).toEqual([
      { code: 'DEF_ENUM', file, pointer: '/configurationItems/0/type', ...at },
    ]);
  });

  it('reports a definition that is not an object', async () => {
    const discovery = await errorsFor('[]');
    expect(located(discovery.errors)).toEqual([{ code: 'DEF_TYPE', file, pointer: '', line: 1, column: 1 }]);
  });

  it.each(['Echo Lookup', 'Echo\tLookup', 'Echo/Lookup', 'Echo\\Lookup', 'Echo..Lookup', 'Echo-', '_Echo', 'Écho', ''])(
    'rejects the name %j',
    async (name) => {
      const text = definitionText({ name });
      const discovery = await errorsFor(text);
      const at = positionOf(text, `"name": ${JSON.stringify(name)}`);
      expect(located(discovery.errors)).toEqual([
        { code: 'DEF_NAME_INVALID', file, pointer: '/name', line: at.line, column: at.column + 8 },
      ]);
    },
  );

  it.each(['Echo_Lookup', 'echo.lookup', 'Echo--Lookup', 'Echo__Lookup', 'DNS_Lookup2'])(
    'accepts the name %j',
    async (name) => {
      const discovery = await errorsFor(definitionText({ name }));
      expect(discovery.errors).toEqual([]);
    },
  );

  it.each(['1', '1.0.0.0', 'v1.0', '1.0-beta', '1.x'])('rejects the version %j', async (version) => {
    const text = definitionText({ version });
    const discovery = await errorsFor(text);
    const at = positionOf(text, `"version": "`);
    expect(located(discovery.errors)).toEqual([
      { code: 'DEF_VERSION_INVALID', file, pointer: '/version', line: at.line, column: at.column + 11 },
    ]);
  });
});

describe('command and requirements paths', () => {
  it.each([
    ['/usr/bin/echo.py', 'DEF_COMMAND_ESCAPE'],
    ['../Echo/echo.py', 'DEF_COMMAND_ESCAPE'],
    ['Echo/../Other/echo.py', 'DEF_COMMAND_ESCAPE'],
    ['Other/echo.py', 'DEF_COMMAND_FOLDER'],
    ['echo.py', 'DEF_COMMAND_FOLDER'],
    ['python3 Echo/echo.py', 'DEF_COMMAND_INVALID'],
    ['Echo/', 'DEF_COMMAND_INVALID'],
    ['Echo\\echo.py', 'DEF_COMMAND_INVALID'],
    ['Echo/missing.py', 'DEF_COMMAND_MISSING'],
    ['Echo/lib', 'DEF_COMMAND_MISSING'],
    ['Echo/outside.py', 'DEF_COMMAND_ESCAPE'],
    ['Echo/inside.py', undefined],
    ['./Echo/echo.py', undefined],
  ])('command %j gives %s', async (command, code) => {
    const text = definitionText({ command });
    const discovery = await errorsFor(text, {
      'analyzers/Echo/lib/helper.py': '',
      'analyzers/Other/echo.py': '',
      'elsewhere/outside.py': '',
      // Symbolic links: one leaving the folder, one staying in it.
      'analyzers/Echo/outside.py': { link: '../../elsewhere/outside.py' },
      'analyzers/Echo/inside.py': { link: 'echo.py' },
    });
    const at = positionOf(text, `"command": "`);
    const expected = code ? [{ code, file, pointer: '/command', line: at.line, column: at.column + 11 }] : [];
    expect(located(discovery.errors)).toEqual(expected);
  });

  it.each([
    ['requirements.txt', undefined],
    ['../requirements.txt', 'DEF_REQUIREMENTS_ESCAPE'],
    ['/etc/hostname', 'DEF_REQUIREMENTS_ESCAPE'],
    ['requirements_v6.txt', 'DEF_REQUIREMENTS_MISSING'],
    ['linked.txt', 'DEF_REQUIREMENTS_ESCAPE'],
  ])('requirements %j gives %s', async (requirements, code) => {
    const text = definitionText({ requirements });
    const discovery = await errorsFor(text, {
      'analyzers/requirements.txt': '',
      'analyzers/Echo/linked.txt': { link: '../requirements.txt' },
    });
    const at = positionOf(text, `"requirements": "`);
    const expected = code ? [{ code, file, pointer: '/requirements', line: at.line, column: at.column + 16 }] : [];
    expect(located(discovery.errors)).toEqual(expected);
  });
});

describe('configuration item default values', () => {
  const item = (fields: Record<string, unknown>) => ({
    name: 'k',
    description: 'd',
    type: 'string',
    multi: false,
    required: false,
    ...fields,
  });

  it.each([
    [{ type: 'number', defaultValue: '100' }, true],
    [{ type: 'number', defaultValue: 100 }, false],
    [{ type: 'boolean', defaultValue: 'true' }, true],
    [{ type: 'text', defaultValue: 'x' }, false],
    [{ type: 'string', multi: true, defaultValue: 'a' }, true],
    [{ type: 'string', multi: true, defaultValue: ['a', 1] }, true],
    [{ type: 'string', multi: true, defaultValue: ['a', 'b'] }, false],
    [{ type: 'number', multi: true, defaultValue: [] }, false],
    [{ type: 'string', defaultValue: null }, false],
    [{ type: 'string', required: true, defaultValue: null }, true],
    [{ type: 'string', defaultValue: ['a'] }, true],
  ])('%j mismatched: %s', async (fields, mismatched) => {
    const text = definitionText({ configurationItems: [item(fields)] });
    const discovery = await errorsFor(text);
    const at = positionOf(text, '"defaultValue": ');
    const expected = mismatched
      ? [
          {
            code: 'DEF_DEFAULT_VALUE',
            file,
            pointer: '/configurationItems/0/defaultValue',
            line: at.line,
            column: at.column + 16,
          },
        ]
      : [];
    expect(located(discovery.errors)).toEqual(expected);
  });
});

describe('checks across definitions', () => {
  it('reports a worker id used twice in one kind, at both definitions', async () => {
    const first = definitionText({ name: 'Echo.Lookup' });
    const second = definitionText({ name: 'Echo_Lookup', command: 'Other/other.py' });
    const discovery = await discoverTree({
      ...pythonWorker('Echo', { 'Echo.json': first }),
      ...pythonWorker('Other', { 'Other.json': second }),
      // Another kind may use the same id: not a duplicate (the image name it shares is another error, see below).
      'responders/Echo/Echo.json': definitionText({ name: 'Echo_Lookup' }),
      'responders/Echo/echo.py': '',
      'responders/Echo/README.md': '',
    });
    expect(located(discovery.errors.filter((problem) => problem.code === 'DEF_DUPLICATE_ID'))).toEqual([
      { code: 'DEF_DUPLICATE_ID', file, pointer: '/name', ...positionOf(first, '"Echo.Lookup"') },
      {
        code: 'DEF_DUPLICATE_ID',
        file: 'analyzers/Other/Other.json',
        pointer: '/name',
        ...positionOf(second, '"Echo_Lookup"'),
      },
    ]);
    expect(discovery.errors[0]?.message).toContain('Echo_Lookup_1_0');
    expect(
      discovery.errors.filter((problem) => problem.code === 'DEF_IMAGE_NAME_COLLISION').map((problem) => problem.file),
    ).toEqual(['analyzers/Other/Other.json', 'responders/Echo/Echo.json']);
    expect(discovery.workers.map((worker) => worker.errorCount)).toEqual([1, 2, 1]);
  });

  it('reports flavors of one folder that need different runtimes', async () => {
    const python = definitionText({ name: 'A', command: 'Mixed/a.py' });
    const tree = {
      'analyzers/Mixed/A.json': python,
      'analyzers/Mixed/B.json': definitionText({ name: 'B', command: 'Mixed/b.js' }),
      'analyzers/Mixed/a.py': '',
      'analyzers/Mixed/b.js': '',
      'analyzers/Mixed/README.md': '',
    };
    const discovery = await discoverTree(tree);
    const at = positionOf(python, '"Mixed/a.py"');
    expect(located(discovery.errors)).toEqual([
      { code: 'DEF_MIXED_RUNTIME', file: 'analyzers/Mixed/A.json', pointer: '/command', ...at },
    ]);
    // With its own Dockerfile the folder builds however it likes.
    const custom = await discoverTree({ ...tree, 'analyzers/Mixed/Dockerfile': 'FROM scratch\n' });
    expect(custom.errors).toEqual([]);
    expect(custom.workers[0]?.runtime).toBe('custom');
  });

  it('reports a folder whose runtime cannot be detected', async () => {
    const discovery = await discoverTree({
      'analyzers/Tool/Tool.json': definitionText({ name: 'Tool', command: 'Tool/tool' }),
      'analyzers/Tool/tool': '#!/bin/sh\n',
      'analyzers/Tool/README.md': '',
    });
    expect(located(discovery.errors)).toEqual([{ code: 'DEF_UNKNOWN_RUNTIME', file: 'analyzers/Tool' }]);
    expect(discovery.workers[0]).toMatchObject({ runtime: undefined, errorCount: 1 });
  });

  it('keeps going: a folder with errors does not stop the others', async () => {
    const discovery = await discoverTree({
      ...pythonWorker('Echo', { 'Echo.json': definitionText({ version: 'one' }), 'Echo_Two.json': '{' }),
      ...pythonWorker('Fine', { 'Fine.json': definitionText({ name: 'Fine', command: 'Fine/fine.py' }) }),
    });
    expect(discovery.errors.map((problem) => problem.code)).toEqual(['DEF_VERSION_INVALID', 'DEF_JSON_SYNTAX']);
    expect(discovery.workers.map((worker) => [worker.directory, worker.errorCount])).toEqual([
      ['Echo', 2],
      ['Fine', 0],
    ]);
  });
});
