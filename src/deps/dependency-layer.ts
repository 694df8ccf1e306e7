import type { TarEntry } from '../oci/tar.js';
import { dependencyKey } from './dependency-key.js';
import { installNodeDependencies, resolveNodeDependencies } from './node.js';
import { compilesBytecodeFor } from './pip.js';
import { installPythonDependencies, resolvePythonDependencies } from './python.js';
import type { DependencyRequest, DependencyResolution } from './types.js';
import { defaultPythonHome } from './venv-layout.js';

export type { DependencyRequest, DependencyResolution, PackageIndexSettings, ResolvedPackage } from './types.js';
export { dependencyKey } from './dependency-key.js';

/**
 * The exact packages a worker gets on the request's platform, and the key of the layer holding them; `engine` when
 * the host cannot decide it for that platform (the caller builds in a container), `none` when there is nothing.
 */
export async function resolveDependencies(request: DependencyRequest): Promise<DependencyResolution> {
  const resolution =
    request.runtime === 'python' ? await resolvePythonDependencies(request) : await resolveNodeDependencies(request);
  if (resolution.kind !== 'resolved') return resolution;
  return { kind: 'resolved', key: await layerKey(request, resolution.packages), packages: resolution.packages };
}

/**
 * The key of the layer holding `packages` for the request: the runtime, platform and base image, and for Python the
 * interpreter and whether the layer has bytecode.
 */
export async function layerKey(
  request: DependencyRequest,
  packages: Parameters<typeof dependencyKey>[0]['packages'],
): Promise<string> {
  return dependencyKey({
    runtime: request.runtime,
    platform: request.platform,
    baseDigest: request.baseDigest,
    ...(request.runtime === 'python' && request.pythonVersion ? { pythonVersion: request.pythonVersion } : {}),
    ...(request.runtime === 'python' && request.pythonHome && request.pythonHome !== defaultPythonHome
      ? { pythonHome: request.pythonHome }
      : {}),
    packages,
    ...(request.runtime === 'python' ? { bytecode: await compilesBytecodeFor(request.pythonVersion) } : {}),
  });
}

/** The layer entries of a resolution: installed on the host for the target platform, nothing run, nothing emulated. */
export async function installDependencies(
  request: DependencyRequest,
  resolution: Extract<DependencyResolution, { kind: 'resolved' }>,
): Promise<TarEntry[]> {
  return request.runtime === 'python'
    ? installPythonDependencies(request, resolution.packages)
    : installNodeDependencies(request, resolution.packages);
}
