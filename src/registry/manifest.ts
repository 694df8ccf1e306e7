/**
 * The OCI and Docker manifest formats, parsed once: an image manifest (a configuration and layers) or an index of
 * per-platform manifests (OCI image index, Docker manifest list). Pure: the registry reads live in `client.ts`.
 */

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

/**
 * A tag (`host/path:tag`) and the manifest it named when a run read it: deciding reads them, and the catalog stage
 * takes those of flavors the run left alone instead of reading them again.
 */
export interface ObservedManifest {
  reference: string;
  digest: string;
  manifest: ParsedManifest;
}

/** An OCI content descriptor; entries of an index also say their platform. */
export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
  platform?: Platform;
}

export const indexMediaTypes = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
];
export const imageManifestMediaTypes = [
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
];
/** What a manifest read asks for (`Accept`): without the list, some registries answer with a schema 1 manifest. */
export const manifestMediaTypes = [...indexMediaTypes, ...imageManifestMediaTypes];
/** Configurations of runnable images; an artifact's manifest names a configuration of another type. */
export const imageConfigMediaTypes = [
  'application/vnd.oci.image.config.v1+json',
  'application/vnd.docker.container.image.v1+json',
];

export type ParsedManifest =
  | { kind: 'image'; mediaType: string; config: Descriptor; layers: Descriptor[] }
  /** `annotations`: the index's own, when it has any (strings only). */
  | { kind: 'index'; mediaType: string; manifests: Descriptor[]; annotations?: Record<string, string> }
  /** Not readable as an image: schema 1, not JSON, or not a manifest at all; `reason` says which. */
  | { kind: 'unsupported'; mediaType: string; reason: string };

const isDescriptor = (value: unknown): value is Descriptor =>
  typeof value === 'object' &&
  value !== null &&
  typeof (value as Descriptor).digest === 'string' &&
  typeof (value as Descriptor).mediaType === 'string';

/** An object of string values (an `annotations` field), else undefined. */
function stringRecord(value: unknown): Record<string, string> | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const entries = Object.entries(value as Record<string, unknown>);
  return entries.every(([, item]) => typeof item === 'string')
    ? (Object.fromEntries(entries) as Record<string, string>)
    : undefined;
}

/**
 * Parses a manifest as served. The body's `mediaType` wins over the `Content-Type` header (a proxy may rewrite the
 * header, not the signed bytes); a body without either is recognised by its shape, as older registries serve them.
 */
export function parseManifest(bytes: Buffer, contentType: string | undefined): ParsedManifest {
  const header = (contentType ?? '').split(';')[0]?.trim() ?? '';
  let body: Record<string, unknown>;
  try {
    const value = JSON.parse(bytes.toString('utf8')) as unknown;
    if (typeof value !== 'object' || value === null || Array.isArray(value))
      return { kind: 'unsupported', mediaType: header, reason: 'the manifest is not a JSON object' };
    body = value as Record<string, unknown>;
  } catch {
    return { kind: 'unsupported', mediaType: header, reason: 'the manifest is not JSON' };
  }
  const mediaType = typeof body['mediaType'] === 'string' ? body['mediaType'] : header;
  if (body['schemaVersion'] === 1 || mediaType.startsWith('application/vnd.docker.distribution.manifest.v1')) {
    return {
      kind: 'unsupported',
      mediaType,
      reason: 'a Docker schema 1 manifest (deprecated, carries no image configuration)',
    };
  }
  const manifests = body['manifests'];
  if (
    indexMediaTypes.includes(mediaType) ||
    (!imageManifestMediaTypes.includes(mediaType) && Array.isArray(manifests))
  ) {
    if (!Array.isArray(manifests) || !manifests.every(isDescriptor))
      return { kind: 'unsupported', mediaType, reason: 'an index whose manifests are not all descriptors' };
    const annotations = stringRecord(body['annotations']);
    return { kind: 'index', mediaType, manifests, ...(annotations ? { annotations } : {}) };
  }
  const config = body['config'];
  const layers = Array.isArray(body['layers']) ? body['layers'] : [];
  if (isDescriptor(config) && layers.every(isDescriptor)) return { kind: 'image', mediaType, config, layers };
  return { kind: 'unsupported', mediaType, reason: `not an image manifest or index (${mediaType || 'no media type'})` };
}

/**
 * The manifests of an index that are images to run: BuildKit adds attestation manifests (SBOM, provenance) under
 * the platform `unknown/unknown`, which carry no image configuration worth checking.
 */
export function runnableManifests(manifests: Descriptor[]): Descriptor[] {
  return manifests.filter(
    (descriptor) =>
      descriptor.annotations?.['vnd.docker.reference.type'] !== 'attestation-manifest' &&
      descriptor.platform?.os !== 'unknown',
  );
}

/** `linux/arm64/v8`, or `?` when a descriptor or configuration does not say. */
export function platformName(platform: Partial<Platform> | undefined): string {
  if (!platform?.os && !platform?.architecture) return '?';
  return [platform.os ?? '?', platform.architecture ?? '?', ...(platform.variant ? [platform.variant] : [])].join('/');
}
