import { lstat, mkdir, readdir, readFile, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** A file of a fixture: text, bytes, or a symbolic link to `symlink` (relative to the file's folder, or absolute). */
export type FixtureFile = string | Buffer | { symlink: string };

/**
 * One hostile input: a fixture tree written to a fresh temporary folder, a command line run in-process, and what
 * must come of it. Paths and values may use `{dir}` for the fixture folder.
 */
export interface HostileCase {
  name: string;
  files?: Record<string, FixtureFile>;
  argv: string[];
  env?: Record<string, string>;
  exit: 1 | 2 | 3;
  code: string;
  /** The file, field or flag the message must name. */
  names: string | RegExp;
  /** Folders (relative to the fixture) that must be exactly as before the run: absent stays absent. */
  untouched?: string[];
}

export function substitute(value: string, dir: string): string {
  return value.replaceAll('{dir}', dir);
}

export async function writeFixture(dir: string, files: Record<string, FixtureFile>): Promise<void> {
  for (const [relative, content] of Object.entries(files)) {
    const target = path.join(dir, relative);
    await mkdir(path.dirname(target), { recursive: true });
    if (typeof content === 'object' && !Buffer.isBuffer(content))
      await symlink(substitute(content.symlink, dir), target);
    else await writeFile(target, typeof content === 'string' ? substitute(content, dir) : content);
  }
}

/** Every path under `folder` with its bytes (or `dir`/`link`), to compare before and after a run; absent is `null`. */
export async function snapshotFolder(folder: string): Promise<Record<string, string> | null> {
  const info = await lstat(folder).catch(() => undefined);
  if (!info) return null;
  if (!info.isDirectory()) return { '.': (await readFile(folder)).toString('base64') };
  const result: Record<string, string> = {};
  for (const entry of await readdir(folder, { recursive: true, withFileTypes: true })) {
    const full = path.join(entry.parentPath, entry.name);
    const key = path.relative(folder, full);
    result[key] = entry.isFile() ? (await readFile(full)).toString('base64') : entry.isDirectory() ? 'dir' : 'link';
  }
  return result;
}

/** A valid analyzer definition, with `overrides` merged in. */
export function definition(overrides: Record<string, unknown> = {}): string {
  return JSON.stringify({
    name: 'Hash',
    version: '1.0',
    author: 'neurons',
    url: 'https://example.org',
    license: 'AGPL-V3',
    description: 'hashes',
    dataTypeList: ['hash'],
    command: 'Hash/hash.py',
    baseConfig: 'Hash',
    ...overrides,
  });
}

/** A repository with one valid Python analyzer. */
export function validRepo(): Record<string, FixtureFile> {
  return {
    'repo/analyzers/Hash/Hash.json': definition(),
    'repo/analyzers/Hash/hash.py': 'print(1)\n',
    'repo/analyzers/Hash/README.md': '# Hash\n',
  };
}
