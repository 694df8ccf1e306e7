import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TarEntry } from '../oci/tar.js';
import { NeuronsError } from '../errors/neurons-error.js';
import { formatPlatform } from '../oci/platform.js';
import { markerDifferingFromTarget, parsePipReport, requirementMarkers, sourceOption } from './pip-report.js';
import {
  compileBytecode,
  compilesBytecodeFor,
  hostPythonPaths,
  indexSecrets,
  missingDistribution,
  pipFailure,
  runPip,
} from './pip.js';
import { targetArguments, wheelMachine } from './python-platform.js';
import { assertIndexAnswers } from './index-probe.js';
import { assertNoLeak } from './leak-check.js';
import { readTree } from './tree-entries.js';
import type { DependencyRequest, ResolvedPackage, RuntimeResolution } from './types.js';
import { venvEntries, venvRoot } from './venv-layout.js';

/** The target as pip must be told it, or why the host cannot choose wheels for it. */
function pythonTarget(request: DependencyRequest): { machine: string; pythonVersion: string } | { reason: string } {
  const machine = wheelMachine(request.platform);
  if (!machine) return { reason: `no wheel platform tags known for ${formatPlatform(request.platform)}` };
  if (!request.pythonVersion || !/^\d+\.\d+$/.test(request.pythonVersion))
    return { reason: 'the base image does not say its Python version' };
  return { machine, pythonVersion: request.pythonVersion };
}

async function withTemporary<T>(work: (directory: string) => Promise<T>): Promise<T> {
  const directory = await mkdtemp(path.join(tmpdir(), 'neurons-deps-'));
  try {
    return await work(directory);
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
}

/**
 * The exact packages the worker's requirements give on the target platform, chosen by the host's pip from wheels
 * alone (nothing is built, nothing is run). When the host cannot decide for the target (a requirement without a wheel
 * for it, a marker pip would evaluate against the host), the answer is `engine`: the container build does it.
 */
export async function resolvePythonDependencies(request: DependencyRequest): Promise<RuntimeResolution> {
  if (!request.requirements) return { kind: 'none' };
  const requirementsFile = path.join(request.folder, request.requirements);
  const requirementsText = await readFile(requirementsFile, 'utf8').catch((error: unknown) => {
    throw new NeuronsError(
      {
        code: 'DEPS_REQUIREMENTS_UNREADABLE',
        file: `${request.file}/${request.requirements ?? ''}`,
        message: `the requirements file cannot be read: ${(error as Error).message}`,
        hint: 'check the requirements file the worker names',
      },
      { cause: error },
    );
  });
  if (!requirementsText.split('\n').some((line) => line.replace(/#.*/, '').trim() !== '')) return { kind: 'none' };
  const target = pythonTarget(request);
  if ('reason' in target) return { kind: 'engine', reason: target.reason };
  const option = sourceOption(requirementsText);
  if (option) return { kind: 'engine', reason: `${request.requirements} sets where packages come from (${option})` };
  return withTemporary(async (directory) => {
    const reportFile = path.join(directory, 'report.json');
    const args = [
      'install',
      '--dry-run',
      '--ignore-installed',
      '--quiet',
      '--report',
      reportFile,
      ...targetArguments(target.machine, target.pythonVersion),
      '--target',
      path.join(directory, 'target'),
      '-r',
      requirementsFile,
    ];
    const result = await runPip(args, { cwd: request.folder, index: request.index });
    if (result.status !== 0) {
      const missing = missingDistribution(result.stderr);
      if (missing) await assertIndexAnswers(request.index, missing, request.file);
      if (missing)
        return {
          kind: 'engine',
          reason: `No matching wheel for ${missing} on ${formatPlatform(request.platform)} (CPython ${target.pythonVersion}): only a source distribution, or no build for this platform`,
        };
      throw pipFailure(result, `resolve ${request.requirements}`, request.file);
    }
    const report = parsePipReport(await readFile(reportFile, 'utf8'));
    const targetEnvironment = { machine: target.machine, pythonVersion: target.pythonVersion, os: 'linux' };
    if (report.direct.length > 0)
      return {
        kind: 'engine',
        reason: `${report.direct.join(', ')}: a requirement by URL or path, not from the index`,
      };
    const marker = markerDifferingFromTarget(
      [...requirementMarkers(requirementsText), ...report.markers],
      report.host,
      targetEnvironment,
    );
    if (marker)
      return {
        kind: 'engine',
        reason: `the environment marker in "${marker}" would be evaluated for this machine, not for ${formatPlatform(request.platform)}`,
      };
    return report.packages.length === 0 ? { kind: 'none' } : { kind: 'resolved', packages: report.packages };
  });
}

/** `name==version`, with the wheel's hash when every package has one (pip then checks each file against it). */
export function pinnedRequirements(packages: ResolvedPackage[]): string {
  const hashed = packages.every((item) => item.sha256);
  return packages
    .map((item) => `${item.name}==${item.version}${hashed ? ` --hash=sha256:${item.sha256 ?? ''}` : ''}\n`)
    .join('');
}

/**
 * Installs exactly the resolved packages for the target into a temporary folder and returns them as a layer: a
 * virtualenv at /opt/venv, as the Python template builds it. Nothing of the host (paths, index credentials) stays in it.
 */
export async function installPythonDependencies(
  request: DependencyRequest,
  packages: ResolvedPackage[],
): Promise<TarEntry[]> {
  const target = pythonTarget(request);
  if ('reason' in target)
    throw new NeuronsError({
      code: 'DEPS_NOT_RESOLVED',
      file: request.file,
      message: `cannot install on the host: ${target.reason}`,
      hint: 'install only what resolvePythonDependencies resolved',
    });
  // Asked while pip installs: the leak check below waits for it.
  const hostPaths = hostPythonPaths();
  hostPaths.catch(() => undefined);
  return withTemporary(async (directory) => {
    const lockFile = path.join(directory, 'requirements.lock');
    await writeFile(lockFile, pinnedRequirements(packages));
    const installed = path.join(directory, 'target');
    const args = [
      'install',
      '--quiet',
      '--no-deps',
      '--no-compile',
      '--no-warn-script-location',
      ...targetArguments(target.machine, target.pythonVersion),
      '--target',
      installed,
      '-r',
      lockFile,
    ];
    const result = await runPip(args, { cwd: directory, index: request.index });
    if (result.status !== 0) throw pipFailure(result, 'install the resolved packages', request.file);
    // Bytecode when the host's Python is the image's (see dependencyKey's `bytecode`): jobs then start without compiling.
    if (await compilesBytecodeFor(target.pythonVersion))
      await compileBytecode(installed, `/${venvRoot}/lib/python${target.pythonVersion}/site-packages`);
    const entries = venvEntries(
      await readTree(installed, '', { bytecode: true }),
      target.pythonVersion,
      request.pythonHome,
    );
    assertNoLeak(
      entries,
      { secrets: indexSecrets(request.index), paths: [directory, ...(await hostPaths)] },
      request.file,
    );
    return entries;
  });
}
