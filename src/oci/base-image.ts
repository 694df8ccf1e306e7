import { NeuronsError } from '../errors/neurons-error.js';
import type { RegistryClient } from '../registry/client.js';
import { runnableManifests, type Descriptor, type ParsedManifest } from '../registry/manifest.js';
import type { BaseConfig } from './image.js';
import { formatPlatform, samePlatform, type Platform } from './platform.js';

export interface BasePlatformImage {
  platform: Platform;
  manifestDigest: string;
  manifestMediaType: string;
  config: BaseConfig;
  layers: Descriptor[];
}

export interface ResolvedBaseImage {
  /** repository path inside the registry, e.g. 'base/python' */
  repository: string;
  /** digest of what the reference names (an index or a single manifest) */
  digest: string;
  /** one per requested platform, in the requested order */
  images: BasePlatformImage[];
}

/**
 * The manifest, configuration and layers of a base image for each platform asked for, from an OCI index or Docker
 * manifest list, or from a single manifest (which serves the one platform its configuration names). Every platform
 * the base lacks is named in one error, with those it has.
 */
export async function resolveBaseImage(
  client: RegistryClient,
  repository: string,
  reference: string,
  platforms: Platform[],
  file?: string,
): Promise<ResolvedBaseImage> {
  const where = `${client.endpoint.host}/${repository}${reference.includes(':') ? '@' : ':'}${reference}`;
  const found = await client.readManifest(repository, reference);
  if (!found)
    throw baseError(
      'BASE_IMAGE_MISSING',
      file,
      `base image ${where} is not in the registry`,
      'check the base image reference, and push the base image to the registry first',
    );
  const top = found.manifest;
  if (top.kind === 'unsupported') throw unsupported(where, top.reason, file);
  if (top.kind === 'image') {
    const image = await platformImage(client, repository, where, found.digest, top, file);
    const missing = platforms.filter((platform) => !samePlatform(platform, image.platform));
    if (missing.length > 0) throw platformMissing(where, missing, [image.platform], file);
    return { repository, digest: found.digest, images: platforms.map(() => image) };
  }
  const offered = runnableManifests(top.manifests).filter(
    (entry): entry is Descriptor & { platform: Platform } => entry.platform !== undefined,
  );
  const chosen = platforms.map((platform) => ({
    platform,
    entry: offered.find((entry) => samePlatform(entry.platform, platform)),
  }));
  const missing = chosen.filter((choice) => !choice.entry).map((choice) => choice.platform);
  if (missing.length > 0)
    throw platformMissing(
      where,
      missing,
      offered.map((entry) => entry.platform),
      file,
    );
  const images = await Promise.all(
    chosen.map(async ({ platform, entry }) => {
      const digest = entry?.digest ?? '';
      const manifest = (await client.readManifest(repository, digest, { named: true }))?.manifest;
      if (manifest?.kind !== 'image')
        throw unsupported(
          `${where} (${formatPlatform(platform)}: ${digest})`,
          manifest?.kind === 'unsupported' ? manifest.reason : 'its manifest is missing or is not an image manifest',
          file,
        );
      return platformImage(client, repository, where, digest, manifest, file);
    }),
  );
  return { repository, digest: found.digest, images };
}

async function platformImage(
  client: RegistryClient,
  repository: string,
  where: string,
  digest: string,
  manifest: ParsedManifest & { kind: 'image' },
  file: string | undefined,
): Promise<BasePlatformImage> {
  // readBlob checks the bytes against the digest: what the new configuration builds on is what the manifest names.
  const config = parseConfig(await client.readBlob(repository, manifest.config.digest));
  if (!config)
    throw unsupported(
      where,
      `its configuration ${manifest.config.digest} is not an image configuration (no os, architecture or rootfs.diff_ids)`,
      file,
    );
  if (config.rootfs.diff_ids.length !== manifest.layers.length) {
    throw unsupported(
      where,
      `its manifest ${digest} lists ${manifest.layers.length} layers but its configuration ${config.rootfs.diff_ids.length} diff_ids`,
      file,
    );
  }
  const platform: Platform = {
    os: config.os,
    architecture: config.architecture,
    ...(config.variant ? { variant: config.variant } : {}),
  };
  return { platform, manifestDigest: digest, manifestMediaType: manifest.mediaType, config, layers: manifest.layers };
}

function parseConfig(bytes: Buffer): BaseConfig | undefined {
  try {
    const config = JSON.parse(bytes.toString('utf8')) as Partial<BaseConfig>;
    const valid =
      typeof config.os === 'string' &&
      typeof config.architecture === 'string' &&
      Array.isArray(config.rootfs?.diff_ids);
    return valid ? (config as BaseConfig) : undefined;
  } catch {
    return undefined;
  }
}

const baseError = (code: string, file: string | undefined, message: string, hint: string): NeuronsError =>
  new NeuronsError({ code, ...(file === undefined ? {} : { file }), message, hint });

const unsupported = (where: string, reason: string, file: string | undefined): NeuronsError =>
  baseError(
    'BASE_IMAGE_UNSUPPORTED',
    file,
    `base image ${where} cannot be built on: ${reason}`,
    'use a base image pushed by a current Docker, BuildKit or OCI tool (schema 2 or OCI manifests)',
  );

function platformMissing(
  where: string,
  missing: Platform[],
  offered: Platform[],
  file: string | undefined,
): NeuronsError {
  const has = offered.length > 0 ? offered.map(formatPlatform).join(', ') : 'none';
  return baseError(
    'BASE_PLATFORM_MISSING',
    file,
    `base image ${where} has no image for ${missing.map(formatPlatform).join(', ')}; it offers: ${has}`,
    'build only for the platforms the base offers, or use a multi-platform base image (an index with one manifest per platform)',
  );
}
