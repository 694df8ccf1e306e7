import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { Ajv, type Options, type ValidateFunction } from 'ajv';
import { afterAll, describe, expect, it } from 'vitest';
import { configValidatorOptions } from '../../src/config/parse-config.js';
import { configSchema } from '../../src/config/schema.js';
import { definitionSchema, definitionValidatorOptions } from '../../src/definitions/schema.js';
import { entrySchema, entryValidatorOptions } from '../../src/update/entries.js';

const require = createRequire(import.meta.url);
const root = path.resolve(import.meta.dirname, '../..');

const definition = {
  name: 'Example',
  version: '1.0',
  author: 'test',
  url: 'https://example.org',
  license: 'AGPL-V3',
  description: 'an example',
  dataTypeList: ['ip'],
  command: 'Example/example.py',
  baseConfig: 'Example',
};

/** Valid and invalid values of each schema: every error the engine-side messages are built from. */
const samples: Record<string, unknown[]> = {
  definition: [
    definition,
    {},
    { ...definition, version: 1, dataTypeList: 'ip' },
    { ...definition, configurationItems: [{ name: 'key', type: 'secret' }] },
    { ...definition, service_logo: { caption: 'no path' } },
    [],
  ],
  config: [
    {},
    { registries: [] },
    { platforms: [], unknown: true },
    { smoke: { emulated: 'sometimes' } },
    { workers: { Example: { smoke: { network: 'yes', skip: 1 } } } },
  ],
  'catalog-entry': [{ ...definition, command: undefined }, { name: 1 }],
};

const schemas: Record<string, { schema: object; options: Options }> = {
  definition: { schema: definitionSchema, options: definitionValidatorOptions },
  config: { schema: configSchema, options: configValidatorOptions },
  'catalog-entry': { schema: entrySchema, options: entryValidatorOptions },
};

describe('validators compiled ahead of time (scripts/compile-validators.mjs)', () => {
  // Inside the package, as dist/generated is: the compiled code requires ajv's small runtime helpers by name.
  const folder = mkdtempSync(path.join(root, 'dist', '.validators-test-'));
  afterAll(() => rmSync(folder, { recursive: true, force: true }));
  execFileSync(process.execPath, [path.join(root, 'scripts/compile-validators.mjs'), folder]);

  it.each(Object.keys(schemas))(
    '%s: accepts and refuses exactly as ajv compiling the schema now, with the same errors',
    (name) => {
      const { schema, options } = schemas[name] as { schema: object; options: Options };
      const built = require(path.join(folder, `${name}.cjs`)) as ValidateFunction;
      const compiled = new Ajv(options).compile(schema);
      const verdicts = (validate: ValidateFunction) =>
        (samples[name] ?? []).map((value) => [validate(value), validate.errors ?? null]);
      const expected = verdicts(compiled);
      expect(expected.some(([valid]) => valid === false)).toBe(true);
      expect(verdicts(built)).toEqual(expected);
    },
  );

  it('is taken by the build only while it records the schema and options in use; else ajv compiles anew', async () => {
    const { schemaValidator } = (await import(
      path.join(root, 'dist/util/schema-validator.js')
    )) as typeof import('../../src/util/schema-validator.js');
    const inDist = require(path.join(root, 'dist/generated/definition.cjs')) as ValidateFunction;
    expect(schemaValidator('definition', definitionSchema, definitionValidatorOptions)).toBe(inDist);
    // A schema changed since the build: the validator is compiled from the schema given, not taken from the build.
    const changed = { ...definitionSchema, required: [...definitionSchema.required, 'dockerImage'] };
    const fresh = schemaValidator('definition', changed, definitionValidatorOptions);
    expect(fresh).not.toBe(inDist);
    expect(fresh(definition)).toBe(false);
    expect(inDist(definition)).toBe(true);
  });
});
