import { NeuronsError } from '../errors/neurons-error.js';
import { sha256Hex, type CatalogIndex } from './index-file.js';
import { verifyBytes } from './signing.js';

/**
 * Checks an index the way an engine must before trusting it: the signature over its exact bytes, a serial that never
 * goes back (a replayed older index), an expiry in the future (a frozen index), and each catalog read against its hash.
 */
export function verifyIndex(options: {
  indexBytes: Buffer;
  signature: string | undefined;
  publicKeyPem: string;
  /** Highest serial accepted before; undefined the first time. */
  lastSerial: number | undefined;
  now: Date;
  catalogs: Map<string, Buffer>;
  source: string;
}): CatalogIndex {
  const fail = (code: string, message: string, hint: string): never => {
    throw new NeuronsError({ code, file: options.source, message, hint });
  };
  if (!options.signature)
    fail(
      'INDEX_UNSIGNED',
      'the index has no signature',
      'the publisher must sign it (--sign or NEURONS_SIGNING_KEY); update without --key only if you accept unverified catalogs',
    );
  if (!verifyBytes(options.indexBytes, options.signature ?? '', options.publicKeyPem))
    fail(
      'INDEX_SIGNATURE_INVALID',
      'the index signature does not verify with the given public key',
      'the index was altered or signed with another key: do not use it',
    );
  let index: CatalogIndex;
  try {
    index = JSON.parse(options.indexBytes.toString('utf8')) as CatalogIndex;
  } catch (error) {
    return fail(
      'INDEX_INVALID',
      `the signed index is not JSON: ${(error as Error).message}`,
      'the publisher signed a broken index: publish again',
    );
  }
  if (
    typeof index !== 'object' ||
    index === null ||
    typeof index.serial !== 'number' ||
    typeof index.catalogs !== 'object' ||
    index.catalogs === null
  ) {
    fail(
      'INDEX_INVALID',
      'the signed index has no serial or catalogs',
      'the publisher signed a broken index: publish again',
    );
  }
  if (options.lastSerial !== undefined && index.serial < options.lastSerial)
    fail(
      'INDEX_ROLLBACK',
      `index serial ${index.serial} is older than ${options.lastSerial}, already seen`,
      'an older index is being replayed: keep the current state',
    );
  checkFreshness(index, options.now, fail);
  checkCatalogHashes(index, options.catalogs, fail);
  return index;
}

type Fail = (code: string, message: string, hint: string) => never;

/** An index is believed until it expires, and only when it says when. */
function checkFreshness(index: CatalogIndex, now: Date, fail: Fail): void {
  // Fail closed: an index that does not say when it expires (or says it in a form that cannot be read) would be
  // believed for ever, which is what the expiry exists to prevent.
  const expires = indexExpiry(index.expires);
  if (expires === undefined)
    fail(
      'INDEX_EXPIRY_INVALID',
      `the index has ${index.expires === undefined ? 'no expiry' : `an unreadable expiry (${JSON.stringify(index.expires).slice(0, 60)})`}`,
      'the publisher must publish an index with an ISO 8601 `expires` (neurons catalog does)',
    );
  if ((expires ?? 0) <= now.getTime())
    fail(
      'INDEX_EXPIRED',
      `the index expired on ${String(index.expires)}`,
      'the publisher must publish a fresh index (it may be frozen by an attacker); `neurons catalog --refresh` re-signs without a build',
    );
}

/** Each catalog read must be one the index lists, with the hash it records. */
function checkCatalogHashes(index: CatalogIndex, catalogs: Map<string, Buffer>, fail: Fail): void {
  for (const [file, bytes] of catalogs) {
    const expected = index.catalogs[file]?.sha256;
    if (!expected)
      fail('CATALOG_NOT_INDEXED', `${file} is not listed in the index`, 'fetch only the catalogs the index lists');
    if (sha256Hex(bytes) !== expected)
      fail(
        'CATALOG_HASH_MISMATCH',
        `${file} does not match the hash in the signed index`,
        'the catalog was altered after signing, or belongs to another index: do not use it',
      );
  }
}

/** The expiry of an index in milliseconds, or undefined when it is missing or not an ISO 8601 date and time. */
export function indexExpiry(value: unknown): number | undefined {
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$/.test(value))
    return undefined;
  const time = Date.parse(value);
  return Number.isNaN(time) ? undefined : time;
}
