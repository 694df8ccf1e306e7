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
  if (!options.signature) fail('INDEX_UNSIGNED', 'the index has no signature (index.json.sig)', 'publish with --sign, or update without --key');
  if (!verifyBytes(options.indexBytes, options.signature ?? '', options.publicKeyPem)) fail('INDEX_SIGNATURE_INVALID', 'the index signature does not verify with the given public key', 'the index was altered or signed with another key: do not use it');
  const index = JSON.parse(options.indexBytes.toString('utf8')) as CatalogIndex;
  if (options.lastSerial !== undefined && index.serial < options.lastSerial) fail('INDEX_ROLLBACK', `index serial ${index.serial} is older than ${options.lastSerial}, already seen`, 'an older index is being replayed: keep the current state');
  if (new Date(index.expires).getTime() <= options.now.getTime()) fail('INDEX_EXPIRED', `the index expired on ${index.expires}`, 'the publisher must publish a fresh index (it may be frozen by an attacker)');
  for (const [file, bytes] of options.catalogs) {
    const expected = index.catalogs[file]?.sha256;
    if (!expected) fail('CATALOG_NOT_INDEXED', `${file} is not listed in the index`, 'fetch only the catalogs the index lists');
    if (sha256Hex(bytes) !== expected) fail('CATALOG_HASH_MISMATCH', `${file} does not match the hash in the signed index`, 'the catalog was altered after signing, or belongs to another index: do not use it');
  }
  return index;
}
