import type { Platform } from '../oci/platform.js';

/** Where pip reads packages from. Credentials travel apart from the URLs, which never carry them. */
export interface PackageIndexSettings {
  url: string;
  extraUrl?: string;
  username?: string;
  password?: string;
  /** A CA bundle (PEM file) the index's certificate chains to. */
  caFile?: string;
}

/** What to resolve and install: one worker's dependencies for one platform of one base image. */
export interface DependencyRequest {
  runtime: 'python' | 'node';
  platform: Platform;
  /** Digest of the base image manifest for this platform: part of the key. */
  baseDigest: string;
  /** Worker folder (absolute). */
  folder: string;
  /** The requirements file name, relative to `folder` (python). */
  requirements?: string;
  /** `X.Y` of the base image's interpreter (python): see `pythonVersionOf`. */
  pythonVersion?: string;
  /** The folder of the base image's `python3` (python; /usr/bin when not given): see `pythonHomeOf`. */
  pythonHome?: string;
  index?: PackageIndexSettings;
  /** The npm registry URL; credentials in its userinfo stay in a temporary `.npmrc`. */
  npmRegistry?: string;
  /** Repository-relative path of the worker folder, for errors. */
  file: string;
}

/** One resolved package: its exact version, and what identifies the file when the tool said so. */
export interface ResolvedPackage {
  name: string;
  version: string;
  /** sha256 of the wheel (python), or the lockfile's `integrity` (node). */
  sha256?: string;
  integrity?: string;
  /** Where it came from, without credentials. */
  url?: string;
}

export type DependencyResolution =
  | { kind: 'resolved'; key: string; packages: ResolvedPackage[] }
  /** Not doable on the host: the caller builds in a container instead. */
  | { kind: 'engine'; reason: string }
  /** Nothing to install. */
  | { kind: 'none' };

/** What a runtime's resolver gives: packages, or why the engine must do it. */
export type RuntimeResolution =
  { kind: 'resolved'; packages: ResolvedPackage[] } | { kind: 'engine'; reason: string } | { kind: 'none' };

export const byName = (a: { name: string }, b: { name: string }): number =>
  a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
