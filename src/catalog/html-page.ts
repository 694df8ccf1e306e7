import Handlebars from 'handlebars';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { packageRoot } from '../util/package-root.js';
import type { CatalogEntry, CatalogRecord } from './assemble-catalogs.js';
import type { CatalogIndex } from './index-file.js';
import { reportTemplatesFileName } from '../publish/publication.js';

let template: Handlebars.TemplateDelegate | undefined;

/** A page for people: every worker of the default catalogs, searchable and filterable, with no external asset. */
export function renderCatalogPage(options: {
  entries: Array<{ entry: CatalogEntry; record: CatalogRecord }>;
  index: Pick<CatalogIndex, 'registry' | 'serial' | 'created' | 'attachments'>;
}): string {
  // Handlebars escapes every value: definitions cannot inject markup into the page.
  template ??= Handlebars.create().compile(
    readFileSync(path.join(packageRoot(), 'templates', 'catalog.html.hbs'), 'utf8'),
  );
  const workers: Array<Record<string, unknown> & { kind: string }> = options.entries.map(({ entry, record }) => ({
    ...entry,
    kind: record.kind,
    image: record.image,
    digest: record.digest,
    searchText: `${String(entry['name'] ?? '')} ${String(entry['description'] ?? '')}`.toLowerCase(),
  }));
  const dataTypes = [
    ...new Set(
      workers.flatMap((worker) => (Array.isArray(worker['dataTypeList']) ? (worker['dataTypeList'] as string[]) : [])),
    ),
  ].sort();
  return template({
    workers,
    dataTypes,
    total: workers.length,
    analyzers: workers.filter((worker) => worker.kind === 'analyzer').length,
    responders: workers.filter((worker) => worker.kind === 'responder').length,
    registry: options.index.registry,
    serial: options.index.serial,
    created: options.index.created,
    reportTemplates: options.index.attachments?.[reportTemplatesFileName] ? reportTemplatesFileName : undefined,
  });
}
