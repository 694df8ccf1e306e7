import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { TarEntry } from '../../../src/oci/tar.js';
import { findLeak } from '../../../src/deps/leak-check.js';
import { rewriteShebang, venvEntries } from '../../../src/deps/venv-layout.js';

const file = (name: string, text: string, mode = 0o644): TarEntry => ({
  name,
  type: 'file',
  mode,
  data: Buffer.from(text),
});
const dir = (name: string): TarEntry => ({ name, type: 'directory', mode: 0o755 });
const script =
  '#!/root/.pyenv/versions/3.11.7/bin/python3\n# -*- coding: utf-8 -*-\nimport sys\nfrom tool.cli import main\nsys.exit(main())\n';

/** A `pip install --target` tree: a package, its dist-info, a console script and a data file. */
const targetTree: TarEntry[] = [
  dir('bin'),
  file('bin/tool', script, 0o755),
  dir('share'),
  dir('share/man'),
  file('share/man/tool.1', '.TH tool\n'),
  dir('tool'),
  file('tool/__init__.py', ''),
  file('tool/cli.py', 'def main(): return 0\n'),
  dir('tool-1.0.dist-info'),
  file(
    'tool-1.0.dist-info/RECORD',
    '../../bin/tool,sha256=old,10\n../../share/man/tool.1,sha256=m,10\ntool/__init__.py,sha256=x,0\ntool-1.0.dist-info/RECORD,,\n',
  ),
  file('tool-1.0.dist-info/METADATA', 'Name: tool\nVersion: 1.0\n'),
];

describe('the virtualenv layer', () => {
  const entries = venvEntries(targetTree, '3.11');
  const byName = new Map(entries.map((entry) => [entry.name, entry]));

  it('lays packages in site-packages, scripts and data in the venv, in name order with every folder', () => {
    const names = entries.map((entry) => entry.name);
    expect(names).toEqual([...names].sort());
    expect(names).toContain('opt/venv/lib/python3.11/site-packages/tool/cli.py');
    expect(names).toContain('opt/venv/lib/python3.11/site-packages/tool-1.0.dist-info/METADATA');
    expect(names).toContain('opt/venv/bin/tool');
    expect(names).toContain('opt/venv/share/man/tool.1');
    for (const folder of [
      'opt',
      'opt/venv',
      'opt/venv/bin',
      'opt/venv/lib',
      'opt/venv/lib/python3.11',
      'opt/venv/lib/python3.11/site-packages',
    ])
      expect(byName.get(folder)).toEqual(dir(folder));
    expect(new Set(names).size).toBe(names.length);
  });

  it('is a venv of the base interpreter, as `python3 -m venv /opt/venv` makes it', () => {
    expect(byName.get('opt/venv/pyvenv.cfg')?.data?.toString()).toBe(
      'home = /usr/bin\ninclude-system-site-packages = false\nversion = 3.11\n',
    );
    expect(byName.get('opt/venv/bin/python3')).toMatchObject({ type: 'symlink', linkTarget: '/usr/bin/python3' });
    expect(byName.get('opt/venv/bin/python')).toMatchObject({ type: 'symlink', linkTarget: 'python3' });
    expect(byName.get('opt/venv/lib64')).toMatchObject({ type: 'symlink', linkTarget: 'lib' });
  });

  it('links to the interpreter of an official python image where it is', () => {
    const official = new Map(venvEntries(targetTree, '3.12', '/usr/local/bin').map((entry) => [entry.name, entry]));
    expect(official.get('opt/venv/bin/python3')).toMatchObject({
      type: 'symlink',
      linkTarget: '/usr/local/bin/python3',
    });
    expect(official.get('opt/venv/pyvenv.cfg')?.data?.toString()).toContain('home = /usr/local/bin\n');
    expect(official.has('opt/venv/lib/python3.12/site-packages/tool/cli.py')).toBe(true);
  });

  it('gives console scripts the venv interpreter, keeping their mode, and records their new hash', () => {
    const tool = byName.get('opt/venv/bin/tool');
    expect(tool?.mode).toBe(0o755);
    expect(tool?.data?.toString()).toBe(
      script.replace('#!/root/.pyenv/versions/3.11.7/bin/python3', '#!/opt/venv/bin/python3'),
    );
    const hash = createHash('sha256')
      .update(tool?.data ?? Buffer.alloc(0))
      .digest('base64url');
    const record = byName.get('opt/venv/lib/python3.11/site-packages/tool-1.0.dist-info/RECORD')?.data?.toString();
    expect(record).toContain(`../../../bin/tool,sha256=${hash},${tool?.data?.length}\n`);
    expect(record).toContain('../../../share/man/tool.1,sha256=m,10\n');
    expect(record).toContain('tool/__init__.py,sha256=x,0\n');
    expect(findLeak(entries, { secrets: [], paths: ['/root/.pyenv/versions/3.11.7'] })).toBeUndefined();
  });

  it('rewrites the long-path form of a script and leaves other files alone', () => {
    const long = "#!/bin/sh\n'''exec' /very/long/path/bin/python3.11 \"$0\" \"$@\"\n' '''\nimport sys\n";
    expect(rewriteShebang(Buffer.from(long))?.toString()).toBe('#!/opt/venv/bin/python3\nimport sys\n');
    expect(rewriteShebang(Buffer.from('#!/bin/sh\necho hi\n'))).toBeUndefined();
    expect(rewriteShebang(Buffer.from('\x7fELF'))).toBeUndefined();
  });
});

describe('leaks in a layer', () => {
  const layer = [
    file('a/config.txt', 'index=https://pip:hunter2-secret@x/'),
    { name: 'a/link', type: 'symlink' as const, mode: 0o777, linkTarget: '/tmp/neurons-deps-abc/x' },
  ];

  it('finds a credential in a file and a path of the machine in a link', () => {
    expect(findLeak(layer, { secrets: ['hunter2-secret'], paths: [] })).toEqual({
      entry: 'a/config.txt',
      what: 'secret',
    });
    expect(findLeak(layer, { secrets: [undefined], paths: ['/tmp/neurons-deps-abc'] })).toEqual({
      entry: 'a/link',
      what: 'path',
      path: '/tmp/neurons-deps-abc',
    });
    expect(findLeak(layer, { secrets: ['other'], paths: ['/home/ci'] })).toBeUndefined();
  });
});
