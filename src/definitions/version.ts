import coerce from 'semver/functions/coerce.js';
import compare from 'semver/functions/compare.js';

const versionPattern = /^\d+\.\d+(?:\.\d+)?$/;

/** Whether a definition version has the `X.Y` or `X.Y.Z` form the engine ids and image tags rely on. */
export function isWorkerVersion(version: string): boolean {
  return versionPattern.test(version);
}

/** The semver form of a worker version, for ordering: `2.0` becomes `2.0.0`. Undefined when it has no number. */
export function coerceWorkerVersion(version: string): string | undefined {
  return coerce(version)?.version;
}

/** Orders worker versions numerically (`1.10` after `1.9`); versions without a number sort first. */
export function compareWorkerVersions(left: string, right: string): number {
  const a = coerceWorkerVersion(left);
  const b = coerceWorkerVersion(right);
  if (a === undefined || b === undefined) return a === b ? 0 : a === undefined ? -1 : 1;
  return compare(a, b);
}

/** The engine's worker id: `name_version` with every dot turned into an underscore. */
export function createWorkerId(name: string, version: string): string {
  return `${name}_${version}`.replaceAll('.', '_');
}
