import { spawnSync } from 'node:child_process';
import { copyFile, mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DEPENDENCY_IMPORTS_SCRIPT,
  coverKey,
  holdsNativeCode,
  judgeDependencyImports,
} from '../../../src/smoke/layer-cover.js';
import { writeFiles } from '../../helpers/test-images.js';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'neurons-layer-cover-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('holdsNativeCode', () => {
  it('finds an ELF file at any depth, and nothing in scripts, text or a link to a program', async () => {
    const plain = path.join(root, 'plain');
    await writeFiles(plain, { 'job.py': 'print(1)\n', 'lib/data.bin': '\x7fEL', 'README.md': '# ELF\n' });
    await symlink('/bin/true', path.join(plain, 'lib', 'true'));
    expect(await holdsNativeCode(plain)).toBe(false);
    const native = path.join(root, 'native');
    await writeFiles(native, { 'job.py': 'print(1)\n' });
    await writeFiles(native, { 'vendor/ext/README': 'x' });
    await copyFile('/bin/true', path.join(native, 'vendor/ext/_speedups.so'));
    expect(await holdsNativeCode(native)).toBe(true);
    expect(await holdsNativeCode(path.join(root, 'missing'))).toBe(false);
  });
});

describe('coverKey', () => {
  it('leaves out the last layer (the worker files) and nothing else', () => {
    const image = {
      os: 'linux',
      architecture: 'arm64',
      layers: ['a', 'b', 'w1'],
      env: ['X=1'],
      user: '',
      workingDir: '/w',
    };
    expect(coverKey(image)).toBe(coverKey({ ...image, layers: ['a', 'b', 'w2'] }));
    expect(coverKey(image)).not.toBe(coverKey({ ...image, layers: ['a', 'c', 'w1'] }));
    expect(coverKey(image)).not.toBe(coverKey({ ...image, architecture: 'amd64' }));
    expect(coverKey(image)).not.toBe(coverKey({ ...image, env: ['X=2'] }));
  });
});

describe('judgeDependencyImports', () => {
  it('passes when every installed module imported, and names the ones that did not', () => {
    const report = (imported: string[], failed: string[]) => `${JSON.stringify({ imported, failed })}\n`;
    expect(judgeDependencyImports({ exitCode: 0, timedOut: false, logs: report(['idna', 'requests'], []) })).toEqual({
      name: 'dependency imports',
      passed: true,
      detail: 'every installed module imports: idna, requests',
    });
    const failed = judgeDependencyImports({
      exitCode: 1,
      timedOut: false,
      logs: report(['idna'], ['lxml (ImportError: libxml2.so.2: cannot open shared object file)']),
    });
    expect(failed).toMatchObject({ passed: false, detail: expect.stringContaining('lxml (ImportError: libxml2.so.2') });
    expect(judgeDependencyImports({ exitCode: 139, timedOut: false, logs: 'Segmentation fault\n' })).toMatchObject({
      passed: false,
      detail: expect.stringMatching(/^exit code 139/),
    });
    expect(judgeDependencyImports(undefined).passed).toBe(false);
  });
});

describe('DEPENDENCY_IMPORTS_SCRIPT', () => {
  it('imports every public top-level module and every compiled extension of a site folder, and names what fails', async () => {
    // A compiled extension of this host's Python, copied into a package: importable under its own name only.
    const python = 'python3';
    const found = spawnSync(python, ['-c', 'import _json; print(_json.__file__)'], { encoding: 'utf8' }).stdout.trim();
    const suffix = path.basename(found).slice('_json'.length);
    const site = path.join(root, 'site');
    await writeFiles(site, {
      'pkg/__init__.py': '',
      'tool.py': 'VALUE = 1\n',
      '_private.py': 'raise RuntimeError("never imported: private")\n',
      'pkg.libs/README': 'vendored libraries, not modules',
    });
    await copyFile(found, path.join(site, 'pkg', `_json${suffix}`));
    // The same library under another name: its init function does not match, as a broken build's would not.
    await copyFile(found, path.join(site, 'pkg', `broken${suffix}`));
    await copyFile(found, path.join(site, 'pkg.libs', `libvendored${suffix}`));
    const run = spawnSync(python, ['-c', DEPENDENCY_IMPORTS_SCRIPT, site], { encoding: 'utf8' });
    const report = JSON.parse(run.stdout.trim()) as { imported: string[]; failed: string[] };
    expect(report.imported).toEqual(['pkg', 'tool', 'pkg._json']);
    expect(report.failed).toEqual([expect.stringMatching(/^pkg\.broken \(ImportError: .*PyInit_broken/)]);
    expect(run.status).toBe(1);
  });
});
