import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { definitionCodes } from '../../src/definitions/codes.js';
import { errorCatalog } from '../../src/errors/catalog.js';
import { errorCodeTable, withDefinitionCodes } from '../../src/errors/catalog-table.js';
import { root } from '../helpers/environment.js';
import { emittedCodes, sourceFiles } from './error-catalog.scan.js';

const catalog = withDefinitionCodes(errorCatalog, definitionCodes);
const emitted = emittedCodes(root, sourceFiles(root, 'src'));

/** The table under `### Error codes` in the README: its lines from the header row to the first line not a row. */
function readmeTable(): string {
  const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
  const section = readme.split('\n### Error codes\n')[1] ?? '';
  const lines = section.split('\n');
  const start = lines.findIndex((line) => line.startsWith('| code | exit | meaning |'));
  if (start < 0) return '';
  const end = lines.findIndex((line, index) => index > start && !line.startsWith('|'));
  return lines.slice(start, end < 0 ? undefined : end).join('\n');
}

describe('the error catalog', () => {
  it('has every code neurons emits', () => {
    const missing = [...emitted].filter(([code]) => !(code in catalog)).map(([code, where]) => `${code} (${where[0]})`);
    expect(missing, 'add these codes to src/errors/catalog-*.ts').toEqual([]);
  });

  it('has no code that nothing emits', () => {
    expect(Object.keys(catalog).filter((code) => !emitted.has(code))).toEqual([]);
  });

  it('takes the definition codes from their own table only', () => {
    expect(Object.keys(errorCatalog).filter((code) => code.startsWith('DEF_'))).toEqual([]);
  });

  it('gives warnings exit 0, and errors the exit code of a failure, a usage error, an environment or a bug', () => {
    expect(catalog['DEF_W_NO_README']?.exit).toBe(0);
    expect(catalog['DEF_JSON_SYNTAX']?.exit).toBe(1);
    for (const [code, entry] of Object.entries(catalog)) {
      expect([0, 1, 2, 3, 70], code).toContain(entry.exit);
      if (/(?:^|_)W_/.test(code)) expect(entry.exit, code).toBe(0);
    }
  });

  it('is the table of the README (regenerate it with scripts/error-codes.mjs)', () => {
    expect(readmeTable()).toBe(errorCodeTable(catalog));
  });
});
