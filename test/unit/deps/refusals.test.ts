import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  installDependencies,
  resolveDependencies,
  type DependencyRequest,
} from '../../../src/deps/dependency-layer.js';

const request = (
  folder: string,
  change: Partial<DependencyRequest> = {},
  without: Array<keyof DependencyRequest> = [],
): DependencyRequest => {
  const made: DependencyRequest = {
    runtime: 'python',
    platform: { os: 'linux', architecture: 'arm64' },
    baseDigest: `sha256:${'0'.repeat(64)}`,
    folder,
    requirements: 'requirements.txt',
    pythonVersion: '3.11',
    file: 'analyzers/Refusals',
    ...change,
  };
  for (const field of without) delete made[field];
  return made;
};

const folders: string[] = [];
async function workerFolder(): Promise<string> {
  const folder = await mkdtemp(path.join(tmpdir(), 'neurons-deps-unit-'));
  folders.push(folder);
  return folder;
}
afterAll(async () => {
  await Promise.all(folders.map((folder) => rm(folder, { recursive: true, force: true })));
});

/** What is decided before pip or npm would run: no tool is started by these. */
describe('dependency requests decided without a tool', () => {
  it('has nothing to install without requirements, or with only comments', async () => {
    const folder = await workerFolder();
    expect(await resolveDependencies(request(folder, {}, ['requirements']))).toEqual({ kind: 'none' });
    await writeFile(path.join(folder, 'requirements.txt'), '# nothing yet\n\n');
    expect(await resolveDependencies(request(folder))).toEqual({ kind: 'none' });
  });

  it('leaves a base without a known Python version, or an unknown architecture, to the engine', async () => {
    const folder = await workerFolder();
    await writeFile(path.join(folder, 'requirements.txt'), 'requests\n');
    expect(await resolveDependencies(request(folder, {}, ['pythonVersion']))).toEqual({
      kind: 'engine',
      reason: 'the base image does not say its Python version',
    });
    expect(await resolveDependencies(request(folder, { platform: { os: 'linux', architecture: 'riscv64' } }))).toEqual({
      kind: 'engine',
      reason: 'no wheel platform tags known for linux/riscv64',
    });
  });

  it('names the requirements file it cannot read', async () => {
    const folder = await workerFolder();
    await expect(resolveDependencies(request(folder))).rejects.toMatchObject({
      code: 'DEPS_REQUIREMENTS_UNREADABLE',
      problem: { file: 'analyzers/Refusals/requirements.txt' },
    });
  });

  it('refuses to install a lockfile that changed since it was resolved', async () => {
    const folder = await workerFolder();
    await writeFile(
      path.join(folder, 'package.json'),
      JSON.stringify({ name: 'w', version: '1.0.0', dependencies: { a: '1.0.0' } }),
    );
    await writeFile(
      path.join(folder, 'package-lock.json'),
      JSON.stringify({ lockfileVersion: 3, packages: { '': {}, 'node_modules/a': { version: '1.0.1' } } }),
    );
    const node = request(folder, { runtime: 'node' });
    await expect(
      installDependencies(node, { kind: 'resolved', key: 'sha256:x', packages: [{ name: 'a', version: '1.0.0' }] }),
    ).rejects.toMatchObject({ code: 'DEPS_CHANGED' });
  });
});
