import { catalogKind } from '../catalog/catalog-entry.js';
import type { ValidateFunction } from 'ajv';
import { schemaValidator } from '../util/schema-validator.js';
import { definitionSchema } from '../definitions/schema.js';
import { createWorkerId } from '../definitions/version.js';
import { NeuronsError } from '../errors/neurons-error.js';
import { explainInvalidReference } from '../images/reference-syntax.js';
import { maxJsonDepth, nestsDeeperThan } from '../util/json-depth.js';
import type { Problem } from '../errors/problem.js';

/** One worker a catalog offers, checked. */
export interface CatalogWorker {
  kind: 'analyzer' | 'responder';
  id: string;
  name: string;
  version: string;
  /** `dockerImage` as the catalog says. */
  catalogImage: string;
  /** The reference to pull and run: `catalogImage` with `--registry-prefix` applied. */
  image: string;
  /** The manifest digest the signed index gives for the image; undefined without an index or a digest in it. */
  digest: string | undefined;
  catalog: string;
}

let compiled: ValidateFunction | undefined;

/**
 * The definition schema, but `command` is not required: a catalog entry never has it (the engine drops an entry
 * that still has one when it reads a catalog over HTTP, and so do we, before the schema).
 */
export const entrySchema = {
  ...definitionSchema,
  required: definitionSchema.required.filter((field) => field !== 'command'),
};

function compileEntrySchema(): ValidateFunction {
  // Checked against the JSON Schema meta-schema by the tests, not on every run.
  compiled ??= schemaValidator('catalog-entry', entrySchema, entryValidatorOptions);
  return compiled;
}

/** How the entry schema is compiled, here and ahead of time by `npm run build`. */
export const entryValidatorOptions = { allErrors: true, strict: true, validateSchema: false };

export { catalogKind } from '../catalog/catalog-entry.js';

/**
 * Reads an engine catalog: a JSON array of definitions. Entries the engine would drop (schema errors, a `command`,
 * no `dockerImage`, a name already listed) are left out and reported, never fatal; a file that is not an array is.
 */
export function readCatalogEntries(
  bytes: Buffer,
  file: string,
  source: string,
): {
  workers: Omit<CatalogWorker, 'image' | 'digest'>[];
  skipped: Problem[];
  /** Each accepted entry as written, by name. */ definitions: Map<string, Record<string, unknown>>;
} {
  const value = parseCatalog(bytes, file, source);
  const validate = compileEntrySchema();
  const kind = catalogKind(file);
  const workers: Omit<CatalogWorker, 'image' | 'digest'>[] = [];
  const skipped: Problem[] = [];
  const definitions = new Map<string, Record<string, unknown>>();
  value.forEach((entry: unknown, position) => {
    const pointer = `/${position}`;
    const label =
      typeof (entry as { name?: unknown } | null)?.name === 'string'
        ? `${(entry as { name: string }).name} (entry ${position})`
        : `entry ${position}`;
    const skip = (code: string, message: string, hint: string): void =>
      void skipped.push({ code, file, pointer, message: `${label}: ${message}`, hint });
    if (typeof entry === 'object' && entry !== null && 'command' in entry)
      return skip(
        'UPDATE_ENTRY_COMMAND',
        'has a `command`: the engine refuses such entries from a remote catalog',
        'the publisher must drop `command` from catalog entries',
      );
    if (!validate(entry)) {
      const reasons = (validate.errors ?? []).map(
        (error) => `${error.instancePath || 'the entry'} ${error.message ?? 'is invalid'}`,
      );
      return skip(
        'UPDATE_ENTRY_INVALID',
        `not a valid definition: ${reasons.join('; ')}`,
        'the engine drops it too: fix the definition and publish again',
      );
    }
    const definition = entry as { name: string; version: string; dockerImage?: string };
    if (!definition.dockerImage)
      return skip(
        'UPDATE_ENTRY_NO_IMAGE',
        'has no dockerImage',
        'a catalog for Docker workers names the image of every entry',
      );
    // Not skipped like the others: a value such as `--privileged` is no mistake a publisher makes by accident, and
    // it would reach the engine's command line and Cortex. The whole catalog is refused; nothing is pulled or installed.
    const badImage = explainInvalidReference(definition.dockerImage);
    if (badImage) {
      throw new NeuronsError({
        code: 'UPDATE_ENTRY_IMAGE_INVALID',
        file: source,
        pointer: `${pointer}/dockerImage`,
        message: `${file}: ${label}: dockerImage ${badImage}`,
        hint: 'every dockerImage must be an image reference ([host[:port]/]path[:tag][@digest]); ask the publisher to fix the catalog',
      });
    }
    if (definitions.has(definition.name))
      return skip(
        'UPDATE_ENTRY_DUPLICATE',
        `another entry of ${file} has the name ${definition.name}`,
        'the first one is used',
      );
    definitions.set(definition.name, entry as Record<string, unknown>);
    workers.push({
      kind,
      id: createWorkerId(definition.name, definition.version),
      name: definition.name,
      version: definition.version,
      catalogImage: definition.dockerImage,
      catalog: file,
    });
  });
  return { workers, skipped, definitions };
}

/** The catalog as JSON: an array, nested no deeper than definitions may be; anything else refuses the whole file. */
function parseCatalog(bytes: Buffer, file: string, source: string): unknown[] {
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    throw new NeuronsError({
      code: 'UPDATE_CATALOG_INVALID',
      file: source,
      message: `${file} is not JSON: ${(error as Error).message}`,
      hint: 'point --catalog at a catalog written by neurons pipeline (analyzers.json, responders.json) or at its index',
    });
  }
  // One level for the array: its entries get the depth a definition may have. Deeper ones would overflow the stack
  // when the catalog is installed (JSON.stringify recurses).
  if (nestsDeeperThan(value, maxJsonDepth + 1))
    throw new NeuronsError({
      code: 'UPDATE_CATALOG_INVALID',
      file: source,
      message: `${file} nests arrays and objects more than ${maxJsonDepth} levels deep`,
      hint: 'a catalog holds definitions, which are flat: ask the publisher to fix it',
    });
  if (!Array.isArray(value))
    throw new NeuronsError({
      code: 'UPDATE_CATALOG_INVALID',
      file: source,
      message: `${file} is not a JSON array of definitions`,
      hint: 'an engine catalog is an array; the index (index.json) lists the catalogs',
    });
  return value;
}
