import { createHash } from 'node:crypto';
import type { TarEntry } from '../oci/tar.js';
import { sortedWithParents } from './tree-entries.js';

export const venvRoot = 'opt/venv';
export const venvPython = '/opt/venv/bin/python3';
/** The base image's interpreter folder, as `python3 -m venv` records it there (Debian and the neurons bases: /usr/bin). */
export const defaultPythonHome = '/usr/bin';

/**
 * A console script's first line, as pip wrote it for the host's interpreter, replaced by the venv's. pip writes
 * `#!/bin/sh` + `'''exec' <python> "$0" "$@"` + `' '''` when the interpreter path is too long for a shebang.
 */
export function rewriteShebang(data: Buffer): Buffer | undefined {
  const text = data.toString('latin1');
  if (!text.startsWith('#!')) return undefined;
  const lines = text.split('\n');
  let skip = 0;
  if (/^#!.*python[\d.]*\s*$/.test(lines[0] ?? '')) skip = 1;
  else if (
    lines[0]?.trim() === '#!/bin/sh' &&
    /^'''exec' .*python/.test(lines[1] ?? '') &&
    lines[2]?.trim() === "' '''"
  )
    skip = 3;
  if (skip === 0) return undefined;
  return Buffer.concat([Buffer.from(`#!${venvPython}\n`), Buffer.from(lines.slice(skip).join('\n'), 'latin1')]);
}

const recordHash = (data: Buffer): string => `sha256=${createHash('sha256').update(data).digest('base64url')}`;

/**
 * A RECORD written under `pip --target` names the files outside the packages (`bin/`, data) from a folder two levels
 * up; in the venv, site-packages is three levels below them. Rewritten scripts get their new hash and size.
 */
export function rewriteRecord(text: string, rewritten: Map<string, Buffer>): string {
  return text
    .split('\n')
    .map((line) => {
      if (!line.startsWith('../../')) return line;
      const [file = '', hash = '', size = ''] = line.split(',');
      const venvPath = file.slice('../../'.length);
      const data = rewritten.get(venvPath);
      return data ? `../../../${venvPath},${recordHash(data)},${data.length}` : `../../../${venvPath},${hash},${size}`;
    })
    .join('\n');
}

/** Top-level folders of a `--target` tree that are the venv's own (`bin`, `share`...), as the RECORDs say. */
export function venvFolders(files: TarEntry[]): Set<string> {
  const folders = new Set<string>();
  for (const file of files) {
    if (!/^[^/]+\.dist-info\/RECORD$/.test(file.name) || !file.data) continue;
    for (const line of file.data.toString('utf8').split('\n')) {
      const match = /^\.\.\/\.\.\/([^/,]+)\//.exec(line);
      if (match?.[1]) folders.add(match[1]);
    }
  }
  return folders;
}

/**
 * The layer of a virtualenv at /opt/venv holding what `pip --target` installed (`files`: that tree, relative paths):
 * what `python3 -m venv /opt/venv && /opt/venv/bin/pip install ...` leaves in the image, without pip itself.
 */
export function venvEntries(files: TarEntry[], pythonVersion: string, pythonHome = defaultPythonHome): TarEntry[] {
  const sitePackages = `${venvRoot}/lib/python${pythonVersion}/site-packages`;
  const own = venvFolders(files);
  const scripts = new Map<string, Buffer>();
  const placed: TarEntry[] = [];
  for (const file of files) {
    const top = file.name.split('/')[0] ?? '';
    const inVenv = own.has(top);
    let entry: TarEntry = { ...file, name: `${inVenv ? venvRoot : sitePackages}/${file.name}` };
    if (inVenv && top === 'bin' && file.type === 'file' && file.data) {
      const data = rewriteShebang(file.data);
      if (data) {
        scripts.set(file.name, data);
        entry = { ...entry, data };
      }
    }
    placed.push(entry);
  }
  const entries = placed.map((entry) =>
    /\.dist-info\/RECORD$/.test(entry.name) && entry.data
      ? { ...entry, data: Buffer.from(rewriteRecord(entry.data.toString('utf8'), scripts)) }
      : entry,
  );
  entries.push(
    {
      name: `${venvRoot}/pyvenv.cfg`,
      type: 'file',
      mode: 0o644,
      data: Buffer.from(`home = ${pythonHome}\ninclude-system-site-packages = false\nversion = ${pythonVersion}\n`),
    },
    { name: `${venvRoot}/bin/python3`, type: 'symlink', mode: 0o777, linkTarget: `${pythonHome}/python3` },
    { name: `${venvRoot}/bin/python`, type: 'symlink', mode: 0o777, linkTarget: 'python3' },
    { name: `${venvRoot}/bin/python${pythonVersion}`, type: 'symlink', mode: 0o777, linkTarget: 'python3' },
    { name: `${venvRoot}/lib64`, type: 'symlink', mode: 0o777, linkTarget: 'lib' },
    { name: sitePackages, type: 'directory', mode: 0o755 },
  );
  return sortedWithParents(entries);
}
