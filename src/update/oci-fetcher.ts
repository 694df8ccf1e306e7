import type { OciCoordinates } from '../publish/oci-artifact-target.js';
import { layerTitled, readArtifactManifest, type ArtifactManifest } from '../registry/artifact.js';
import type { RegistryClient } from '../registry/client.js';
import { sizeLimitFor, tooLarge, type CatalogFetcher } from './fetch.js';

/**
 * The catalog files of an OCI artifact: the manifest is read once per run, each file is a layer found by its
 * title. A layer's digest is its ETag: when the index's layer has the digest seen last time, the update costs
 * one request (the manifest) and reads nothing else.
 */
export function ociFetcher(where: OciCoordinates, client: RegistryClient): CatalogFetcher {
  let requests = 0;
  let manifest: ArtifactManifest | undefined | null = null;
  return {
    get requests() {
      return requests;
    },
    async get(file, etag) {
      if (manifest === null) {
        requests += 1;
        manifest = (await readArtifactManifest(client, where.repository, where.tag))?.manifest;
      }
      const layer = layerTitled(manifest, file);
      if (!layer) return { status: 'missing' };
      if (etag === layer.digest) return { status: 'not-modified' };
      if (layer.size > sizeLimitFor(file))
        throw tooLarge(`${where.repository}:${where.tag} (${file})`, layer.size, sizeLimitFor(file));
      requests += 1;
      return { status: 'ok', bytes: await client.readBlob(where.repository, layer.digest), etag: layer.digest };
    },
    async close() {
      await client.close();
    },
  };
}
