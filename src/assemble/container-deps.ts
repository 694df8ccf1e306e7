import type Docker from 'dockerode';
import { cp, lstat, mkdtemp, readdir, readFile, readlink, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TarEntry } from '../oci/tar.js';
import type { PackageIndexSetting } from '../config/load-config.js';
import { EnvironmentError, NeuronsError } from '../errors/neurons-error.js';
import { formatPlatform, type Platform } from '../oci/platform.js';
import { followProgress } from '../engine/docker-build.js';
import { withCredentials } from '../render/render-dockerfile.js';
import { maskSecrets } from '../util/mask.js';
import { printable } from '../util/printable.js';

export interface ContainerInstall {
  runtime: 'python' | 'node';
  platform: Platform;
  /** The base image of that platform, by digest. */
  image: string;
  folder: string;
  requirements: string | undefined;
  index: PackageIndexSetting | undefined;
  caFile: string | undefined;
  npmRegistry: string | undefined;
  directory: string;
  file: string;
  /** The credentials of the base image's registry, when it is a configured one. */
  auth: { username: string; password: string; serveraddress: string } | undefined;
}

/** The base image of the platform, pulled by digest with its registry's credentials. */
async function pullBase(docker: Docker, job: ContainerInstall): Promise<void> {
  try {
    const stream = (await docker.pull(job.image, {
      platform: formatPlatform(job.platform),
      ...(job.auth ? { authconfig: job.auth } : {}),
    })) as NodeJS.ReadableStream;
    const events = await followProgress<{ error?: string }>(docker, stream);
    const failure = events.find((event) => event.error);
    if (failure) throw new Error(failure.error);
  } catch (error) {
    throw new NeuronsError({
      code: 'BUILD_FAILED',
      file: job.file,
      message: `the base image ${job.image} could not be pulled to install the dependencies for ${formatPlatform(job.platform)}: ${maskSecrets((error as Error).message)}`,
      hint: "check that the engine trusts and can log in to the base image's registry (`neurons ca trust-engine`)",
    });
  }
}

/** The files under `root`, as layer entries under `prefix`: sorted, modes normalized, symbolic links kept as they are. */
async function entriesOf(root: string, prefix: string): Promise<TarEntry[]> {
  const entries: TarEntry[] = [];
  async function walk(relative: string): Promise<void> {
    for (const name of (await readdir(path.join(root, relative))).sort()) {
      const child = relative ? `${relative}/${name}` : name;
      const absolute = path.join(root, child);
      const stats = await lstat(absolute);
      const archived = `${prefix}/${child}`;
      if (stats.isSymbolicLink())
        entries.push({ name: archived, type: 'symlink', mode: 0o777, linkTarget: await readlink(absolute) });
      else if (stats.isDirectory()) {
        entries.push({ name: archived, type: 'directory', mode: 0o755 });
        await walk(child);
      } else if (stats.isFile())
        entries.push({
          name: archived,
          type: 'file',
          mode: stats.mode & 0o111 ? 0o755 : 0o644,
          data: await readFile(absolute),
        });
    }
  }
  await walk('');
  return entries;
}

/**
 * Installs a folder's dependencies in a container of the target platform (QEMU through binfmt for a foreign one), for
 * what the host cannot install for it (a package that compiles). The index credentials reach the container's
 * environment only; the container is removed and nothing of it is committed: only the installed files become a layer.
 */
export async function installInContainer(
  docker: Docker,
  job: ContainerInstall,
): Promise<{ entries: TarEntry[]; packages: Array<{ name: string; version: string }> }> {
  try {
    return await installOnce(docker, job);
  } catch (error) {
    if (error instanceof NeuronsError) throw error;
    throw new EnvironmentError(
      {
        code: 'BUILD_ENGINE',
        file: job.file,
        message: `the Docker engine could not run the dependency install for ${formatPlatform(job.platform)}: ${maskSecrets((error as Error).message)}`,
        hint: 'check that the engine runs (`neurons env up`) and DOCKER_HOST',
      },
      error,
    );
  }
}

type Installed = { entries: TarEntry[]; packages: Array<{ name: string; version: string }> };

async function installOnce(docker: Docker, job: ContainerInstall): Promise<Installed> {
  const scratch = await mkdtemp(path.join(tmpdir(), 'neurons-container-deps-'));
  try {
    await pullBase(docker, job);
    const { env, binds } = installSettings(job, scratch);
    const script = await stageInputs(job, scratch);
    binds.push(`${scratch}/in:/in:ro`);
    await runInstall(docker, job, { env, binds, script });
    return await collectInstalled(job, scratch);
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/** The install container's environment (package index, CA, npm registry) and its mounts so far. */
function installSettings(job: ContainerInstall, scratch: string): { env: string[]; binds: string[] } {
  const env = ['PYTHONDONTWRITEBYTECODE=1', 'PIP_NO_CACHE_DIR=1', 'PIP_DISABLE_PIP_VERSION_CHECK=1'];
  const binds = [`${scratch}/out:/out`];
  if (job.index) {
    env.push(`PIP_INDEX_URL=${withCredentials(job.index.url, job.index.credentials)}`);
    if (job.index.extraUrl)
      env.push(`PIP_EXTRA_INDEX_URL=${withCredentials(job.index.extraUrl, job.index.credentials)}`);
  }
  if (job.caFile) {
    binds.push(`${job.caFile}:/neurons/ca.pem:ro`);
    env.push('PIP_CERT=/neurons/ca.pem', 'NODE_EXTRA_CA_CERTS=/neurons/ca.pem');
  }
  if (job.npmRegistry) env.push(`NPM_CONFIG_REGISTRY=${job.npmRegistry}`);
  return { env, binds };
}

/** Copies the files the install reads into the scratch folder's `in/`, and returns the script that installs them. */
async function stageInputs(job: ContainerInstall, scratch: string): Promise<string> {
  let script: string;
  if (job.runtime === 'python') {
    await cp(
      path.join(job.folder, job.requirements ?? 'requirements.txt'),
      path.join(scratch, 'in', 'requirements.txt'),
      { recursive: true },
    );
    // The virtualenv is made where it will live, as the template makes it; pip's report lists what it installed.
    // No pip inside the virtualenv (ensurepip compiles bytecode with times in it, which differ from run to run): the
    // base image's pip installs into it, then the packages are compiled as compileBytecode does on the host
    // (hash-based, fixed string hashing), so the same inputs give the same layer and jobs start without compiling.
    script =
      'python3 -m venv --without-pip /opt/venv && python3 -m pip --python /opt/venv/bin/python3 install --no-compile --report /out/report.json -r /in/requirements.txt && (PYTHONHASHSEED=0 python3 -m compileall -q --invalidation-mode unchecked-hash /opt/venv/lib || true) && cp -a /opt/venv/. /out/venv/';
  } else {
    for (const name of ['package.json', 'package-lock.json', 'npm-shrinkwrap.json'])
      await cp(path.join(job.folder, name), path.join(scratch, 'in', name)).catch(() => undefined);
    script =
      'cp -a /in/. /build/ && cd /build && npm ci --omit=dev --no-audit --no-fund && mkdir -p /out/node && cp -a node_modules /out/node/ && cp package-lock.json /out/';
  }
  return script;
}

/** Runs the install in a container of the base image; its last lines of output are the problem when it fails. */
async function runInstall(
  docker: Docker,
  job: ContainerInstall,
  { env, binds, script }: { env: string[]; binds: string[]; script: string },
): Promise<void> {
  const output: string[] = [];
  const container = await docker.createContainer({
    Image: job.image,
    Cmd: ['sh', '-ec', `mkdir -p /out/venv /build && ${script}`],
    Env: env,
    HostConfig: { Binds: binds, NetworkMode: 'host' },
  } as Docker.ContainerCreateOptions);
  try {
    const stream = await container.attach({ stream: true, stdout: true, stderr: true });
    stream.on('data', (chunk: Buffer) => output.push(chunk.toString('utf8')));
    await container.start();
    const { StatusCode } = (await container.wait()) as { StatusCode: number };
    if (StatusCode !== 0) {
      throw new NeuronsError({
        code: 'BUILD_FAILED',
        file: job.file,
        message: `installing the dependencies for ${formatPlatform(job.platform)} failed (exit ${StatusCode}):\n${printable(
          output.join(''),
        )
          .split('\n')
          .map((line) => line.trimEnd())
          .filter(Boolean)
          .slice(-15)
          .map((line) => `      | ${line}`)
          .join('\n')}`,
        hint: 'check the requirements and the package index; the same install runs by hand with `docker run --platform ... <base image>`',
      });
    }
  } finally {
    await container.remove({ force: true }).catch(() => undefined);
  }
}

/** What the install left in the scratch folder's `out/`: the layer's entries and the packages installed. */
async function collectInstalled(job: ContainerInstall, scratch: string): Promise<Installed> {
  if (job.runtime === 'python') {
    const report = JSON.parse(await readFile(path.join(scratch, 'out', 'report.json'), 'utf8')) as {
      install?: Array<{ metadata?: { name?: string; version?: string } }>;
    };
    const packages = (report.install ?? [])
      .map((item) => ({ name: String(item.metadata?.name ?? ''), version: String(item.metadata?.version ?? '') }))
      .sort((a, b) => a.name.localeCompare(b.name));
    return {
      entries: [
        { name: 'opt', type: 'directory', mode: 0o755 },
        { name: 'opt/venv', type: 'directory', mode: 0o755 },
        ...(await entriesOf(path.join(scratch, 'out', 'venv'), 'opt/venv')),
      ],
      packages,
    };
  }
  const lock = JSON.parse(await readFile(path.join(scratch, 'out', 'package-lock.json'), 'utf8')) as {
    packages?: Record<string, { version?: string }>;
  };
  const packages = Object.entries(lock.packages ?? {})
    .filter(([key]) => key.startsWith('node_modules/'))
    .map(([key, value]) => ({ name: key.slice('node_modules/'.length), version: String(value.version ?? '') }));
  const prefix = `worker/${job.directory}`;
  return {
    entries: [
      { name: 'worker', type: 'directory', mode: 0o755 },
      { name: prefix, type: 'directory', mode: 0o755 },
      ...(await entriesOf(path.join(scratch, 'out', 'node'), prefix)),
    ],
    packages,
  };
}
