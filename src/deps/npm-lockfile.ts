import { byName, type ResolvedPackage } from './types.js';

/** The part of a `package-lock.json` (lockfileVersion 2 or 3) read here. */
interface LockfileEntry {
  name?: string;
  version?: string;
  resolved?: string;
  integrity?: string;
  dev?: boolean;
  link?: boolean;
  hasInstallScript?: boolean;
  os?: string[];
  cpu?: string[];
}

/** Whether npm's `os`/`cpu` list (names, or `!name` to exclude) admits `value`. */
export function admits(list: string[] | undefined, value: string): boolean {
  if (!list || list.length === 0) return true;
  if (list.includes(`!${value}`)) return false;
  const allowed = list.filter((item) => !item.startsWith('!'));
  return allowed.length === 0 || allowed.includes(value);
}

/** npm's name for the CPU of an OCI architecture. */
export const npmCpu = (architecture: string): string =>
  ({ amd64: 'x64', arm64: 'arm64', '386': 'ia32', arm: 'arm', ppc64le: 'ppc64', s390x: 's390x' })[architecture] ??
  architecture;

export type LockfileReading =
  { kind: 'resolved'; packages: ResolvedPackage[]; files: string[] } | { kind: 'engine'; reason: string };

/**
 * The packages `npm ci --omit=dev --os <os> --cpu <cpu>` installs from a lockfile, in name order, and the local
 * tarballs (`file:`) it reads. Install scripts are not run on the host (they would run for the host's platform), nor
 * are linked folders followed: either means the engine installs.
 */
export function readLockfile(text: string, target: { os: string; cpu: string }): LockfileReading {
  const lockfile = JSON.parse(text) as { lockfileVersion?: number; packages?: Record<string, LockfileEntry> };
  if (!lockfile.packages || (lockfile.lockfileVersion ?? 1) < 2)
    return {
      kind: 'engine',
      reason: `package-lock.json version ${lockfile.lockfileVersion ?? 1} has no "packages" (npm 7 or later writes them)`,
    };
  const packages: ResolvedPackage[] = [];
  const files: string[] = [];
  for (const [location, entry] of Object.entries(lockfile.packages)) {
    if (location === '' || entry.dev) continue;
    if (!admits(entry.os, target.os) || !admits(entry.cpu, target.cpu)) continue;
    const name = entry.name ?? location.slice(location.lastIndexOf('node_modules/') + 'node_modules/'.length);
    if (entry.link) return { kind: 'engine', reason: `${name} is a linked folder (${entry.resolved ?? location})` };
    if (entry.hasInstallScript)
      return { kind: 'engine', reason: `${name}@${entry.version ?? '?'} has an install script` };
    if (!entry.version) return { kind: 'engine', reason: `${location} has no version in package-lock.json` };
    if (entry.resolved?.startsWith('file:')) files.push(entry.resolved.slice('file:'.length));
    packages.push({
      name,
      version: entry.version,
      ...(entry.integrity ? { integrity: entry.integrity } : {}),
      ...(entry.resolved && !entry.resolved.startsWith('file:') ? { url: entry.resolved } : {}),
    });
  }
  return { kind: 'resolved', packages: packages.sort(byName), files };
}
