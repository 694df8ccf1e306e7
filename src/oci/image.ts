import { digestOf } from '../registry/client.js';
import type { Descriptor } from '../registry/manifest.js';
import { canonicalJson } from './canonical-json.js';
import type { Platform } from './platform.js';

export const ociConfigMediaType = 'application/vnd.oci.image.config.v1+json';
export const ociManifestMediaType = 'application/vnd.oci.image.manifest.v1+json';
export const ociIndexMediaType = 'application/vnd.oci.image.index.v1+json';

/** The run-time part of an image configuration; fields this code does not set (ports, volumes, ...) pass through. */
export interface ContainerConfig {
  Env?: string[] | null;
  Entrypoint?: string[] | null;
  Cmd?: string[] | null;
  WorkingDir?: string;
  Labels?: Record<string, string> | null;
  User?: string;
  [field: string]: unknown;
}

export interface HistoryEntry {
  created?: string;
  created_by?: string;
  author?: string;
  comment?: string;
  empty_layer?: boolean;
}

/** The image configuration of one platform of a base image, as the registry serves it (OCI or Docker). */
export interface BaseConfig {
  architecture: string;
  os: string;
  variant?: string;
  'os.version'?: string;
  'os.features'?: string[];
  config?: ContainerConfig | null;
  rootfs: { type: string; diff_ids: string[] };
  history?: HistoryEntry[];
}

export interface ImageConfigInput {
  base: BaseConfig;
  /** diff_ids of the layers added on top of the base, in order */
  diffIds: string[];
  /** Environment `KEY=value`: replaces the base's value of the same KEY, else appended (base order kept). */
  env: string[];
  /** When given, Cmd is reset to [] as Docker does when ENTRYPOINT is set. */
  entrypoint?: string[];
  workingDir?: string;
  /** Merged over the base's labels. */
  labels: Record<string, string>;
  /** RFC 3339, fixed by the caller (SOURCE_DATE_EPOCH or commit time). */
  created: string;
  /** One `created_by` text per added layer. */
  history: string[];
}

export interface BuiltBlob {
  bytes: Buffer;
  descriptor: Descriptor;
}

const built = (value: unknown, mediaType: string): BuiltBlob => {
  const bytes = canonicalJson(value);
  return { bytes, descriptor: { mediaType, digest: digestOf(bytes), size: bytes.length } };
};

const keyOf = (entry: string): string => entry.slice(0, entry.includes('=') ? entry.indexOf('=') : entry.length);

/** The base's environment with `env` applied: a key set again keeps its place, a new one goes at the end. */
export function mergeEnv(base: string[], env: string[]): string[] {
  const merged = [...base];
  for (const entry of env) {
    const at = merged.findIndex((existing) => keyOf(existing) === keyOf(entry));
    if (at >= 0) merged[at] = entry;
    else merged.push(entry);
  }
  return merged;
}

/**
 * The image configuration of base + added layers. Only the fields of the OCI image config spec are kept from the
 * base (Docker's `container_config` and friends describe the base's own build). Config-only changes get one
 * `empty_layer` history entry each, as `docker history` shows a Dockerfile's ENV or ENTRYPOINT.
 */
export function buildImageConfig(input: ImageConfigInput): BuiltBlob {
  const { base } = input;
  if (input.history.length !== input.diffIds.length) {
    throw new Error(`buildImageConfig: ${input.diffIds.length} layers but ${input.history.length} history entries`);
  }
  const baseConfig = base.config ?? {};
  const config: ContainerConfig = {
    ...baseConfig,
    Env: mergeEnv(baseConfig.Env ?? [], input.env),
    Labels: { ...(baseConfig.Labels ?? {}), ...input.labels },
    ...(input.entrypoint ? { Entrypoint: input.entrypoint, Cmd: [] } : {}),
    ...(input.workingDir === undefined ? {} : { WorkingDir: input.workingDir }),
  };
  const steps = [
    ...input.history.map((createdBy) => ({ created: input.created, created_by: createdBy })),
    ...configSteps(input).map((createdBy) => ({ created: input.created, created_by: createdBy, empty_layer: true })),
  ];
  return built(
    {
      architecture: base.architecture,
      os: base.os,
      variant: base.variant,
      'os.version': base['os.version'],
      'os.features': base['os.features'],
      created: input.created,
      config,
      rootfs: { type: 'layers', diff_ids: [...base.rootfs.diff_ids, ...input.diffIds] },
      history: [...baseHistory(base), ...steps],
    },
    ociConfigMediaType,
  );
}

/**
 * The base's history, or one entry per base layer when it has none: tools pair the history entries that are not
 * `empty_layer` with the layers in order, so ours must not be paired with the base's layers.
 */
function baseHistory(base: BaseConfig): HistoryEntry[] {
  if (base.history && base.history.length > 0) return base.history;
  return base.rootfs.diff_ids.map(() => ({ comment: 'base image layer (the base has no history)' }));
}

/** What `docker history` would say of the configuration changes: names and instructions, never label values. */
function configSteps(input: ImageConfigInput): string[] {
  const steps: string[] = [];
  if (input.env.length > 0) steps.push(`ENV ${input.env.map(keyOf).join(' ')}`);
  if (input.workingDir !== undefined) steps.push(`WORKDIR ${input.workingDir}`);
  const labels = Object.keys(input.labels).sort();
  if (labels.length > 0) steps.push(`LABEL ${labels.join(' ')}`);
  if (input.entrypoint) steps.push(`ENTRYPOINT ${JSON.stringify(input.entrypoint)}`);
  return steps;
}

const withAnnotations = (annotations: Record<string, string> | undefined) =>
  annotations && Object.keys(annotations).length > 0 ? { annotations } : {};

/** The fields of the OCI descriptor spec: a built layer (which carries its bytes) can be passed as it is. */
const descriptorFields = ['mediaType', 'digest', 'size', 'urls', 'annotations', 'data', 'artifactType'] as const;
function descriptorOnly(descriptor: Descriptor): Descriptor {
  const given: Record<string, unknown> = { ...descriptor };
  const kept: Record<string, unknown> = {};
  for (const field of descriptorFields) if (given[field] !== undefined) kept[field] = given[field];
  return kept as unknown as Descriptor;
}

/** An OCI image manifest; the base's layer descriptors are kept as they are (Docker media types included). */
export function buildImageManifest(
  config: Descriptor,
  layers: Descriptor[],
  annotations?: Record<string, string>,
): BuiltBlob {
  return built(
    {
      schemaVersion: 2,
      mediaType: ociManifestMediaType,
      config: descriptorOnly(config),
      layers: layers.map(descriptorOnly),
      ...withAnnotations(annotations),
    },
    ociManifestMediaType,
  );
}

/** An OCI image index of one manifest per platform, in the order given. */
export function buildImageIndex(
  manifests: Array<{ descriptor: Descriptor; platform: Platform }>,
  annotations?: Record<string, string>,
): BuiltBlob {
  const entries = manifests.map(({ descriptor, platform }) => ({
    ...descriptorOnly(descriptor),
    platform: {
      architecture: platform.architecture,
      os: platform.os,
      ...(platform.variant ? { variant: platform.variant } : {}),
    },
  }));
  return built(
    { schemaVersion: 2, mediaType: ociIndexMediaType, manifests: entries, ...withAnnotations(annotations) },
    ociIndexMediaType,
  );
}
