import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from './ca/helpers.js';
import { snapshotFolder, substitute, writeFixture, type HostileCase } from './hostile/case.js';
import { configCases } from './hostile/config-cases.js';
import { definitionCases } from './hostile/definition-cases.js';
import { flagCases, outputCases, runCases, updateCases } from './hostile/update-cases.js';

/**
 * Issue 16: inputs a red team tried, and more of the same kind. Each must end in a coded error that names the
 * file, field or flag, with the documented exit code, nothing written, and never a stack trace.
 */
const cases: HostileCase[] = [
  ...definitionCases,
  ...configCases,
  ...updateCases,
  ...runCases,
  ...outputCases,
  ...flagCases,
];

const folders: string[] = [];
afterAll(async () => {
  await Promise.all(folders.map((folder) => rm(folder, { recursive: true, force: true })));
});

describe('hostile inputs', () => {
  it('has at least 100 cases, with distinct names', () => {
    expect(cases.length).toBeGreaterThanOrEqual(100);
    expect(new Set(cases.map((item) => item.name)).size).toBe(cases.length);
  });

  it.each(cases.map((item) => [item.name, item] as const))('%s', async (_name, item) => {
    const dir = await mkdtemp(path.join(tmpdir(), 'neurons-hostile-'));
    folders.push(dir);
    await writeFixture(dir, item.files ?? {});
    const watched = item.untouched ?? [];
    const before = await Promise.all(watched.map((folder) => snapshotFolder(path.join(dir, folder))));
    // No local environment, no Docker client configuration: only what the case gives.
    const env = {
      HOME: dir,
      NEURONS_ENV_DIR: path.join(dir, 'no-environment'),
      ...Object.fromEntries(Object.entries(item.env ?? {}).map(([key, value]) => [key, substitute(value, dir)])),
    };
    const result = await runCli(
      item.argv.map((arg) => substitute(arg, dir)),
      dir,
      env,
    );
    const output = `${result.stdout}\n${result.stderr}`;
    expect(output).not.toMatch(/internal error|\n\s+at /);
    expect({ exit: result.code, code: output.includes(item.code) }, output).toEqual({ exit: item.exit, code: true });
    expect(output).toMatch(
      typeof item.names === 'string' ? new RegExp(item.names.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')) : item.names,
    );
    const after = await Promise.all(watched.map((folder) => snapshotFolder(path.join(dir, folder))));
    expect(after).toEqual(before);
  });
});
