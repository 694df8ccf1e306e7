import Docker from 'dockerode';
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import type { Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTar, type TarEntry } from '../../src/oci/tar.js';
import { createCertificateAuthority, issueServerCertificate } from '../../src/ca/certificates.js';
import { findCachedLayer, storeCachedLayer } from '../../src/deps/cache.js';
import {
  installDependencies,
  resolveDependencies,
  type DependencyRequest,
  type DependencyResolution,
} from '../../src/deps/dependency-layer.js';
import { startPackageIndex } from '../../src/environment/package-index-server.js';
import { hostPythonVersion } from '../../src/deps/pip.js';
import type { EnvironmentState } from '../../src/state/environment-state.js';
import { buildWheel, zip } from '../../src/environment/wheel.js';
import { digestOf } from '../../src/registry/client.js';
import { environmentState, registryClient, root } from '../helpers/environment.js';

const amd64 = { os: 'linux', architecture: 'amd64' };
const arm64 = { os: 'linux', architecture: 'arm64' };
const baseDigest = `sha256:${'ab'.repeat(32)}`;

type Resolved = Extract<DependencyResolution, { kind: 'resolved' }>;

/** Temporary folders of this file, removed when it ends. */
const temporaries: string[] = [];
async function temporary(prefix: string): Promise<string> {
  const directory = await mkdtemp(path.join(tmpdir(), prefix));
  temporaries.push(directory);
  return directory;
}
afterAll(async () => {
  await Promise.all(temporaries.map((directory) => rm(directory, { recursive: true, force: true })));
});

function resolved(resolution: DependencyResolution): Resolved {
  if (resolution.kind !== 'resolved') throw new Error(`expected a resolution, got ${JSON.stringify(resolution)}`);
  return resolution;
}

/** A worker folder holding only a requirements file. */
async function pythonWorker(requirements: string): Promise<string> {
  const folder = await temporary('neurons-deps-worker-');
  await writeFile(path.join(folder, 'requirements.txt'), requirements);
  return folder;
}

/** The layer as the image assembler makes it: gzip of the tar, its digest, and the tar's digest (diff ID). */
function layerOf(entries: TarEntry[]): {
  mediaType: string;
  digest: string;
  size: number;
  diffId: string;
  bytes: Buffer;
} {
  const tar = createTar(entries);
  const bytes = gzipSync(tar);
  return {
    mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
    digest: digestOf(bytes),
    size: bytes.length,
    diffId: digestOf(tar),
    bytes,
  };
}

/** Runs `command` in the base image with the layer's folder `mount` mounted where it belongs; its output and status. */
async function runWithLayer(
  docker: Docker,
  image: string,
  entries: TarEntry[],
  mount: string,
  command: string[],
): Promise<{ status: number; output: string }> {
  const directory = await temporary('neurons-deps-layer-');
  await writeFile(path.join(directory, 'layer.tar'), createTar(entries));
  execFileSync('tar', ['-xf', path.join(directory, 'layer.tar'), '-C', directory]);
  const Binds = [`${path.join(directory, mount)}:/${mount}:ro`];
  const container = await docker.createContainer({
    Image: image,
    Cmd: command,
    Tty: true,
    WorkingDir: '/worker',
    HostConfig: { Binds, NetworkMode: 'none' },
  });
  try {
    await container.start();
    const { StatusCode } = (await container.wait()) as { StatusCode: number };
    const output = (await container.logs({ stdout: true, stderr: true })).toString();
    return { status: StatusCode, output };
  } finally {
    await container.remove({ force: true });
  }
}

/** A wheel with a console script, as a project declaring `[project.scripts]` publishes it. */
function scriptWheel(version: string): { fileName: string; data: Buffer } {
  const distInfo = `clitool-${version}.dist-info`;
  const files = [
    { name: 'clitool/__init__.py', data: Buffer.from(`def main():\n    print("clitool ${version} from", __file__)\n`) },
    { name: `${distInfo}/METADATA`, data: Buffer.from(`Metadata-Version: 2.1\nName: clitool\nVersion: ${version}\n`) },
    {
      name: `${distInfo}/WHEEL`,
      data: Buffer.from('Wheel-Version: 1.0\nGenerator: neurons-test\nRoot-Is-Purelib: true\nTag: py3-none-any\n'),
    },
    { name: `${distInfo}/entry_points.txt`, data: Buffer.from('[console_scripts]\nclitool = clitool:main\n') },
  ];
  const record = files
    .map(
      (file) => `${file.name},sha256=${createHash('sha256').update(file.data).digest('base64url')},${file.data.length}`,
    )
    .join('\n');
  return {
    fileName: `clitool-${version}-py3-none-any.whl`,
    data: zip([...files, { name: `${distInfo}/RECORD`, data: Buffer.from(`${record}\n${distInfo}/RECORD,,\n`) }]),
  };
}

/** A compiled wheel for x86_64 alone: what an arm64 target cannot get from the host. */
function x86OnlyWheel(): { fileName: string; data: Buffer } {
  const distInfo = 'nativelib-1.0.0.dist-info';
  const files = [
    { name: 'nativelib/__init__.py', data: Buffer.from('') },
    { name: `${distInfo}/METADATA`, data: Buffer.from('Metadata-Version: 2.1\nName: nativelib\nVersion: 1.0.0\n') },
    {
      name: `${distInfo}/WHEEL`,
      data: Buffer.from(
        'Wheel-Version: 1.0\nGenerator: neurons-test\nRoot-Is-Purelib: false\nTag: cp311-cp311-manylinux_2_17_x86_64\n',
      ),
    },
  ];
  return {
    fileName: 'nativelib-1.0.0-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl',
    data: zip([...files, { name: `${distInfo}/RECORD`, data: Buffer.from('') }]),
  };
}

describe('dependency layers from the environment package index', () => {
  const docker = new Docker();
  let state: EnvironmentState;
  let folder: string;
  let request: (platform: typeof amd64) => DependencyRequest;
  let wheelSha256: string;
  let hostVersion: string | undefined;
  const layers = new Map<string, { resolution: Resolved; entries: TarEntry[] }>();

  beforeAll(async () => {
    state = await environmentState();
    hostVersion = await hostPythonVersion();
    folder = await pythonWorker('# the fixture library\ncortexlite\n');
    const index = {
      url: state.packageIndex.url,
      username: state.packageIndex.username,
      password: state.packageIndex.password,
      caFile: state.caFile,
    };
    request = (platform) => ({
      runtime: 'python',
      platform,
      baseDigest,
      folder,
      requirements: 'requirements.txt',
      pythonVersion: '3.11',
      index,
      file: 'analyzers/Deps',
    });
    wheelSha256 = createHash('sha256')
      .update(
        await readFile(path.join(state.directory, 'package-index', 'packages', 'cortexlite-1.0.0-py3-none-any.whl')),
      )
      .digest('hex');
    for (const platform of [amd64, arm64]) {
      const resolution = resolved(await resolveDependencies(request(platform)));
      layers.set(platform.architecture, {
        resolution,
        entries: await installDependencies(request(platform), resolution),
      });
    }
  });

  it('resolves the exact version and file for each platform, without credentials', () => {
    for (const architecture of ['amd64', 'arm64']) {
      const { resolution } = layers.get(architecture) ?? { resolution: undefined };
      expect(resolution?.packages).toEqual([
        {
          name: 'cortexlite',
          version: '1.0.0',
          sha256: wheelSha256,
          url: `${new URL(state.packageIndex.url).origin}/packages/cortexlite-1.0.0-py3-none-any.whl`,
        },
      ]);
      expect(JSON.stringify(resolution)).not.toContain(state.packageIndex.password);
    }
    expect(layers.get('amd64')?.resolution.key).not.toBe(layers.get('arm64')?.resolution.key);
  });

  it('lays out a venv at /opt/venv holding the package, the same files for both platforms of a pure-Python package', () => {
    const amd = layers.get('amd64')?.entries ?? [];
    const names = amd.map((entry) => entry.name);
    expect(names).toEqual(
      expect.arrayContaining([
        'opt/venv/pyvenv.cfg',
        'opt/venv/bin/python3',
        'opt/venv/lib/python3.11/site-packages/cortexlite/__init__.py',
        'opt/venv/lib/python3.11/site-packages/cortexlite-1.0.0.dist-info/METADATA',
      ]),
    );
    // Bytecode, compiled for the image when the host's Python is its version (3.11 here): hash-based and unchecked
    // (PEP 552 flags 0b01: a layer's times are all zero), naming the image's path, never the host's.
    const bytecode = names.filter((name) => name.includes('__pycache__') || name.endsWith('.pyc'));
    if (hostVersion === '3.11') {
      expect(bytecode).toEqual([
        'opt/venv/lib/python3.11/site-packages/cortexlite/__pycache__',
        'opt/venv/lib/python3.11/site-packages/cortexlite/__pycache__/__init__.cpython-311.pyc',
      ]);
      const pyc = amd.find((entry) => entry.name.endsWith('.pyc'))?.data ?? Buffer.alloc(0);
      expect(pyc.readUInt32LE(4)).toBe(1);
      expect(pyc.includes(Buffer.from('/opt/venv/lib/python3.11/site-packages/cortexlite/__init__.py'))).toBe(true);
      expect(pyc.includes(Buffer.from(tmpdir()))).toBe(false);
    } else {
      expect(bytecode).toEqual([]);
    }
    // Two installs (one per platform) of a pure-Python package: the same bytes, bytecode included.
    for (const entry of amd)
      expect(entry.mode).toBe(
        entry.type === 'directory' ? 0o755 : entry.type === 'symlink' ? 0o777 : entry.mode === 0o755 ? 0o755 : 0o644,
      );
    expect(createTar(layers.get('arm64')?.entries ?? []).equals(createTar(amd))).toBe(true);
  });

  it('leaves the index password in no byte of the layer, compressed or not', () => {
    for (const { entries } of layers.values()) {
      const layer = layerOf(entries);
      expect(createTar(entries).includes(Buffer.from(state.packageIndex.password))).toBe(false);
      expect(layer.bytes.includes(Buffer.from(state.packageIndex.password))).toBe(false);
    }
  });

  it('gives a venv the base image runs', async () => {
    const run = await runWithLayer(docker, state.baseImages.python, layers.get('amd64')?.entries ?? [], 'opt/venv', [
      '/opt/venv/bin/python',
      '-c',
      'import sys, cortexlite; print(sys.prefix, cortexlite.__file__)',
    ]);
    expect(run.output).toContain('/opt/venv /opt/venv/lib/python3.11/site-packages/cortexlite/__init__.py');
    expect(run.status).toBe(0);
    if (hostVersion !== '3.11') return;
    // The base image's Python loads the layer's bytecode instead of compiling the package again.
    const verbose = await runWithLayer(
      docker,
      state.baseImages.python,
      layers.get('amd64')?.entries ?? [],
      'opt/venv',
      ['/opt/venv/bin/python', '-v', '-c', 'import cortexlite'],
    );
    expect(verbose.output).toContain(
      "code object from '/opt/venv/lib/python3.11/site-packages/cortexlite/__pycache__/__init__.cpython-311.pyc'",
    );
  });

  it('stores the layer in the registry under its key and finds it again from anywhere', async () => {
    const client = registryClient(state);
    const repository = `${state.registry.namespace}/deps-test-${randomBytes(4).toString('hex')}`;
    const { resolution, entries } = layers.get('arm64') ?? { resolution: undefined, entries: [] };
    if (!resolution) throw new Error('no arm64 resolution');
    const layer = layerOf(entries);
    expect(await findCachedLayer(client, repository, resolution.key)).toBeUndefined();
    await storeCachedLayer(client, repository, resolution.key, layer, resolution.packages);
    const found = await findCachedLayer(registryClient(state), repository, resolution.key);
    expect(found).toEqual({
      descriptor: { mediaType: layer.mediaType, digest: layer.digest, size: layer.size },
      diffId: layer.diffId,
      packages: [{ name: 'cortexlite', version: '1.0.0' }],
    });
    expect((await client.readBlob(repository, layer.digest)).equals(layer.bytes)).toBe(true);
    expect(await findCachedLayer(client, repository, layers.get('amd64')?.resolution.key ?? '')).toBeUndefined();
  });
});

describe('dependency layers from an index that changes', () => {
  const docker = new Docker();
  const password = `deps-${randomBytes(12).toString('base64url')}`;
  let state: EnvironmentState;
  let server: Server;
  let wheels: string;
  let request: (platform: typeof amd64, requirements: string) => Promise<DependencyRequest>;

  beforeAll(async () => {
    state = await environmentState();
    const ca = createCertificateAuthority({ commonName: 'neurons deps test index', days: 1 });
    const certificate = issueServerCertificate(ca, { hosts: ['localhost'], ips: ['127.0.0.1'], days: 1 });
    const directory = await temporary('neurons-deps-index-');
    wheels = path.join(directory, 'packages');
    await mkdir(wheels);
    const caFile = path.join(directory, 'ca.pem');
    await writeFile(caFile, ca.certificatePem);
    // The environment's wheels, and two of this test's own: an index of its own, so publishing leaves the shared one alone.
    for (const file of await readdir(path.join(state.directory, 'package-index', 'packages')))
      await copyFile(path.join(state.directory, 'package-index', 'packages', file), path.join(wheels, file));
    for (const wheel of [scriptWheel('2.0.0'), x86OnlyWheel()])
      await writeFile(path.join(wheels, wheel.fileName), wheel.data);
    server = await startPackageIndex({
      root: wheels,
      host: '127.0.0.1',
      port: 0,
      certificatePem: `${certificate.certificatePem}${ca.certificatePem}`,
      keyPem: certificate.keyPem,
      username: 'deps-test',
      password,
    });
    const { port } = server.address() as AddressInfo;
    const index = { url: `https://127.0.0.1:${port}/simple/`, username: 'deps-test', password, caFile };
    request = async (platform, requirements) => ({
      runtime: 'python',
      platform,
      baseDigest,
      folder: await pythonWorker(requirements),
      requirements: 'requirements.txt',
      pythonVersion: '3.11',
      index,
      file: 'analyzers/Deps',
    });
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it('resolves a higher version once it is published, under another key', async () => {
    const before = resolved(await resolveDependencies(await request(arm64, 'cortexlite\n')));
    expect(before.packages.map((item) => `${item.name}==${item.version}`)).toEqual(['cortexlite==1.0.0']);
    const newer = await buildWheel(
      { name: 'cortexlite', version: '1.1.0', summary: 'newer' },
      path.join(root, 'test', 'index-packages', 'cortexlite', 'src'),
    );
    await writeFile(path.join(wheels, newer.fileName), newer.data);
    const after = resolved(await resolveDependencies(await request(arm64, 'cortexlite\n')));
    expect(after.packages.map((item) => `${item.name}==${item.version}`)).toEqual(['cortexlite==1.1.0']);
    expect(after.key).not.toBe(before.key);
    // A pin keeps the old version, and its key.
    const pinned = resolved(await resolveDependencies(await request(arm64, 'cortexlite==1.0.0\n')));
    expect(pinned.key).toBe(before.key);
  });

  it('installs console scripts for the venv interpreter, which the base image runs', async () => {
    const scriptRequest = await request(amd64, 'clitool\n');
    const resolution = resolved(await resolveDependencies(scriptRequest));
    const entries = await installDependencies(scriptRequest, resolution);
    const script = entries.find((entry) => entry.name === 'opt/venv/bin/clitool');
    expect(script?.mode).toBe(0o755);
    expect(script?.data?.toString().split('\n')[0]).toBe('#!/opt/venv/bin/python3');
    expect(createTar(entries).includes(Buffer.from(password))).toBe(false);
    const run = await runWithLayer(docker, state.baseImages.python, entries, 'opt/venv', ['/opt/venv/bin/clitool']);
    expect(run.output).toContain('clitool 2.0.0 from /opt/venv/lib/python3.11/site-packages/clitool/__init__.py');
    expect(run.status).toBe(0);
  });

  it('leaves a requirement without a wheel for the platform to the engine, and installs it where there is one', async () => {
    const outcome = await resolveDependencies(await request(arm64, 'nativelib\n'));
    expect(outcome).toEqual({
      kind: 'engine',
      reason: expect.stringMatching(/^No matching wheel for nativelib on linux\/arm64/),
    });
    const amd = resolved(await resolveDependencies(await request(amd64, 'nativelib\n')));
    expect(amd.packages.map((item) => item.version)).toEqual(['1.0.0']);
  });

  it('leaves a requirement by URL to the engine (the install step reads pins from the index)', async () => {
    const wheel = `${new URL((await request(amd64, '')).index?.url ?? '').origin}/packages/cortexlite-1.0.0-py3-none-any.whl`;
    expect(await resolveDependencies(await request(amd64, `cortexlite @ ${wheel}\n`))).toEqual({
      kind: 'engine',
      reason: 'cortexlite: a requirement by URL or path, not from the index',
    });
  });

  it('says the index refused the credentials instead of leaving it to the engine', async () => {
    const wrong = await request(amd64, 'cortexlite\n');
    const refused = { ...wrong, index: { ...(wrong.index ?? { url: '' }), password: `${password}-wrong` } };
    await expect(resolveDependencies(refused)).rejects.toMatchObject({
      code: 'DEPS_INDEX_REFUSED',
      message: expect.not.stringContaining(`${password}-wrong`),
    });
  });
});

/** An npm package tarball (`package/...`, gzip) and its lockfile integrity. */
function npmTarball(manifest: object, files: Record<string, string>): { data: Buffer; integrity: string } {
  const entries: TarEntry[] = [
    { name: 'package', type: 'directory', mode: 0o755 },
    { name: 'package/package.json', type: 'file', mode: 0o644, data: Buffer.from(JSON.stringify(manifest)) },
  ];
  for (const [name, text] of Object.entries(files))
    entries.push({
      name: `package/${name}`,
      type: 'file',
      mode: name.endsWith('.js') && text.startsWith('#!') ? 0o755 : 0o644,
      data: Buffer.from(text),
    });
  const data = gzipSync(createTar(entries));
  return { data, integrity: `sha512-${createHash('sha512').update(data).digest('base64')}` };
}

describe('dependency layers of a Node worker', () => {
  const docker = new Docker();
  const registryPassword = `npm-${randomBytes(12).toString('base64url')}`;
  let state: EnvironmentState;
  let folder: string;
  const request = (platform: typeof amd64, worker = folder): DependencyRequest => ({
    runtime: 'node',
    platform,
    baseDigest,
    folder: worker,
    npmRegistry: `https://ci:${registryPassword}@registry.invalid/npm/`,
    file: 'responders/NodeDeps',
  });

  beforeAll(async () => {
    state = await environmentState();
    folder = await temporary('neurons-deps-node-');
    const lib = npmTarball(
      { name: 'demo-lib', version: '1.2.3', main: 'index.js', bin: { demo: 'cli.js' } },
      {
        'index.js': 'module.exports = "demo-lib 1.2.3";\n',
        'cli.js': '#!/usr/bin/env node\nconsole.log(require("./index.js"));\n',
      },
    );
    const armOnly = npmTarball(
      { name: 'arm-only', version: '0.1.0', os: ['linux'], cpu: ['arm64'] },
      { 'index.js': 'module.exports = 2;\n' },
    );
    await writeFile(path.join(folder, 'demo-lib-1.2.3.tgz'), lib.data);
    await writeFile(path.join(folder, 'arm-only-0.1.0.tgz'), armOnly.data);
    const manifest = {
      name: 'node-deps',
      version: '1.0.0',
      dependencies: { 'demo-lib': 'file:demo-lib-1.2.3.tgz' },
      optionalDependencies: { 'arm-only': 'file:arm-only-0.1.0.tgz' },
    };
    await writeFile(path.join(folder, 'package.json'), JSON.stringify(manifest));
    const lockfile = {
      name: 'node-deps',
      version: '1.0.0',
      lockfileVersion: 3,
      requires: true,
      packages: {
        '': manifest,
        'node_modules/arm-only': {
          version: '0.1.0',
          resolved: 'file:arm-only-0.1.0.tgz',
          integrity: armOnly.integrity,
          optional: true,
          os: ['linux'],
          cpu: ['arm64'],
        },
        'node_modules/demo-lib': {
          version: '1.2.3',
          resolved: 'file:demo-lib-1.2.3.tgz',
          integrity: lib.integrity,
          bin: { demo: 'cli.js' },
        },
      },
    };
    await writeFile(path.join(folder, 'package-lock.json'), JSON.stringify(lockfile));
  });

  it('installs the lockfile for each CPU, the optional packages of that CPU alone, and nothing of the credentials', async () => {
    const names = new Map<string, string[]>();
    const keys = new Set<string>();
    for (const platform of [amd64, arm64]) {
      const resolution = resolved(await resolveDependencies(request(platform)));
      keys.add(resolution.key);
      const entries = await installDependencies(request(platform), resolution);
      expect(entries.map((entry) => entry.name)).toEqual([...entries.map((entry) => entry.name)].sort());
      expect(entries.find((entry) => entry.name === 'worker/node_modules/.bin/demo')).toMatchObject({
        type: 'symlink',
        linkTarget: '../demo-lib/cli.js',
      });
      expect(entries.find((entry) => entry.name === 'worker/node_modules/demo-lib/cli.js')?.mode).toBe(0o755);
      expect(createTar(entries).includes(Buffer.from(registryPassword))).toBe(false);
      names.set(
        platform.architecture,
        resolution.packages.map((item) => `${item.name}@${item.version}`),
      );
      const installed = entries
        .filter((entry) => /^worker\/node_modules\/[^/.][^/]*$/.test(entry.name))
        .map((entry) => entry.name.slice('worker/node_modules/'.length));
      expect(installed).toEqual(resolution.packages.map((item) => item.name));
      if (platform === amd64) {
        const run = await runWithLayer(docker, state.baseImages.node, entries, 'worker/node_modules', [
          'node',
          '-e',
          'console.log(require("demo-lib"))',
        ]);
        expect(run.output).toContain('demo-lib 1.2.3');
        expect(run.status).toBe(0);
      }
    }
    expect(names.get('amd64')).toEqual(['demo-lib@1.2.3']);
    expect(names.get('arm64')).toEqual(['arm-only@0.1.0', 'demo-lib@1.2.3']);
    expect(keys.size).toBe(2);
  });

  it('leaves install scripts and missing lockfiles to the engine', async () => {
    const scripted = await temporary('neurons-deps-node-');
    await writeFile(
      path.join(scripted, 'package.json'),
      JSON.stringify({ name: 's', version: '1.0.0', dependencies: { native: '1.0.0' } }),
    );
    expect(await resolveDependencies(request(arm64, scripted))).toEqual({
      kind: 'engine',
      reason: 'no package-lock.json',
    });
    await writeFile(
      path.join(scripted, 'package-lock.json'),
      JSON.stringify({
        lockfileVersion: 3,
        packages: { '': {}, 'node_modules/native': { version: '1.0.0', hasInstallScript: true } },
      }),
    );
    expect(await resolveDependencies(request(arm64, scripted))).toEqual({
      kind: 'engine',
      reason: 'native@1.0.0 has an install script',
    });
  });
});
