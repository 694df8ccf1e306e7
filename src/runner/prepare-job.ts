import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** What a job works on: a value (`data`: a string for analyzers, an entity object for responders), or a file. */
export type Observable = { data: unknown } | { file: string };

export interface JobRequest {
  dataType: string;
  observable: Observable;
  tlp: number;
  pap: number;
  message: string;
  parameters: Record<string, unknown>;
  config: Record<string, unknown>;
  /** PEM text written to `input/cacerts`: the runner then points REQUESTS_CA_BUNDLE at it, as the engine does. */
  caCertificates?: string;
}

/**
 * The attachment's name inside `input/`. The engine writes the uploaded file under a name of its own (not the
 * user's, which may be anything) and passes the original one as `filename`; one attachment per job, so one name.
 */
export const attachmentName = 'attachment';

/**
 * `input/input.json` as the engine writes it, fields in its order: the observable (`data`, or `file`, `filename`,
 * `contentType`), then `dataType`, `tlp`, `pap`, `message`, `parameters`, `config`.
 */
export function buildJobInput(request: JobRequest): Record<string, unknown> {
  const observable =
    'file' in request.observable
      ? {
          file: attachmentName,
          filename: path.basename(request.observable.file),
          contentType: guessContentType(request.observable.file),
        }
      : { data: request.observable.data };
  return {
    ...observable,
    dataType: request.dataType,
    tlp: request.tlp,
    pap: request.pap,
    message: request.message,
    parameters: request.parameters,
    config: request.config,
  };
}

/**
 * Writes a job folder the way the engine does: `input/input.json`, the attachment copied into `input/`,
 * `input/cacerts` when there is a CA, and an empty `output/` for the worker's report.
 */
export async function prepareJobFolder(jobDirectory: string, request: JobRequest): Promise<void> {
  const input = path.join(jobDirectory, 'input');
  await mkdir(input, { recursive: true });
  await mkdir(path.join(jobDirectory, 'output'), { recursive: true });
  if ('file' in request.observable) await copyFile(request.observable.file, path.join(input, attachmentName));
  if (request.caCertificates !== undefined && request.caCertificates.trim() !== '')
    await writeFile(path.join(input, 'cacerts'), request.caCertificates);
  await writeFile(path.join(input, 'input.json'), JSON.stringify(buildJobInput(request)));
}

/** Media types of the attachments analysts usually submit; anything else is `application/octet-stream`. */
const contentTypes: Record<string, string> = {
  '7z': 'application/x-7z-compressed',
  apk: 'application/vnd.android.package-archive',
  bin: 'application/octet-stream',
  bmp: 'image/bmp',
  csv: 'text/csv',
  dll: 'application/x-msdownload',
  doc: 'application/msword',
  docm: 'application/vnd.ms-word.document.macroEnabled.12',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  eml: 'message/rfc822',
  exe: 'application/x-msdownload',
  gif: 'image/gif',
  gz: 'application/gzip',
  htm: 'text/html',
  html: 'text/html',
  iso: 'application/x-iso9660-image',
  jar: 'application/java-archive',
  jpeg: 'image/jpeg',
  jpg: 'image/jpeg',
  js: 'text/javascript',
  json: 'application/json',
  msg: 'application/vnd.ms-outlook',
  pdf: 'application/pdf',
  png: 'image/png',
  ppt: 'application/vnd.ms-powerpoint',
  pptx: 'application/vnd.openxmlformats-officedocument.presentationml.presentation',
  ps1: 'text/plain',
  rar: 'application/vnd.rar',
  rtf: 'application/rtf',
  sh: 'application/x-sh',
  svg: 'image/svg+xml',
  tar: 'application/x-tar',
  txt: 'text/plain',
  xls: 'application/vnd.ms-excel',
  xlsm: 'application/vnd.ms-excel.sheet.macroEnabled.12',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  xml: 'application/xml',
  zip: 'application/zip',
};

export function guessContentType(file: string): string {
  const extension = path.extname(file).slice(1).toLowerCase();
  return contentTypes[extension] ?? 'application/octet-stream';
}
