import { mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Config } from '../../src/config/load-config.js';
import type { Flavor, WorkerFolder } from '../../src/definitions/types.js';
import { flavorEntrypoint, renderBuild } from '../../src/render/render-dockerfile.js';

const config: Config = {
  registries: [],
  baseImages: { python: 'mirror/python:3.11', go: 'mirror/go:1.19', node: 'mirror/node:18' },
  packageIndex: { url: 'https://index.example/simple/', credentials: { username: 'u', password: 'index-secret' }, caPem: 'PEM' },
  channel: 'stable',
  output: '/tmp/out',
  sources: [],
};

function flavor(command: string): Flavor {
  return { file: 'x.json', id: 'X_1_0', definition: { name: 'X', version: '1.0', author: '', url: '', license: '', description: '', dataTypeList: [], command, baseConfig: 'X' } };
}

async function repoWith(directory: string, files: Record<string, string>): Promise<string> {
  const repo = await mkdtemp(path.join(tmpdir(), 'neurons-render-'));
  await mkdir(path.join(repo, 'analyzers', directory), { recursive: true });
  for (const [name, content] of Object.entries(files)) await writeFile(path.join(repo, 'analyzers', directory, name), content);
  return repo;
}

function worker(directory: string, runtime: WorkerFolder['runtime'], command: string): WorkerFolder {
  return { kind: 'analyzer', directory, path: `analyzers/${directory}`, runtime, flavors: [flavor(command)], errorCount: 0 };
}

describe('Dockerfile rendering', () => {
  it('python: installs requirements from the configured index in the builder stage only', async () => {
    const repo = await repoWith('Py', { 'py.py': '', 'requirements.txt': 'x\n' });
    const build = await renderBuild(repo, worker('Py', 'python', 'Py/py.py'), 'requirements.txt', config, 'analyzers/Py');
    const [, builder = '', final = ''] = build.dockerfile.split(/\n(?=FROM )/);
    expect(builder).toContain('FROM mirror/python:3.11 AS builder');
    expect(builder).toContain('ARG PIP_INDEX_URL');
    expect(builder).toContain('COPY .neurons/index-ca.crt');
    expect(final).not.toMatch(/PIP_|index-ca/);
    expect(final).toContain('COPY worker/ /worker/Py/');
    expect(build.dockerfile).not.toContain('index-secret');
    expect(build.secretBuildArgs['PIP_INDEX_URL']).toBe('https://u:index-secret@index.example/simple/');
    expect(build.extraFiles.get('.neurons/index-ca.crt')?.toString()).toBe('PEM');
  });

  it('python without requirements: no pip step, no index', async () => {
    const repo = await repoWith('Py', { 'py.py': '' });
    const build = await renderBuild(repo, worker('Py', 'python', 'Py/py.py'), undefined, config, 'analyzers/Py');
    expect(build.dockerfile).not.toMatch(/pip install|PIP_INDEX_URL/);
    expect(build.secretBuildArgs).toEqual({});
  });

  it('go: static build, scratch final image, job adapter for stdin/stdout workers', async () => {
    const repo = await repoWith('Go', { 'go.mod': 'module x\n', 'main.go': 'package main\nfunc main() {}\n' });
    const go = worker('Go', 'go', 'Go/bin/check');
    const build = await renderBuild(repo, go, undefined, config, 'analyzers/Go');
    expect(build.dockerfile).toContain('ENV CGO_ENABLED=0');
    expect(build.dockerfile).toContain('-trimpath');
    expect(build.dockerfile).toContain('-o /out/bin/check .');
    expect(build.dockerfile).toContain('FROM scratch');
    expect([...build.extraFiles.keys()]).toEqual(['.neurons/adapter/go.mod', '.neurons/adapter/main.go']);
    expect(flavorEntrypoint('go', flavor('Go/bin/check'), true)).toBe('["/usr/local/bin/neurons-job-adapter","/worker/Go/bin/check"]');
  });

  it('go: no adapter for workers that read the job folder themselves', async () => {
    const repo = await repoWith('Go', { 'go.mod': 'module x\n', 'main.go': 'package main\nconst in = "/job"\nfunc main() {}\n' });
    const build = await renderBuild(repo, worker('Go', 'go', 'Go/check'), undefined, config, 'analyzers/Go');
    expect(build.dockerfile).not.toContain('adapter');
    expect(flavorEntrypoint('go', flavor('Go/check'), false)).toBe('["/worker/Go/check"]');
  });

  it('node and custom', async () => {
    const repo = await repoWith('Js', { 'package.json': '{"dependencies":{"a":"1"}}', 'index.js': '', Dockerfile: 'FROM own\n' });
    const node = await renderBuild(repo, worker('Js', 'node', 'Js/index.js'), undefined, config, 'analyzers/Js');
    expect(node.dockerfile).toContain('FROM mirror/node:18');
    expect(node.dockerfile).toContain('npm ci --omit=dev');
    const custom = await renderBuild(repo, worker('Js', 'custom', 'Js/index.js'), undefined, config, 'analyzers/Js');
    expect(custom.dockerfile).toBe('FROM own\n');
    expect(custom.contextPrefix).toBe('');
    expect(custom.buildArgs['NEURONS_BASE_PYTHON']).toBe('mirror/python:3.11');
    expect(flavorEntrypoint('custom', flavor('Js/index.js'), false)).toBeUndefined();
  });

  it('fails with a coded error when a runtime has no base image', async () => {
    const repo = await repoWith('Js', { 'index.js': '' });
    const bare = { ...config, baseImages: { python: undefined, go: undefined, node: undefined } };
    await expect(renderBuild(repo, worker('Js', 'node', 'Js/index.js'), undefined, bare, 'analyzers/Js')).rejects.toMatchObject({ code: 'RENDER_NO_BASE_IMAGE', problem: { file: 'analyzers/Js' } });
  });
});
