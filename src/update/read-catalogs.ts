import type { CatalogIndex } from '../catalog/index-file.js';
import { verifyIndex } from '../catalog/verify-index.js';
import { NeuronsError } from '../errors/neurons-error.js';
import type { Problem } from '../errors/problem.js';
import {
  catalogObjectName,
  indexFormat,
  legacyIndexFormat,
  legacySignatureFileName,
  signatureObjectName,
} from '../publish/publication.js';
import { workerKey } from './compare.js';
import { readCatalogEntries, type CatalogWorker } from './entries.js';
import type { CatalogFetcher } from './fetch.js';
import { applyRegistryPrefix } from './prefix.js';
import { chooseCatalogs, describeFile, indexFile, type UpdateSource } from './source.js';

/**
 * The catalogs an update reads, from the bytes of the probe: with an index, the catalogs it lists, fetched after the
 * index is verified (with a key) and verified against it; else the one catalog the probe is.
 */
export async function readCatalogs(
  probeBytes: Buffer,
  probe: string,
  context: {
    source: UpdateSource;
    fetcher: CatalogFetcher;
    publicKey: { pem: string; file: string } | undefined;
    key: string | undefined;
    lastSerial: number | undefined;
    now: Date;
  },
): Promise<{ index: CatalogIndex | undefined; catalogBytes: Map<string, Buffer> }> {
  const { source, fetcher } = context;
  let index: CatalogIndex | undefined;
  const catalogBytes = new Map<string, Buffer>();
  if (probe === indexFile) {
    const location = describeFile(source, indexFile);
    const layout = indexLayout(probeBytes);
    const fetchListed = (listed: CatalogIndex): Promise<void> =>
      fetchCatalogs(
        fetcher,
        source,
        source.catalog ? [source.catalog] : chooseCatalogs(Object.keys(listed.catalogs)),
        catalogBytes,
        (file) => layout.catalog(file, listed),
      );
    if (context.publicKey && context.key !== undefined) {
      const signature = await fetcher.get(layout.signature);
      const verify = (catalogs: Map<string, Buffer>): CatalogIndex =>
        verifyIndex({
          indexBytes: probeBytes,
          signature: signature.status === 'ok' ? signature.bytes.toString('utf8') : undefined,
          publicKeyPem: context.publicKey?.pem ?? '',
          lastSerial: context.lastSerial,
          now: context.now,
          catalogs,
          source: location,
        });
      // The signature, the serial and the expiry first: nothing the index lists is fetched before it is trusted.
      index = verify(new Map());
      await fetchListed(index);
      verify(catalogBytes);
    } else {
      index = parseUnverifiedIndex(probeBytes, location);
      await fetchListed(index);
    }
  } else {
    catalogBytes.set(probe, probeBytes);
  }
  return { index, catalogBytes };
}

/**
 * The workers of the catalogs, read as the engine reads them (the first of a key wins), each with the registry prefix
 * applied and the digest the index records for its tag.
 */
export function collectWorkers(
  catalogBytes: Map<string, Buffer>,
  index: CatalogIndex | undefined,
  source: UpdateSource,
  registryPrefix: string | undefined,
): { skipped: Problem[]; workers: CatalogWorker[] } {
  const skipped: Problem[] = [];
  const workers: CatalogWorker[] = [];
  const seen = new Set<string>();
  for (const [file, bytes] of catalogBytes) {
    const read = readCatalogEntries(bytes, file, describeFile(source, file));
    skipped.push(...read.skipped);
    for (const worker of read.workers) {
      if (seen.has(workerKey(worker))) continue;
      seen.add(workerKey(worker));
      const repository = withoutTag(worker.catalogImage);
      const tag = worker.catalogImage.split('@')[0]?.slice(repository.length + 1) ?? '';
      // The record of this tag: two tags of one flavor at different images have a record each.
      const digest =
        index?.flavors.find(
          (flavor) => flavor.id === worker.id && flavor.image === repository && flavor.tags.includes(tag),
        )?.digest ?? undefined;
      workers.push({ ...worker, image: applyRegistryPrefix(worker.catalogImage, registryPrefix), digest });
    }
  }
  return { skipped, workers };
}

function parseUnverifiedIndex(bytes: Buffer, location: string): CatalogIndex {
  try {
    const value = JSON.parse(bytes.toString('utf8')) as CatalogIndex | { format: typeof legacyIndexFormat };
    if (
      (value.format === indexFormat || value.format === legacyIndexFormat) &&
      typeof (value as CatalogIndex).catalogs === 'object' &&
      Array.isArray((value as CatalogIndex).flavors)
    )
      return value as CatalogIndex;
  } catch {
    // Reported below, as for any other content.
  }
  throw new NeuronsError({
    code: 'UPDATE_INDEX_INVALID',
    file: location,
    message: 'not a catalog index written by neurons',
    hint: 'point --catalog at the folder the pipeline published, or at one catalog file (analyzers.json)',
  });
}

/**
 * Where the files of an index are (see publish/publication.ts): the signature named by the index's own hash and each
 * catalog by its recorded hash, so that what is read belongs to this index even while a publisher switches to the
 * next one; an index of the layout before that keeps them under their names.
 */
function indexLayout(indexBytes: Buffer): {
  signature: string;
  catalog: (file: string, index: CatalogIndex) => string;
} {
  let format: unknown;
  try {
    format = (JSON.parse(indexBytes.toString('utf8')) as { format?: unknown }).format;
  } catch {
    format = undefined;
  }
  if (format === legacyIndexFormat) return { signature: legacySignatureFileName, catalog: (file) => file };
  return {
    signature: signatureObjectName(indexBytes),
    catalog: (file, index) => {
      const sha256 = index.catalogs[file]?.sha256;
      return sha256 ? catalogObjectName(sha256) : file;
    },
  };
}

async function fetchCatalogs(
  fetcher: CatalogFetcher,
  source: UpdateSource,
  files: string[],
  into: Map<string, Buffer>,
  storedAs: (file: string) => string,
): Promise<void> {
  if (files.length === 0)
    throw new NeuronsError({
      code: 'UPDATE_NO_CATALOG',
      file: describeFile(source, indexFile),
      message: 'the index lists no analyzers or responders catalog',
      hint: 'publish the catalogs with neurons pipeline/catalog',
    });
  for (const file of files) {
    const fetched = await fetcher.get(storedAs(file));
    if (fetched.status !== 'ok')
      throw new NeuronsError({
        code: 'UPDATE_NOT_FOUND',
        file: describeFile(source, storedAs(file)),
        message: `${file} is listed in the index but not there`,
        hint: 'the publisher wrote the index without its catalogs, or removed them: publish again',
      });
    into.set(file, fetched.bytes);
  }
}

/** `registry/path/name:tag@digest` -> `registry/path/name`, the form the index records images in. */
function withoutTag(reference: string): string {
  const [name = ''] = reference.split('@');
  const colon = name.lastIndexOf(':');
  return colon > name.lastIndexOf('/') ? name.slice(0, colon) : name;
}
