/** JSON Schema of `neurons.json`, the configuration file at the root of a worker repository. */
export const configSchema = {
  $id: 'https://neurons.local/schemas/config.json',
  type: 'object',
  additionalProperties: false,
  properties: {
    $schema: { type: 'string' },
    registries: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['host', 'namespace'],
        properties: {
          host: { type: 'string', minLength: 1, pattern: '^[A-Za-z0-9.-]+(:[0-9]+)?$' },
          namespace: {
            type: 'string',
            pattern: '^[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*)*$',
          },
          username: { type: 'string' },
          usernameEnv: { type: 'string' },
          passwordEnv: { type: 'string' },
          ca: { type: 'array', items: { type: 'string' } },
          plainHttp: { type: 'boolean' },
          insecure: { type: 'boolean' },
          clientCertificate: { type: 'string' },
          clientKey: { type: 'string' },
        },
      },
    },
    baseImages: {
      type: 'object',
      additionalProperties: false,
      properties: { python: { type: 'string' }, go: { type: 'string' }, node: { type: 'string' } },
    },
    packageIndex: {
      type: 'object',
      additionalProperties: false,
      required: ['url'],
      properties: {
        url: { type: 'string', pattern: '^https?://' },
        extraUrl: { type: 'string', pattern: '^https?://' },
        usernameEnv: { type: 'string' },
        passwordEnv: { type: 'string' },
        ca: { type: 'string' },
      },
    },
    npmRegistry: { type: 'string', pattern: '^https?://' },
    goProxy: { type: 'string', pattern: '^https?://' },
    templates: {
      type: 'object',
      propertyNames: { pattern: '^[a-z][a-z0-9-]*$' },
      additionalProperties: { type: 'string', minLength: 1 },
    },
    workers: {
      type: 'object',
      additionalProperties: {
        type: 'object',
        additionalProperties: false,
        properties: {
          protocol: { enum: ['job', 'stdio'] },
          template: { type: 'string', pattern: '^[a-z][a-z0-9-]*$' },
          uses: { type: 'array', items: { type: 'string', minLength: 1 } },
          platforms: { type: 'array', minItems: 1, items: { type: 'string', minLength: 1 } },
          smoke: {
            type: 'object',
            additionalProperties: false,
            properties: {
              network: { type: 'boolean' },
              skip: { type: 'string' },
              emulated: { enum: ['per-dependency-layer', 'per-script', 'every-flavor'] },
            },
          },
        },
      },
    },
    trust: {
      type: 'object',
      additionalProperties: false,
      properties: {
        ca: { type: 'array', items: { type: 'string', minLength: 1 } },
        runtime: { type: 'boolean' },
      },
    },
    platforms: { type: 'array', minItems: 1, items: { type: 'string', minLength: 1 } },
    smoke: {
      type: 'object',
      additionalProperties: false,
      properties: { emulated: { enum: ['per-dependency-layer', 'per-script', 'every-flavor'] } },
    },
    assemble: { type: 'boolean' },
    channel: { enum: ['stable', 'devel'] },
    latest: { type: 'boolean' },
    output: { type: 'string' },
  },
} as const;

export interface WorkerSettings {
  protocol?: 'job' | 'stdio';
  template?: string;
  /** Repository folders outside the worker's own that it depends on: a change there rebuilds it. */
  uses?: string[];
  /** The platforms of this worker's images, instead of the repository's (`platforms`). */
  platforms?: string[];
  smoke?: SmokeSettings;
}

/** How a worker's images are smoke-tested before they are pushed. */
export interface SmokeSettings {
  /** The test's containers get the host's network; without it they have none. */
  network?: boolean;
  /** Why this worker is not smoke-tested: nothing runs, and the reason is printed. A reason is required. */
  skip?: string;
  /** This worker's own choice of how much runs on an emulated platform (see `ConfigFile.smoke`). */
  emulated?: EmulatedSmoke;
}

/**
 * On a platform the engine runs under emulation (arm64 on an amd64 host, through QEMU), when every flavor is also
 * tested on the engine's own platform in the same run: `per-dependency-layer` tests the first folder on each base
 * and dependency layer (one job per entry script, and every installed module imported) and lets the next folders on
 * the same layers stand on it when their own files hold no native code; `per-script` runs one job per entry script
 * of every folder; `every-flavor` every flavor's job.
 */
export type EmulatedSmoke = 'per-dependency-layer' | 'per-script' | 'every-flavor';

export interface ConfigFile {
  registries?: Array<{
    host: string;
    namespace: string;
    username?: string;
    usernameEnv?: string;
    passwordEnv?: string;
    ca?: string[];
    plainHttp?: boolean;
    insecure?: boolean;
    /** PEM files of a client certificate and its key, for registries that require mutual TLS. */
    clientCertificate?: string;
    clientKey?: string;
  }>;
  baseImages?: { python?: string; go?: string; node?: string };
  packageIndex?: { url: string; extraUrl?: string; usernameEnv?: string; passwordEnv?: string; ca?: string };
  npmRegistry?: string;
  /** The Go module proxy that builds of Go modules without `vendor/` download from (a URL that may hold credentials). */
  goProxy?: string;
  /** Template id -> Handlebars file (relative to the configuration file): overrides a built-in or adds one. */
  templates?: Record<string, string>;
  /** Per worker folder (`Dir` or `kind/Dir`): the job protocol of a Go worker, the template to use. */
  workers?: Record<string, WorkerSettings>;
  /** CAs (PEM files) trusted by every connection neurons makes and inside the images' build stages. */
  trust?: { ca?: string[]; runtime?: boolean };
  /** Platforms every image is built for (`os/arch[/variant]`); linux/amd64 and linux/arm64 when not given. */
  platforms?: string[];
  /** How smoke tests run on emulated platforms (`per-dependency-layer` when not given). */
  smoke?: { emulated?: EmulatedSmoke };
  /** Assemble generated-template images in the registry (default) or build every image in the engine. */
  assemble?: boolean;
  channel?: 'stable' | 'devel';
  /** Also tag `latest` on the stable channel (it moves to the highest version, like `X`). */
  latest?: boolean;
  output?: string;
}
