import { indexFormat, makePublication, publicationFiles, sha256Hex, type Publication } from '../../../src/catalog/publication.js';

/** A small publication of the real layout: one catalog, the page, an index (signed unless told otherwise). */
export function samplePublication(serial: number, options: { by?: string; signed?: boolean } = {}): Publication {
  const by = options.by ? `,"by":"${options.by}"` : '';
  const catalogs = new Map([['analyzers.json', Buffer.from(`[{"serial":${serial}${by}}]\n`)]]);
  const signed = options.signed ?? true;
  const index = Buffer.from(`${JSON.stringify({ format: indexFormat, serial, signed, catalogs: Object.fromEntries([...catalogs].map(([file, bytes]) => [file, { sha256: sha256Hex(bytes), entries: 1 }])), flavors: [] })}\n`);
  return makePublication({ index, catalogs, sign: signed ? () => `c2lnbmF0dXJl${serial}` : undefined, extra: new Map([['catalog.html', Buffer.from(`<!doctype html><p>${serial}</p>\n`)]]) });
}

/** Name -> text of every file of a publication. */
export function filesOf(publication: Publication): Record<string, string> {
  return Object.fromEntries([...publicationFiles(publication)].map(([name, bytes]) => [name, bytes.toString()]));
}

/** Name -> text of the content-addressed files only. */
export function objectsOf(publication: Publication): Record<string, string> {
  return Object.fromEntries([...publication.objects].map(([name, bytes]) => [name, bytes.toString()]));
}
