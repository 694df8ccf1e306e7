import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { onTestFinished } from 'vitest';

/** A file's text, or `{ link }` for a symbolic link to `link` (relative to the link's folder or absolute). */
export type TreeEntry = string | { link: string };

/** Writes a fixture tree into a fresh temporary folder, removed when the test ends, and returns its path. */
export async function writeTree(entries: Record<string, TreeEntry>): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'neurons-definitions-'));
  onTestFinished(() => rm(root, { recursive: true, force: true }));
  for (const [path, entry] of Object.entries(entries)) {
    const target = join(root, path);
    await mkdir(dirname(target), { recursive: true });
    if (typeof entry === 'string') await writeFile(target, entry);
    else await symlink(entry.link, target);
  }
  return root;
}

/** A valid definition, pretty-printed as editors write them, with `overrides` merged (undefined removes a field). */
export function definitionText(overrides: Record<string, unknown> = {}): string {
  const base: Record<string, unknown> = {
    name: 'Echo',
    version: '1.0',
    author: 'Someone',
    url: 'https://example.org',
    license: 'AGPL-V3',
    description: 'Echoes the observable',
    dataTypeList: ['ip', 'domain'],
    command: 'Echo/echo.py',
    baseConfig: 'Echo',
    configurationItems: [{ name: 'key', description: 'API key', type: 'string', multi: false, required: true }],
  };
  for (const [key, value] of Object.entries(overrides)) {
    if (value === undefined) delete base[key];
    else base[key] = value;
  }
  return JSON.stringify(base, null, 2);
}

/** 1-based line and column of the first occurrence of `needle` in `text`. */
export function positionOf(text: string, needle: string): { line: number; column: number } {
  const offset = text.indexOf(needle);
  if (offset === -1) throw new Error(`${needle} not in text`);
  const before = text.slice(0, offset).split('\n');
  return { line: before.length, column: (before.at(-1)?.length ?? 0) + 1 };
}

/** A complete python worker folder around one definition. */
export function pythonWorker(folder: string, flavors: Record<string, string>): Record<string, TreeEntry> {
  const tree: Record<string, TreeEntry> = {
    [`analyzers/${folder}/${folder.toLowerCase()}.py`]: 'print("hi")\n',
    [`analyzers/${folder}/requirements.txt`]: 'cortexutils\n',
    [`analyzers/${folder}/README.md`]: `# ${folder}\n`,
  };
  for (const [file, text] of Object.entries(flavors)) tree[`analyzers/${folder}/${file}`] = text;
  return tree;
}
