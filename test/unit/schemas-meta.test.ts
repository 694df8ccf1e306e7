import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.js';
import { definitionSchema } from '../../src/definitions/schema.js';
import { entrySchema } from '../../src/update/entries.js';

// At run time the schemas are compiled without checking them against the meta-schema (60 ms a compile): this is
// where they are checked.
describe('the JSON schemas neurons compiles', () => {
  it.each([
    ['neurons.json', configSchema],
    ['a worker definition', definitionSchema],
    ['a catalog entry', entrySchema],
  ])('%s is a valid JSON Schema', (_name, schema) => {
    const ajv = new Ajv({ allErrors: true, strict: true });
    expect(ajv.validateSchema(schema), JSON.stringify(ajv.errors)).toBe(true);
    expect(() => ajv.compile(schema)).not.toThrow();
  });

  it('would catch a broken one', () => {
    const ajv = new Ajv({ strict: true });
    expect(ajv.validateSchema({ type: 'object', properties: { a: { type: 'nonsense' } } })).toBe(false);
  });
});
