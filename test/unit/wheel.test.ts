import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildWheel } from '../../src/environment/wheel.js';

describe('wheels for the test package index', () => {
  it('builds a wheel that Python reads, with a correct RECORD', async () => {
    const source = await mkdtemp(path.join(tmpdir(), 'neurons-wheel-'));
    await mkdir(path.join(source, 'demo_pkg'));
    await writeFile(path.join(source, 'demo_pkg', '__init__.py'), 'VALUE = 42\n');
    const wheel = await buildWheel({ name: 'demo-pkg', version: '0.1.0', summary: 'demo' }, source);
    expect(wheel.fileName).toBe('demo_pkg-0.1.0-py3-none-any.whl');
    const file = path.join(source, wheel.fileName);
    await writeFile(file, wheel.data);
    const check = `
import base64, hashlib, sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
assert z.testzip() is None
rows = [r.split(',') for r in z.read('demo_pkg-0.1.0.dist-info/RECORD').decode().splitlines()]
for name, digest, size in rows:
    if not digest: continue
    data = z.read(name)
    assert digest == 'sha256=' + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b'=').decode(), name
    assert int(size) == len(data), name
sys.path.insert(0, sys.argv[1])
import demo_pkg
print(demo_pkg.VALUE)
`;
    expect(execFileSync('python3', ['-c', check, file], { encoding: 'utf8' }).trim()).toBe('42');
  });
});
