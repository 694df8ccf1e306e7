/** Which tags a run publishes: `stable` (X.Y.Z, X.Y, X) or `devel`. */
export type Channel = 'stable' | 'devel';

/**
 * Tags an image gets from its version. Channel `stable`: `X.Y` and `X`, plus `X.Y.Z` when the version has three
 * parts, plus `latest` when configured; channel `devel`: `devel`. The most specific tag comes first; all but the
 * first move (to the highest version).
 */
export function tagsForVersion(version: string, channel: Channel, latest = false): string[] {
  if (channel === 'devel') return ['devel'];
  const parts = version.split('.');
  const tags = [parts.join('.')];
  if (parts.length === 3) tags.push(parts.slice(0, 2).join('.'));
  if (parts.length >= 2) tags.push(parts[0] ?? version);
  if (latest) tags.push('latest');
  return tags;
}

/** The tag a catalog points at: the major version (`X`) by default, the full version in `-stable`, `devel` in `-devel`. */
export function catalogTag(version: string, catalog: 'default' | 'stable' | 'devel'): string {
  if (catalog === 'devel') return 'devel';
  if (catalog === 'stable') return version;
  return version.split('.')[0] ?? version;
}
