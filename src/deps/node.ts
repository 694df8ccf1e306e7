import { copyFile, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TarEntry } from '../oci/tar.js';
import { NeuronsError } from '../errors/neurons-error.js';
import { assertNoLeak } from './leak-check.js';
import { npmCpu, readLockfile } from './npm-lockfile.js';
import { npmFailure, runNpm } from './npm.js';
import { readTree, sortedWithParents } from './tree-entries.js';
import type { DependencyRequest, ResolvedPackage, RuntimeResolution } from './types.js';

/** Where the layer puts node_modules: the image's WORKDIR, which Node searches from every worker folder below it. */
export const nodeModulesRoot = 'worker/node_modules';

/** npm's names for the target. */
const npmTarget = (request: DependencyRequest): { os: string; cpu: string } => ({
  os: request.platform.os,
  cpu: npmCpu(request.platform.architecture),
});

/** The packages the worker's lockfile installs on the target, read from the lockfile alone (no network). */
export async function resolveNodeDependencies(request: DependencyRequest): Promise<RuntimeResolution> {
  const lockFile = path.join(request.folder, 'package-lock.json');
  if (!existsSync(lockFile)) {
    const manifest = JSON.parse(
      await readFile(path.join(request.folder, 'package.json'), 'utf8').catch(() => '{}'),
    ) as { dependencies?: object };
    return Object.keys(manifest.dependencies ?? {}).length === 0
      ? { kind: 'none' }
      : { kind: 'engine', reason: 'no package-lock.json' };
  }
  const reading = readLockfile(await readFile(lockFile, 'utf8'), npmTarget(request));
  if (reading.kind === 'engine') return reading;
  return reading.packages.length === 0 ? { kind: 'none' } : { kind: 'resolved', packages: reading.packages };
}

/**
 * `npm ci` of the production dependencies for the target's OS and CPU, in a temporary copy of the manifest and the
 * lockfile (and the local tarballs it names), without running any script; node_modules as layer entries.
 */
export async function installNodeDependencies(
  request: DependencyRequest,
  packages: ResolvedPackage[],
): Promise<TarEntry[]> {
  const directory = await mkdtemp(path.join(tmpdir(), 'neurons-npm-'));
  try {
    const project = path.join(directory, 'project');
    await mkdir(project);
    const lockText = await readFile(path.join(request.folder, 'package-lock.json'), 'utf8');
    const reading = readLockfile(lockText, npmTarget(request));
    if (reading.kind === 'engine')
      throw new NeuronsError({
        code: 'DEPS_NOT_RESOLVED',
        file: request.file,
        message: `cannot install on the host: ${reading.reason}`,
        hint: 'install only what resolveNodeDependencies resolved',
      });
    // The layer is stored under the key of what was resolved: a lockfile changed since would put other files under it.
    const pinned = (list: ResolvedPackage[]): string => list.map((item) => `${item.name}@${item.version}`).join(' ');
    if (pinned(reading.packages) !== pinned(packages))
      throw new NeuronsError({
        code: 'DEPS_CHANGED',
        file: `${request.file}/package-lock.json`,
        message: 'package-lock.json changed between resolving and installing',
        hint: 'run again: the dependencies are resolved anew',
      });
    for (const file of ['package.json', 'package-lock.json', ...reading.files]) {
      const source = path.resolve(request.folder, file);
      if (!source.startsWith(`${request.folder}${path.sep}`))
        throw new NeuronsError({
          code: 'DEPS_OUTSIDE_FOLDER',
          file: request.file,
          message: `package-lock.json names ${file}, outside the worker folder`,
          hint: 'keep local tarballs inside the worker folder',
        });
      await mkdir(path.dirname(path.join(project, file)), { recursive: true });
      await copyFile(source, path.join(project, file));
    }
    const target = npmTarget(request);
    const args = [
      'ci',
      '--omit=dev',
      '--ignore-scripts',
      '--no-audit',
      '--no-fund',
      '--os',
      target.os,
      '--cpu',
      target.cpu,
      '--libc',
      'glibc',
    ];
    const result = await runNpm(args, { cwd: project, configDirectory: directory, registry: request.npmRegistry });
    if (result.status !== 0) throw npmFailure(result, request.file);
    const modules = existsSync(path.join(project, 'node_modules'))
      ? await readTree(path.join(project, 'node_modules'))
      : [];
    const entries = sortedWithParents(modules.map((entry) => ({ ...entry, name: `${nodeModulesRoot}/${entry.name}` })));
    const password = request.npmRegistry ? decodeURIComponent(new URL(request.npmRegistry).password) : undefined;
    assertNoLeak(entries, { secrets: [password], paths: [directory] }, request.file);
    return entries;
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
}
