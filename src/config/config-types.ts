import type { Platform } from '../oci/platform.js';
import type { ResolvedRegistry } from '../registry/endpoint.js';
import type { Channel } from '../images/tags.js';
import type { EmulatedSmoke, WorkerSettings } from './schema.js';

export const configFileName = 'neurons.json';

export type BaseRuntime = 'python' | 'go' | 'node';

export interface PackageIndexSetting {
  url: string;
  extraUrl: string | undefined;
  credentials: { username: string; password: string } | undefined;
  /** PEM text of the CA that signed the index's certificate, copied into the build stage only. */
  caPem: string | undefined;
}

export interface Config {
  /** The first registry is the primary: catalogs point at it. */
  registries: ResolvedRegistry[];
  baseImages: Record<BaseRuntime, string | undefined>;
  packageIndex: PackageIndexSetting | undefined;
  npmRegistry: string | undefined;
  /** The Go module proxy of builds of unvendored Go modules (its URL may hold credentials); none: GOPROXY=off. */
  goProxy: string | undefined;
  /** Template id -> absolute path of a Handlebars file that overrides or adds a template. */
  templates: Record<string, string>;
  workers: Record<string, WorkerSettings>;
  /**
   * Private or TLS-inspection CAs (PEM text): trusted by every registry, index and publish connection, installed in
   * the images' build stages, and with `runtime` in the final images too.
   */
  trust: { caPems: string[]; runtime: boolean };
  /** Platforms of every image (a worker's `platforms` setting narrows or widens its own). */
  platforms: Platform[];
  /** How much of the smoke test runs on an emulated platform, unless a worker's settings say otherwise. */
  smoke: { emulated: EmulatedSmoke };
  /** Images of the generated templates are assembled in the registry; false builds every image in the engine. */
  assemble: boolean;
  channel: Channel;
  /** Tag `latest` too on the stable channel. */
  latest: boolean;
  output: string;
  /** Where the values came from: a configuration file, or the local environment's state file. */
  sources: string[];
  /** One line for the user when the configuration named no registry and the local environment stands in for it. */
  notice: string | undefined;
}

/** Overrides given on the command line; they win over environment variables, which win over the file. */
export interface ConfigOverrides {
  configFile?: string;
  registry?: string;
  namespace?: string;
  channel?: string;
  output?: string;
  /** `--platform`, given once or more (each may list several, comma-separated). */
  platforms?: string[];
}
