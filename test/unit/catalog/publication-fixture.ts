import {
  indexFormat,
  makePublication,
  publicationFiles,
  sha256Hex,
  type Publication,
} from '../../../src/publish/publication.js';

/** A small publication of the real layout: one catalog, the page, an index (signed unless told otherwise). */
export function samplePublication(
  serial: number,
  options: { by?: string; signed?: boolean; reportTemplates?: string } = {},
): Publication {
  const by = options.by ? `,"by":"${options.by}"` : '';
  const catalogs = new Map([['analyzers.json', Buffer.from(`[{"serial":${serial}${by}}]\n`)]]);
  const attachments = new Map(
    options.reportTemplates === undefined
      ? []
      : [['report-templates.zip', Buffer.from(options.reportTemplates)] as const],
  );
  const signed = options.signed ?? true;
  const hashes = (files: Map<string, Buffer>, extra: (bytes: Buffer) => object) =>
    Object.fromEntries([...files].map(([file, bytes]) => [file, { sha256: sha256Hex(bytes), ...extra(bytes) }]));
  const index = Buffer.from(
    `${JSON.stringify({ format: indexFormat, serial, signed, catalogs: hashes(catalogs, () => ({ entries: 1 })), ...(attachments.size ? { attachments: hashes(attachments, (bytes) => ({ bytes: bytes.length })) } : {}), flavors: [] })}\n`,
  );
  return makePublication({
    index,
    catalogs,
    attachments,
    sign: signed ? () => `c2lnbmF0dXJl${serial}` : undefined,
    extra: new Map([['catalog.html', Buffer.from(`<!doctype html><p>${serial}</p>\n`)]]),
  });
}

/** Name -> text of every file of a publication. */
export function filesOf(publication: Publication): Record<string, string> {
  return Object.fromEntries([...publicationFiles(publication)].map(([name, bytes]) => [name, bytes.toString()]));
}

/** Name -> text of the content-addressed files only. */
export function objectsOf(publication: Publication): Record<string, string> {
  return Object.fromEntries([...publication.objects].map(([name, bytes]) => [name, bytes.toString()]));
}
