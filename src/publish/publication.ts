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
 *   index that nobody signed has no signature file at all, whatever an older publication left;
 * - each attachment (`report-templates.zip`) as `report-templates-<sha256>.zip`, its hash in the index's
 *   `attachments`.
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

/** The files published beside the catalogs, listed in the index's `attachments` with their hash. */
export const reportTemplatesFileName = 'report-templates.zip';
export const attachmentFileNames: readonly string[] = [reportTemplatesFileName];

/** `report-templates.zip` is kept as `report-templates-<sha256>.zip`. */
export function attachmentObjectName(file: string, sha256: string): string {
  const dot = file.lastIndexOf('.');
  return `${file.slice(0, dot)}-${sha256}${file.slice(dot)}`;
}

const objectPattern = /^(?:catalog-[0-9a-f]{64}\.json|index-[0-9a-f]{64}\.sig|report-templates-[0-9a-f]{64}\.zip)$/;

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
 * A publication from its parts: each catalog and attachment under its name and by its hash, the signature (when
 * `sign` is given) under the index's hash, and `extra` named files (the page).
 */
export function makePublication(options: {
  index: Buffer;
  catalogs: Map<string, Buffer>;
  attachments?: Map<string, Buffer>;
  sign: ((indexBytes: Buffer) => string) | undefined;
  extra?: Map<string, Buffer>;
}): Publication {
  const attachments = options.attachments ?? new Map<string, Buffer>();
  const objects = new Map(
    [...options.catalogs.values()].map((bytes) => [catalogObjectName(sha256Hex(bytes)), bytes] as const),
  );
  for (const [file, bytes] of attachments) objects.set(attachmentObjectName(file, sha256Hex(bytes)), bytes);
  if (options.sign) objects.set(signatureObjectName(options.index), Buffer.from(`${options.sign(options.index)}\n`));
  return {
    index: options.index,
    objects,
    named: new Map([...options.catalogs, ...attachments, ...(options.extra ?? [])]),
  };
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
  const index = indexFiles(indexBytes);
  if (!indexBytes || !index) return names;
  for (const sha256 of index.catalogs.values()) names.add(catalogObjectName(sha256));
  for (const [file, sha256] of index.attachments) names.add(attachmentObjectName(file, sha256));
  names.add(signatureObjectName(indexBytes));
  return names;
}

/**
 * The hashes an index of this layout records, by file name: its catalogs and its attachments (only those of a name
 * this version publishes: a name from elsewhere never becomes a path). Undefined for bytes that are not such an index.
 */
export function indexFiles(
  indexBytes: Buffer | undefined,
): { catalogs: Map<string, string>; attachments: Map<string, string> } | undefined {
  if (!indexBytes) return undefined;
  let index: { format?: unknown; catalogs?: unknown; attachments?: unknown };
  try {
    index = JSON.parse(indexBytes.toString('utf8')) as typeof index;
  } catch {
    return undefined;
  }
  if (
    typeof index !== 'object' ||
    index === null ||
    index.format !== indexFormat ||
    typeof index.catalogs !== 'object' ||
    index.catalogs === null
  )
    return undefined;
  const hashes = (record: unknown, accept: (file: string) => boolean): Map<string, string> =>
    new Map(
      typeof record === 'object' && record !== null
        ? Object.entries(record as Record<string, { sha256?: unknown } | null>).flatMap(([file, value]) =>
            accept(file) && typeof value?.sha256 === 'string' && /^[0-9a-f]{64}$/.test(value.sha256)
              ? [[file, value.sha256] as const]
              : [],
          )
        : [],
    );
  return {
    catalogs: hashes(index.catalogs, () => true),
    attachments: hashes(index.attachments, (file) => attachmentFileNames.includes(file)),
  };
}

/**
 * The named files a target must (re)write: those whose bytes differ from what its own last index recorded. A target
 * that never held this publication (a fresh `--out` folder) writes them all.
 */
export function changedNamedFiles(publication: Publication, ownPreviousIndex: Buffer | undefined): Map<string, Buffer> {
  // Not an index of ours: every file is written.
  const index = indexFiles(ownPreviousIndex);
  const recorded = new Map([...(index?.catalogs ?? []), ...(index?.attachments ?? [])]);
  return new Map([...publication.named].filter(([file, bytes]) => recorded.get(file) !== sha256Hex(bytes)));
}

/**
 * Named copies the previous index had and this publication has not (an attachment whose source is gone, such as
 * `thehive-templates/` deleted): removed after the commit, so no reader of a fixed name meets a file no index lists.
 */
export function withdrawnNamedFiles(publication: Publication, ownPreviousIndex: Buffer | undefined): string[] {
  return [...(indexFiles(ownPreviousIndex)?.attachments.keys() ?? [])].filter((file) => !publication.named.has(file));
}

/** The media type every target gives a file of a publication. */
export function contentTypeOf(file: string): string {
  return file.endsWith('.html')
    ? 'text/html; charset=utf-8'
    : file.endsWith('.sig')
      ? 'text/plain'
      : file.endsWith('.zip')
        ? 'application/zip'
        : 'application/json';
}
