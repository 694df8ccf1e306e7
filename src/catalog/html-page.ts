import type Handlebars from 'handlebars';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { precompiledTemplatesFile } from '../render/templates.js';
import { packageRoot } from '../util/package-root.js';
import type { CatalogEntry, CatalogRecord } from './assemble-catalogs.js';
import type { CatalogIndex } from './index-file.js';
import { reportTemplatesFileName } from '../publish/publication.js';

const require = createRequire(import.meta.url);

let template: Handlebars.TemplateDelegate | undefined;

/** The page's template source. */
export function pageSource(): string {
  return readFileSync(path.join(packageRoot(), 'templates', 'catalog.html.hbs'), 'utf8');
}

/** What the page compiled ahead records of what it was compiled from: the source and the compiler's version. */
export function pageFingerprint(version: string, source: string): string {
  return createHash('sha256').update(JSON.stringify({ version, source })).digest('hex');
}

/**
 * The page's template: as `npm run build` compiled it (beside the built-in templates), on Handlebars' runtime alone
 * (about 10 ms to load, against 25 with the compiler), when it records this source and runtime; else compiled now (a
 * stale build, a checkout).
 */
export function pageTemplate(file = precompiledTemplatesFile): {
  render: Handlebars.TemplateDelegate;
  precompiled: boolean;
} {
  const source = pageSource();
  try {
    const built = require(file) as {
      page?: { fingerprint?: string; spec?: Parameters<typeof Handlebars.template>[0] };
    };
    const runtime = require('handlebars/runtime') as typeof Handlebars;
    if (built.page?.spec && built.page.fingerprint === pageFingerprint(runtime.VERSION, source))
      return { render: runtime.create().template(built.page.spec), precompiled: true };
  } catch {
    // Compiled below.
  }
  return { render: (require('handlebars') as typeof Handlebars).create().compile(source), precompiled: false };
}

/** A page for people: every worker of the default catalogs, searchable and filterable, with no external asset. */
export function renderCatalogPage(options: {
  entries: Array<{ entry: CatalogEntry; record: CatalogRecord }>;
  index: Pick<CatalogIndex, 'registry' | 'serial' | 'created' | 'attachments'>;
}): string {
  // Handlebars escapes every value: definitions cannot inject markup into the page.
  template ??= pageTemplate().render;
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
