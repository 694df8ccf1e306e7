import type { Options, ValidateFunction } from 'ajv';
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** The validators `npm run build` compiles ahead (scripts/compile-validators.mjs), by name. */
export const compiledValidatorFolder = '../generated';

/** What a compiled validator records of the schema and options it was made from. */
export function schemaFingerprint(schema: object, options: Options): string {
  return createHash('sha256').update(JSON.stringify({ schema, options })).digest('hex');
}

/**
 * The validator of `schema`: the one compiled at build time (`dist/generated/<name>.cjs`) when it records this very
 * schema and these options, else compiled now. Loading ajv and compiling cost a run about 50 ms before its first
 * definition is checked; a stale or missing build (a source checkout under test) compiles as before.
 */
export function schemaValidator<T = unknown>(name: string, schema: object, options: Options): ValidateFunction<T> {
  try {
    const built = require(`${compiledValidatorFolder}/${name}.cjs`) as {
      fingerprint?: string;
      validate?: ValidateFunction<T>;
    };
    if (built.fingerprint === schemaFingerprint(schema, options) && built.validate) return built.validate;
  } catch {
    // Not built ahead: compiled below.
  }
  const { Ajv } = require('ajv') as typeof import('ajv');
  return new Ajv(options).compile<T>(schema);
}
