import type { ResolvedRegistry } from '../config/load-config.js';
import { UsageError } from '../errors/neurons-error.js';
import { publishConflict } from './conflict.js';
import {
  layerTitled,
  pushBlob,
  pushManifest,
  readArtifactManifest,
  titleAnnotation,
  titleOf,
  type ArtifactManifest,
  type Descriptor,
} from '../registry/artifact.js';
import { registryClientFor } from '../registry/client-pool.js';
import { contentTypeOf, indexFileName, publicationFiles } from './publication.js';
import type { PublishTarget } from './publish-target.js';

export const ociPrefix = 'oci://';
/** What the artifact is, for registries and tools that read OCI 1.1 `artifactType`. */
export const catalogArtifactType = 'application/vnd.neurons.catalog.v1';
const configMediaType = 'application/vnd.neurons.catalog.config.v1+json';

export interface OciCoordinates {
  host: string;
  repository: string;
  tag: string;
}

/**
 * `oci://HOST[:PORT]/REPOSITORY:TAG`, strictly: the repository in the distribution grammar, a tag as the spec
 * allows. `usage` names the option and error code of the command that read it.
 */
export function parseOciTarget(
  value: string,
  usage: { option: string; code: string } = { option: '--publish', code: 'CATALOG_PUBLISH_TARGET' },
): OciCoordinates {
  const match =
    /^oci:\/\/([A-Za-z0-9.-]+(?::[0-9]{1,5})?)\/([a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*):([A-Za-z0-9_][A-Za-z0-9._-]{0,127})$/.exec(
      value,
    );
  const [, host, repository, tag] = match ?? [];
  if (!host || !repository || !tag) {
    throw new UsageError({
      code: usage.code,
      message: `${usage.option} ${value} is not an OCI artifact reference: expected oci://HOST/REPOSITORY:TAG`,
      hint: `for example ${usage.option} oci://ghcr.io/acme/workers-catalog:stable (lower-case repository, explicit tag)`,
    });
  }
  return { host, repository, tag };
}

/** Media types without parameters, as OCI descriptors take them. */
const mediaTypeOf = (file: string): string => contentTypeOf(file).replace(/;.*$/, '');

/**
 * The catalog files as one OCI artifact in a registry: each file a layer titled with its name, the whole
 * publication under one tag. Publishing switches every file at once (the tag moves to a new manifest), so a reader
 * sees either the previous set or the new one, never a mix; the manifest holds exactly the new publication (the
 * other channel's catalogs are in it, carried over by the catalog stage; an old signature is not). If the tag
 * moved since the index was read, another publisher wrote it: the run fails with `CATALOG_PUBLISH_CONFLICT` before
 * the tag is touched.
 */
export function ociArtifactTarget(
  target: string,
  options: { registries: ResolvedRegistry[]; caPems: string[] },
): PublishTarget {
  const where = parseOciTarget(target);
  // A configured registry of that host lends its credentials, CA and client certificate; any other is read with
  // the trusted CAs and no credentials.
  const registry = options.registries.find((candidate) => candidate.host === where.host);
  const client = registryClientFor(
    registry ?? { host: where.host, ca: options.caPems, plainHttp: false, insecure: false, credentials: undefined },
  );
  const description = `${ociPrefix}${where.host}/${where.repository}:${where.tag}`;
  let seen: { digest: string; manifest: ArtifactManifest } | undefined | null = null;
  const current = async (): Promise<{ digest: string; manifest: ArtifactManifest } | undefined> =>
    readArtifactManifest(client, where.repository, where.tag);

  return {
    description,
    locate: (file) => `${description} (${file})`,
    async read(file) {
      // The index is read first in a run: it takes a fresh look; the other files come from the same manifest.
      if (seen === null || file === indexFileName) seen = await current();
      const layer = layerTitled(seen?.manifest, file);
      return layer ? client.readBlob(where.repository, layer.digest) : undefined;
    },
    async publish(publication) {
      const live = await current();
      if (seen === null) seen = live;
      if (live?.digest !== seen?.digest) throw publishConflict(description);
      const files = publicationFiles(publication);
      const layers: Descriptor[] = [];
      for (const [file, bytes] of files)
        layers.push(await pushBlob(client, where.repository, bytes, mediaTypeOf(file), { [titleAnnotation]: file }));
      const config = await pushBlob(
        client,
        where.repository,
        Buffer.from('{"format":"neurons-catalog/1"}'),
        configMediaType,
      );
      layers.sort((a, b) => titleOf(a).localeCompare(titleOf(b)));
      const manifest: ArtifactManifest = {
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        artifactType: catalogArtifactType,
        config,
        layers,
        annotations: { 'org.opencontainers.image.created': new Date().toISOString() },
      };
      // Between the check above and this push another publisher could still move the tag: the registry has no
      // conditional tag update. Both manifests are whole publications, so a reader is never shown a mix either way,
      // and the check after the push makes the one whose manifest was replaced publish again.
      const digest = await pushManifest(client, where.repository, where.tag, manifest);
      seen = { digest, manifest };
      // So a publisher whose tag was moved over by another in that moment finds out, and publishes again on top.
      if ((await current())?.digest !== digest) throw publishConflict(description);
    },
    async close() {
      await client.close();
    },
  };
}
