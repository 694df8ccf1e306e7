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
  const walk: Walk = { repoRealPath, analyzerIds, errors: [], warnings: [], entries: [], folders: 0 };
  const result = (templates: ReportTemplates): ReportTemplatesCheck => ({
    templates,
    errors: walk.errors,
    warnings: walk.warnings,
  });
  const root = join(repoRealPath, reportTemplatesFolder);
  if (!(await lstat(root).catch(() => undefined))) return result({ state: 'absent' });
  const rootTarget = await inside(walk, root);
  if (!rootTarget || !(await stat(rootTarget)).isDirectory()) {
    walk.errors.push({
      code: rootTarget ? 'TEMPLATES_NOT_A_FOLDER' : 'TEMPLATES_OUTSIDE_REPOSITORY',
      file: reportTemplatesFolder,
      message: rootTarget
        ? `${reportTemplatesFolder} is not a folder`
        : `${reportTemplatesFolder} leads out of the repository`,
      hint: `keep the report templates in ${reportTemplatesFolder}/<AnalyzerId>/long.html and short.html`,
    });
    return result({ state: 'invalid' });
  }
  for (const folder of await sortedEntries(rootTarget)) {
    if (!folder.name.startsWith('.')) await checkFolder(walk, rootTarget, folder.name);
  }
  const total = walk.entries.reduce((sum, entry) => sum + entry.bytes.length, 0);
  if (total > sizeLimits.reportTemplates)
    walk.errors.push({
      code: 'TEMPLATES_TOO_LARGE',
      file: reportTemplatesFolder,
      message: `the templates hold ${total} bytes, more than ${sizeLimits.reportTemplates}`,
      hint: 'report templates are HTML fragments: keep data out of them',
    });
  if (walk.errors.length > 0) return result({ state: 'invalid' });
  return result({ state: 'ready', entries: walk.entries, folders: walk.folders });
}

/** What the walk over `thehive-templates/` has found so far. */
interface Walk {
  repoRealPath: string;
  analyzerIds: ReadonlySet<string>;
  errors: Problem[];
  warnings: Problem[];
  entries: ZipEntry[];
  folders: number;
}

/** The real path of `absolute` when it stays inside the repository once links are followed. */
async function inside(walk: Walk, absolute: string): Promise<string | undefined> {
  const target = await realpath(absolute).catch(() => undefined);
  return target && target.startsWith(walk.repoRealPath + sep) ? target : undefined;
}

/** `inside`, with the error said when the path leads out of the repository (`what` to copy in instead). */
async function insideOrReport(
  walk: Walk,
  absolute: string,
  relative: string,
  what: string,
): Promise<string | undefined> {
  const target = await inside(walk, absolute);
  if (!target)
    walk.errors.push({
      code: 'TEMPLATES_OUTSIDE_REPOSITORY',
      file: relative,
      message: `${relative} leads out of the repository`,
      hint: `templates are published from the repository only: copy ${what} in`,
    });
  return target;
}

/** One entry of `thehive-templates/`: an analyzer's folder, or something TheHive would not import. */
async function checkFolder(walk: Walk, rootTarget: string, name: string): Promise<void> {
  const folderFile = `${reportTemplatesFolder}/${name}`;
  const folderTarget = await insideOrReport(walk, join(rootTarget, name), folderFile, 'the files');
  if (!folderTarget) return;
  if (!(await stat(folderTarget)).isDirectory()) {
    if (name.endsWith('.html'))
      walk.warnings.push({
        code: 'TEMPLATES_STRAY_FILE',
        file: folderFile,
        message: 'a template outside an analyzer folder is not published: TheHive would not know its analyzer',
        hint: `move it to ${reportTemplatesFolder}/<AnalyzerId>/long.html or short.html`,
      });
    return;
  }
  if (!folderNamePattern.test(name)) {
    walk.errors.push({
      code: 'TEMPLATES_NAME_INVALID',
      file: folderFile,
      message: `${JSON.stringify(name)} is not an analyzer id (letters, digits, '_', '.', '-')`,
      hint: 'name the folder after the analyzer flavor, <name>_<version with dots as underscores>, e.g. VirusTotal_GetReport_3_1',
    });
    return;
  }
  walk.folders += 1;
  if (!walk.analyzerIds.has(name))
    walk.warnings.push({
      code: 'TEMPLATES_NO_WORKER',
      file: folderFile,
      message: `no analyzer flavor of this repository has the id ${name}`,
      hint: 'rename the folder after the flavor it renders (<name>_<version with dots as underscores>), or delete it if the flavor is gone',
    });
  let found = 0;
  for (const file of await sortedEntries(folderTarget)) {
    if (await checkTemplate(walk, folderTarget, name, file)) found += 1;
  }
  if (found === 0)
    walk.warnings.push({
      code: 'TEMPLATES_EMPTY',
      file: folderFile,
      message: 'the folder holds neither long.html nor short.html',
      hint: 'add the templates, or delete the folder',
    });
}

/** One file of an analyzer's folder: added to the archive when it is a template TheHive reads; true then. */
async function checkTemplate(walk: Walk, folderTarget: string, folder: string, file: Dirent): Promise<boolean> {
  const relative = `${reportTemplatesFolder}/${folder}/${file.name}`;
  if (!(templateFiles as readonly string[]).includes(file.name)) {
    if (file.name.endsWith('.html') || file.isDirectory())
      walk.warnings.push({
        code: 'TEMPLATES_UNKNOWN_FILE',
        file: relative,
        message: `${file.name} is left out: TheHive would import it as the long template, replacing long.html`,
        hint: 'a template folder holds long.html and short.html only',
      });
    return false;
  }
  const target = await insideOrReport(walk, join(folderTarget, file.name), relative, 'the file');
  if (!target) return false;
  const bytes = await readTemplate(walk, target, relative);
  if (!bytes) return false;
  walk.entries.push({ name: `${folder}/${file.name}`, bytes });
  return true;
}

/** A template's bytes, or undefined with the error said: too large, unreadable, not UTF-8. */
async function readTemplate(walk: Walk, target: string, relative: string): Promise<Buffer | undefined> {
  let bytes: Buffer;
  try {
    bytes = await readFileWithin(target, sizeLimits.reportTemplate);
  } catch (error) {
    walk.errors.push(
      error instanceof TooLargeError
        ? {
            code: 'TEMPLATES_TOO_LARGE',
            file: relative,
            message: `the template is ${error.size} bytes, more than ${sizeLimits.reportTemplate}`,
            hint: 'a report template is an HTML fragment: keep data out of it',
          }
        : {
            code: 'TEMPLATES_READ_FAILED',
            file: relative,
            message: `cannot read the template: ${(error as Error).message}`,
            hint: 'make it a readable regular file',
          },
    );
    return undefined;
  }
  if (decodeUtf8(bytes) !== undefined) return bytes;
  walk.errors.push({
    code: 'TEMPLATES_ENCODING',
    file: relative,
    message: 'the template is not UTF-8',
    hint: 'save it as UTF-8: TheHive reads templates as text',
  });
  return undefined;
}

async function sortedEntries(directory: string): Promise<Dirent[]> {
  return (await readdir(directory, { withFileTypes: true })).sort((a, b) => compareNames(a.name, b.name));
}
