import { createHash } from 'node:crypto';
import type { Platform } from '../oci/platform.js';

/**
 * Raised when the layer made from the same inputs changes (its layout, what is left out): older cached layers then
 * stop matching instead of being reused with the old layout.
 */
export const layerFormat = 2;

export interface DependencyKeyParts {
  runtime: 'python' | 'node';
  platform: Platform;
  baseDigest: string;
  pythonVersion?: string;
  /** Where the venv's python3 links to, when not /usr/bin: the same packages make another layer. */
  pythonHome?: string;
  packages: Array<{ name: string; version: string }>;
  /** Python: whether the layer holds bytecode (compiled by a host Python of the image's version). */
  bytecode?: boolean;
}

/** JSON with object keys in code-point order at every level: one text for one value, whoever built the object. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, item]) => item !== undefined);
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * What identifies a dependency layer: the same key, the same files. The index a package came from is not part of it
 * (the same version of a package is the same files wherever it is served), nor is anything else of a package than its
 * name and version, in name order.
 */
export function dependencyKey(parts: DependencyKeyParts): string {
  const packages = parts.packages
    .map((item) => ({ name: item.name, version: item.version }))
    .sort((a, b) =>
      a.name < b.name ? -1 : a.name > b.name ? 1 : a.version < b.version ? -1 : a.version > b.version ? 1 : 0,
    );
  const platform = {
    os: parts.platform.os,
    architecture: parts.platform.architecture,
    variant: parts.platform.variant,
  };
  const canonical = canonicalJson({
    format: layerFormat,
    runtime: parts.runtime,
    platform,
    baseDigest: parts.baseDigest,
    pythonVersion: parts.pythonVersion,
    pythonHome: parts.pythonHome,
    packages,
    bytecode: parts.bytecode,
  });
  return `sha256:${createHash('sha256').update(canonical).digest('hex')}`;
}
