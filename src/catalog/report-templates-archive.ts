import type { Discovery } from '../definitions/types.js';
import { writeZip } from '../util/zip.js';

/**
 * What the catalog stage publishes as `report-templates.zip` for a repository: the archive of its
 * `thehive-templates/` (the layout TheHive's "Import templates" reads: `<AnalyzerId>/long.html`, `short.html`),
 * `none` without that folder, undefined (keep what is published) when a template is invalid or was not read.
 */
export function reportTemplatesArchive(discovery: Pick<Discovery, 'reportTemplates'>): Buffer | 'none' | undefined {
  const templates = discovery.reportTemplates;
  if (templates.state === 'absent') return 'none';
  return templates.state === 'ready' ? writeZip(templates.entries) : undefined;
}
