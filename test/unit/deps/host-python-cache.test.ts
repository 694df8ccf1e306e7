import { chmod, mkdir, mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { askHostPython } from '../../../src/deps/pip.js';

/**
 * A launcher named python3 (as pyenv's shim is) that counts its runs in a file and answers as a Python would: the
 * interpreter it stands for (`interpreter`, a file of the test) and its `X.Y`.
 */
async function writeLauncher(bin: string, interpreter: string, version: string, runs: string): Promise<void> {
  const script = `#!/bin/sh\necho run >> '${runs}'\necho '${interpreter}'\necho '${version}'\n`;
  await writeFile(path.join(bin, 'python3'), script);
  await chmod(path.join(bin, 'python3'), 0o755);
}

describe('the host Python, remembered between runs', () => {
  let root: string;
  let bin: string;
  let home: string;
  let runs: string;
  let interpreter: string;
  let cacheFile: string;
  let env: NodeJS.ProcessEnv;
  const count = async (): Promise<number> =>
    (await readFile(runs, 'utf8').catch(() => '')).split('\n').filter(Boolean).length;

  beforeEach(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'neurons-host-python-'));
    bin = path.join(root, 'bin');
    home = path.join(root, 'home');
    await mkdir(bin);
    await mkdir(home);
    runs = path.join(root, 'runs');
    interpreter = path.join(root, 'python3.11');
    await writeFile(interpreter, 'an interpreter');
    await writeLauncher(bin, interpreter, '3.11', runs);
    cacheFile = path.join(root, 'cache', 'host-python.json');
    env = { PATH: `${bin}:/usr/bin:/bin`, HOME: home };
  });

  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('asks the launcher once, then answers from what it remembered', async () => {
    expect(await askHostPython(env, cacheFile)).toEqual({ executable: interpreter, version: '3.11' });
    expect(await count()).toBe(1);
    expect(await askHostPython(env, cacheFile)).toEqual({ executable: interpreter, version: '3.11' });
    expect(await count()).toBe(1);
  });

  it('asks again when the launcher, the version it would choose, the interpreter or the PATH changed', async () => {
    await askHostPython(env, cacheFile);
    // pyenv's global version chosen anew.
    await mkdir(path.join(home, '.pyenv'));
    await writeFile(path.join(home, '.pyenv', 'version'), '3.12.1\n');
    await askHostPython(env, cacheFile);
    expect(await count()).toBe(2);
    // Another launcher (or another interpreter behind the same name).
    const other = path.join(root, 'python3.12');
    await writeFile(other, 'another interpreter');
    await writeLauncher(bin, other, '3.12', runs);
    expect(await askHostPython(env, cacheFile)).toEqual({ executable: other, version: '3.12' });
    expect(await count()).toBe(3);
    // The interpreter reinstalled in place.
    await writeFile(other, 'the same interpreter, reinstalled');
    await utimes(other, new Date(), new Date(Date.now() + 5000));
    await askHostPython(env, cacheFile);
    expect(await count()).toBe(4);
    // Another PATH.
    await askHostPython({ ...env, PATH: `${bin}:/bin` }, cacheFile);
    expect(await count()).toBe(5);
    await askHostPython({ ...env, PATH: `${bin}:/bin` }, cacheFile);
    expect(await count()).toBe(5);
  });

  it('remembers nothing when the answer names no interpreter, or without a python3 on PATH', async () => {
    await writeLauncher(bin, 'python3', '3.11', runs);
    expect(await askHostPython(env, cacheFile)).toEqual({ executable: 'python3', version: '3.11' });
    await askHostPython(env, cacheFile);
    expect(await count()).toBe(2);
    const none = await askHostPython({ PATH: path.join(root, 'empty'), HOME: home }, cacheFile);
    expect(none).toEqual({ executable: 'python3', version: undefined });
    await expect(readFile(cacheFile, 'utf8')).rejects.toThrow();
  });
});
