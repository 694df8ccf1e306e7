import { createHash } from 'node:crypto';

/**
 * The layout of a publication, owned here and imported by the publisher (every target) and the updater.
 *
 * A reader must see the previous publication or the new one, never a mix, at every instant and after a crash at any
 * point. Targets cannot switch several files at once (a folder renames one file at a time, an HTTP server takes one
 * PUT at a time), so one file is the commit point: `index.json`. Everything it refers to is written before it, under
 * names derived from content, never overwritten:
 * - each catalog as `catalog-<sha256>.json` (the hash the index records for it);
 * - the signature as `index-<sha256 of the index bytes>.sig`: the index and its signature are one unit, and an
 *   index that nobody signed has no signature file at all, whatever an older publication left.
 * The fixed names engines read directly (`analyzers.json`, ...) are copies written after the commit, by the
 * publisher that won it; the updater reads the content-addressed files.
 */
export const indexFileName = 'index.json';
export const pageFileName = 'catalog.html';
/** Where publications before this layout kept the signature; removed by every publish. */
export const legacySignatureFileName = 'index.json.sig';
export const indexFormat = 'neurons-catalog-index/2';
export const legacyIndexFormat = 'neurons-catalog-index/1';

export function sha256Hex(bytes: Buffer | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export function catalogObjectName(sha256: string): string {
  return `catalog-${sha256}.json`;
}

export function signatureObjectName(indexBytes: Buffer): string {
  return `index-${sha256Hex(indexBytes)}.sig`;
}

const objectPattern = /^(?:catalog-[0-9a-f]{64}\.json|index-[0-9a-f]{64}\.sig)$/;

/** A content-addressed file of some publication (a candidate for removal once no recent index refers to it). */
export function isObjectName(file: string): boolean {
  return objectPattern.test(file);
}

export interface Publication {
  /** `index.json`, the commit point. */
  index: Buffer;
  /** Content-addressed files the index refers to: written before it, never overwritten. */
  objects: Map<string, Buffer>;
  /** Fixed names for direct readers (the engine catalogs, the page): written after the commit. */
  named: Map<string, Buffer>;
}

/**
 * A publication from its parts: each catalog under its name and by its hash, the signature (when `sign` is given)
 * under the index's hash, and `extra` named files (the page).
 */
export function makePublication(options: { index: Buffer; catalogs: Map<string, Buffer>; sign: ((indexBytes: Buffer) => string) | undefined; extra?: Map<string, Buffer> }): Publication {
  const objects = new Map([...options.catalogs.values()].map((bytes) => [catalogObjectName(sha256Hex(bytes)), bytes] as const));
  if (options.sign) objects.set(signatureObjectName(options.index), Buffer.from(`${options.sign(options.index)}\n`));
  return { index: options.index, objects, named: new Map([...options.catalogs, ...(options.extra ?? [])]) };
}

/** Every file of a publication under its name: what a target that switches all at once (an OCI artifact) stores. */
export function publicationFiles(publication: Publication): Map<string, Buffer> {
  return new Map([...publication.objects, ...publication.named, [indexFileName, publication.index]]);
}

/**
 * The content-addressed files an index needs (its catalogs and its signature), from its bytes as published; none
 * for an index that is not of this layout or not JSON.
 */
export function referencedObjects(indexBytes: Buffer | undefined): Set<string> {
  const names = new Set<string>();
  if (!indexBytes) return names;
  let index: { format?: unknown; catalogs?: Record<string, { sha256?: unknown }> };
  try {
    index = JSON.parse(indexBytes.toString('utf8')) as typeof index;
  } catch {
    return names;
  }
  if (index.format !== indexFormat || typeof index.catalogs !== 'object' || index.catalogs === null) return names;
  for (const { sha256 } of Object.values(index.catalogs)) if (typeof sha256 === 'string') names.add(catalogObjectName(sha256));
  names.add(signatureObjectName(indexBytes));
  return names;
}

/**
 * The named files a target must (re)write: those whose bytes differ from what its own last index recorded. A target
 * that never held this publication (a fresh `--out` folder) writes them all.
 */
export function changedNamedFiles(publication: Publication, ownPreviousIndex: Buffer | undefined): Map<string, Buffer> {
  const recorded = new Map<string, string>();
  try {
    const index = ownPreviousIndex && (JSON.parse(ownPreviousIndex.toString('utf8')) as { format?: unknown; catalogs?: Record<string, { sha256?: unknown }> });
    if (index && index.format === indexFormat) for (const [file, { sha256 }] of Object.entries(index.catalogs ?? {})) if (typeof sha256 === 'string') recorded.set(file, sha256);
  } catch {
    // Not an index of ours: every file is written.
  }
  return new Map([...publication.named].filter(([file, bytes]) => recorded.get(file) !== sha256Hex(bytes)));
}
