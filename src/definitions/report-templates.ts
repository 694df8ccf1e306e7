import type { Dirent } from 'node:fs';
import { lstat, readdir, realpath, stat } from 'node:fs/promises';
import { join, sep } from 'node:path';
import type { Problem } from '../errors/problem.js';
import { decodeUtf8, readFileWithin, sizeLimits, TooLargeError } from '../util/size-limits.js';
import type { ZipEntry } from '../util/zip.js';
import { compareNames } from './list-folders.js';

/** Where a repository in the Cortex-Analyzers layout keeps TheHive's report templates. */
export const reportTemplatesFolder = 'thehive-templates';

/** The two report types TheHive shows: a file under another name would be imported as the long one. */
const templateFiles = ['long.html', 'short.html'] as const;

/** What TheHive calls an analyzer: `<name>_<version with dots as underscores>`, the folder's name. */
const folderNamePattern = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/**
 * The report templates of a repository: `absent` without a `thehive-templates/` folder, `invalid` when one of its
 * files cannot go into the archive (the errors say which), else the archive's entries.
 */
export type ReportTemplates =
  { state: 'absent' } | { state: 'invalid' } | { state: 'ready'; entries: ZipEntry[]; folders: number };

export interface ReportTemplatesCheck {
  templates: ReportTemplates;
  errors: Problem[];
  warnings: Problem[];
}

/**
 * Reads `thehive-templates/<AnalyzerId>/{long,short}.html`, what TheHive's "Import templates" takes as a ZIP archive
 * (`report-templates.zip`), and checks each file: inside the repository once links are followed, at most
 * `sizeLimits.reportTemplate` bytes, UTF-8. TheHive takes the analyzer from the first path component and the report
 * type from the file name, falling back to `long` for any other name: an `other.html`, or one in a subfolder, would
 * silently replace the long template, so such files are left out with a warning. A folder that names no analyzer
 * flavor of the repository is kept (it may serve an analyzer from elsewhere), with a warning.
 */
export async function checkReportTemplates(
  repoRealPath: string,
  analyzerIds: ReadonlySet<string>,
): Promise<ReportTemplatesCheck> {
  const errors: Problem[] = [];
  const warnings: Problem[] = [];
  const root = join(repoRealPath, reportTemplatesFolder);
  const rootStat = await lstat(root).catch(() => undefined);
  if (!rootStat) return { templates: { state: 'absent' }, errors, warnings };
  const inside = async (absolute: string): Promise<string | undefined> => {
    const target = await realpath(absolute).catch(() => undefined);
    return target && target.startsWith(repoRealPath + sep) ? target : undefined;
  };
  const rootTarget = await inside(root);
  if (!rootTarget || !(await stat(rootTarget)).isDirectory()) {
    errors.push({
      code: rootTarget ? 'TEMPLATES_NOT_A_FOLDER' : 'TEMPLATES_OUTSIDE_REPOSITORY',
      file: reportTemplatesFolder,
      message: rootTarget
        ? `${reportTemplatesFolder} is not a folder`
        : `${reportTemplatesFolder} leads out of the repository`,
      hint: `keep the report templates in ${reportTemplatesFolder}/<AnalyzerId>/long.html and short.html`,
    });
    return { templates: { state: 'invalid' }, errors, warnings };
  }
  const entries: ZipEntry[] = [];
  let folders = 0;
  for (const folder of await sortedEntries(rootTarget)) {
    const folderFile = `${reportTemplatesFolder}/${folder.name}`;
    if (folder.name.startsWith('.')) continue;
    const folderTarget = await inside(join(rootTarget, folder.name));
    if (!folderTarget) {
      errors.push({
        code: 'TEMPLATES_OUTSIDE_REPOSITORY',
        file: folderFile,
        message: `${folderFile} leads out of the repository`,
        hint: 'templates are published from the repository only: copy the files in',
      });
      continue;
    }
    if (!(await stat(folderTarget)).isDirectory()) {
      if (folder.name.endsWith('.html'))
        warnings.push({
          code: 'TEMPLATES_STRAY_FILE',
          file: folderFile,
          message: 'a template outside an analyzer folder is not published: TheHive would not know its analyzer',
          hint: `move it to ${reportTemplatesFolder}/<AnalyzerId>/long.html or short.html`,
        });
      continue;
    }
    if (!folderNamePattern.test(folder.name)) {
      errors.push({
        code: 'TEMPLATES_NAME_INVALID',
        file: folderFile,
        message: `${JSON.stringify(folder.name)} is not an analyzer id (letters, digits, '_', '.', '-')`,
        hint: 'name the folder after the analyzer flavor, <name>_<version with dots as underscores>, e.g. VirusTotal_GetReport_3_1',
      });
      continue;
    }
    folders += 1;
    if (!analyzerIds.has(folder.name))
      warnings.push({
        code: 'TEMPLATES_NO_WORKER',
        file: folderFile,
        message: `no analyzer flavor of this repository has the id ${folder.name}`,
        hint: 'rename the folder after the flavor it renders (<name>_<version with dots as underscores>), or delete it if the flavor is gone',
      });
    let found = 0;
    for (const file of await sortedEntries(folderTarget)) {
      const relative = `${folderFile}/${file.name}`;
      if (!(templateFiles as readonly string[]).includes(file.name)) {
        if (file.name.endsWith('.html') || file.isDirectory())
          warnings.push({
            code: 'TEMPLATES_UNKNOWN_FILE',
            file: relative,
            message: `${file.name} is left out: TheHive would import it as the long template, replacing long.html`,
            hint: 'a template folder holds long.html and short.html only',
          });
        continue;
      }
      const target = await inside(join(folderTarget, file.name));
      if (!target) {
        errors.push({
          code: 'TEMPLATES_OUTSIDE_REPOSITORY',
          file: relative,
          message: `${relative} leads out of the repository`,
          hint: 'templates are published from the repository only: copy the file in',
        });
        continue;
      }
      let bytes: Buffer;
      try {
        bytes = await readFileWithin(target, sizeLimits.reportTemplate);
      } catch (error) {
        if (error instanceof TooLargeError)
          errors.push({
            code: 'TEMPLATES_TOO_LARGE',
            file: relative,
            message: `the template is ${error.size} bytes, more than ${sizeLimits.reportTemplate}`,
            hint: 'a report template is an HTML fragment: keep data out of it',
          });
        else
          errors.push({
            code: 'TEMPLATES_READ_FAILED',
            file: relative,
            message: `cannot read the template: ${(error as Error).message}`,
            hint: 'make it a readable regular file',
          });
        continue;
      }
      if (decodeUtf8(bytes) === undefined) {
        errors.push({
          code: 'TEMPLATES_ENCODING',
          file: relative,
          message: 'the template is not UTF-8',
          hint: 'save it as UTF-8: TheHive reads templates as text',
        });
        continue;
      }
      entries.push({ name: `${folder.name}/${file.name}`, bytes });
      found += 1;
    }
    if (found === 0)
      warnings.push({
        code: 'TEMPLATES_EMPTY',
        file: folderFile,
        message: 'the folder holds neither long.html nor short.html',
        hint: 'add the templates, or delete the folder',
      });
  }
  const total = entries.reduce((sum, entry) => sum + entry.bytes.length, 0);
  if (total > sizeLimits.reportTemplates)
    errors.push({
      code: 'TEMPLATES_TOO_LARGE',
      file: reportTemplatesFolder,
      message: `the templates hold ${total} bytes, more than ${sizeLimits.reportTemplates}`,
      hint: 'report templates are HTML fragments: keep data out of them',
    });
  if (errors.length > 0) return { templates: { state: 'invalid' }, errors, warnings };
  return { templates: { state: 'ready', entries, folders }, errors, warnings };
}

async function sortedEntries(directory: string): Promise<Dirent[]> {
  return (await readdir(directory, { withFileTypes: true })).sort((a, b) => compareNames(a.name, b.name));
}
