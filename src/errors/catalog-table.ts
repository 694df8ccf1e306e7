import type { ErrorCatalogEntry } from './catalog-entry.js';

/**
 * The definition codes as catalog entries: errors exit 1 (`neurons validate` reports them all), warnings (`DEF_W_`)
 * exit 0. Their table lives with the definitions, a higher layer than the errors, so it is passed in.
 */
export function withDefinitionCodes(
  catalog: Record<string, ErrorCatalogEntry>,
  definitionCodes: Record<string, { message: string }>,
): Record<string, ErrorCatalogEntry> {
  const definitions = Object.entries(definitionCodes).map(([code, { message }]): [string, ErrorCatalogEntry] => [
    code,
    { exit: code.startsWith('DEF_W_') ? 0 : 1, area: 'definitions', meaning: message },
  ]);
  return { ...catalog, ...Object.fromEntries(definitions) };
}

/** A table cell: `|` would end the cell, a line break the row. */
function cell(text: string): string {
  return text.replaceAll('|', '\\|').replaceAll('\n', ' ');
}

/** The README's table of error codes (`### Error codes`), sorted by code. */
export function errorCodeTable(catalog: Record<string, ErrorCatalogEntry>): string {
  const rows = Object.entries(catalog)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([code, entry]) => `| \`${code}\` | ${entry.exit} | ${cell(entry.meaning)} |`);
  return ['| code | exit | meaning |', '| --- | --- | --- |', ...rows].join('\n');
}
