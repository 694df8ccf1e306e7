import { indexFormat, sha256Hex } from '../publish/publication.js';

export { sha256Hex } from '../publish/publication.js';
import type { CatalogRecord } from './choose-entry.js';

export interface IndexedFlavor {
  id: string;
  kind: 'analyzer' | 'responder';
  name: string;
  version: string;
  /** Every tag the catalogs point at for this flavor. */
  tags: string[];
  image: string;
  digest: string | undefined;
  /**
   * The image under `digest` was checked to carry this id, kind and version in its labels. Indexes written before
   * the check existed lack the field: their digests say nothing of what the images are.
   */
  verified?: boolean;
  buildInputDigest: string | undefined;
  revision: string | undefined;
}

/**
 * `index.json`: what one signature covers. The engine catalogs are listed with their SHA-256, so a reader that
 * verifies the index and then each catalog's hash knows every byte it reads is genuine; the serial only grows
 * (a replayed older index is refused) and the expiry bounds how long a frozen index is believed.
 */
export interface CatalogIndex {
  format: typeof indexFormat;
  serial: number;
  /**
   * Whether the publisher signed this index. A reader that requires a signature refuses `false` at once, and an
   * index can never borrow an older signature: the signature's file name is the hash of the index it signs.
   */
  signed: boolean;
  created: string;
  expires: string;
  registry: string;
  catalogs: Record<string, { sha256: string; entries: number }>;
  /**
   * Files published beside the catalogs (`report-templates.zip`), under their name and as
   * `report-templates-<sha256>.zip`; absent when there are none.
   */
  attachments?: Record<string, { sha256: string; bytes: number }>;
  flavors: IndexedFlavor[];
}

export function buildIndex(options: {
  serial: number;
  signed: boolean;
  now: Date;
  expiresInDays: number;
  registry: string;
  files: Map<string, Buffer>;
  attachments?: Map<string, Buffer>;
  entryCounts: Map<string, number>;
  records: CatalogRecord[];
  /** This run's build inputs, by flavor id: only of images this run pushed or found unchanged. */
  buildInputDigests: Map<string, string>;
  revisions: Map<string, string>;
  /**
   * The previous index's flavors: the build inputs and revision of an image this run did not build; failing that, what
   * the image's labels record (`CatalogRecord.recorded`), so every flavor has them whatever the output folder held.
   */
  previous: IndexedFlavor[];
}): CatalogIndex {
  const flavors = new Map<string, IndexedFlavor>();
  for (const record of options.records) {
    const tag = record.image.slice(record.image.lastIndexOf(':') + 1);
    const repository = record.image.slice(0, record.image.lastIndexOf(':'));
    // Tags of one flavor share a record while they name one image; a tag at another image gets its own.
    const key = `${record.id}@${repository}@${record.digest ?? ''}`;
    const existing = flavors.get(key);
    if (existing) {
      if (!existing.tags.includes(tag)) existing.tags.push(tag);
      continue;
    }
    const carried = record.digest
      ? options.previous.find((flavor) => flavor.id === record.id && flavor.digest === record.digest)
      : undefined;
    flavors.set(key, {
      id: record.id,
      kind: record.kind,
      name: record.name,
      version: record.version,
      tags: [tag],
      image: repository,
      digest: record.digest,
      verified: record.verified,
      buildInputDigest:
        (record.kept ? undefined : options.buildInputDigests.get(record.id)) ??
        carried?.buildInputDigest ??
        record.recorded?.buildInputDigest,
      revision:
        (record.workerPath ? options.revisions.get(record.workerPath) : undefined) ??
        carried?.revision ??
        record.recorded?.revision,
    });
  }
  return {
    format: indexFormat,
    serial: options.serial,
    signed: options.signed,
    created: options.now.toISOString(),
    expires: new Date(options.now.getTime() + options.expiresInDays * 86_400_000).toISOString(),
    registry: options.registry,
    catalogs: Object.fromEntries(
      [...options.files].map(([file, bytes]) => [
        file,
        { sha256: sha256Hex(bytes), entries: options.entryCounts.get(file) ?? 0 },
      ]),
    ),
    ...(options.attachments?.size
      ? {
          attachments: Object.fromEntries(
            [...options.attachments].map(([file, bytes]) => [file, { sha256: sha256Hex(bytes), bytes: bytes.length }]),
          ),
        }
      : {}),
    flavors: [...flavors.values()],
  };
}

export function serializeJson(value: unknown): Buffer {
  return Buffer.from(`${JSON.stringify(value, null, 2)}\n`);
}
