import type { Channel } from '../config/load-config.js';

/**
 * Tags an image gets from its version. Channel `stable`: `X.Y` and `X`, plus `X.Y.Z` when the version has three
 * parts; channel `devel`: `devel`. The most specific tag comes first.
 */
export function tagsForVersion(version: string, channel: Channel): string[] {
  if (channel === 'devel') return ['devel'];
  const parts = version.split('.');
  const tags = [parts.join('.')];
  if (parts.length === 3) tags.push(parts.slice(0, 2).join('.'));
  if (parts.length >= 2) tags.push(parts[0] ?? version);
  return tags;
}

/** The tag a catalog points at: the major version (`X`) by default, the full version in `-stable`, `devel` in `-devel`. */
export function catalogTag(version: string, catalog: 'default' | 'stable' | 'devel'): string {
  if (catalog === 'devel') return 'devel';
  if (catalog === 'stable') return version;
  return version.split('.')[0] ?? version;
}
