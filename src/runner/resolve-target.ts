import { createWorkerId } from '../definitions/version.js';
import type { ConfigurationItem, Definition } from '../definitions/types.js';
import { explainInvalidReference } from '../images/reference-syntax.js';
import { readFileWithin, sizeLimits } from '../util/size-limits.js';
import { UsageError } from '../errors/neurons-error.js';
import { asObject } from './job-config.js';

export interface RunTarget {
  image: string;
  /** Where the defaults and the flavor's `config` come from; undefined: none. */
  definition: Definition | undefined;
  /** The engine's worker id, when known (from the catalog or the definition). */
  workerId: string | undefined;
}

/** An image reference has a `/` or a `:`; a worker id (`HashCalc_MD5_1_0`) has neither. */
export function isImageReference(target: string): boolean {
  return target.includes('/') || target.includes(':');
}

/**
 * Decides the image and the definition of `neurons run <target>`: a worker id is looked up in the catalog
 * (`RUN_UNKNOWN_WORKER` with the closest ids when absent); an image is run as given, its catalog entry (same
 * `dockerImage`) giving the definition when there is one. An explicit definition file wins over the catalog's.
 */
export function resolveTarget(
  target: string,
  catalog: Definition[] | undefined,
  definition: Definition | undefined,
): RunTarget {
  if (isImageReference(target)) {
    const badTarget = explainInvalidReference(target);
    if (badTarget)
      throw new UsageError({
        code: 'USAGE',
        message: `the image to run: ${badTarget}`,
        hint: 'give a worker id (with --catalog) or an image reference (registry/namespace/name:tag)',
      });
    const entry = definition ?? catalog?.find((candidate) => candidate.dockerImage === target);
    return { image: target, definition: entry, workerId: entry ? workerIdOf(entry) : undefined };
  }
  if (!catalog) {
    throw new UsageError({
      code: 'RUN_NO_CATALOG',
      message: `'${target}' is a worker id, and worker ids are looked up in a catalog`,
      hint: 'add --catalog FILE (an analyzers.json or responders.json the pipeline wrote), or give an image reference (registry/namespace/name:tag)',
    });
  }
  const entry = catalog.find((candidate) => workerIdOf(candidate) === target);
  if (!entry) {
    const close = closeMatches(target, catalog.map(workerIdOf));
    throw new UsageError({
      code: 'RUN_UNKNOWN_WORKER',
      message: `no worker '${target}' in the catalog${close.length > 0 ? `; close matches: ${close.join(', ')}` : ''}`,
      hint: 'worker ids are name_version with dots turned into underscores, e.g. HashCalc_MD5_1_0',
    });
  }
  if (typeof entry.dockerImage !== 'string' || entry.dockerImage === '') {
    throw new UsageError({
      code: 'RUN_NO_IMAGE',
      message: `the catalog entry of '${target}' has no dockerImage`,
      hint: 'use a catalog written by neurons pipeline, or give the image reference',
    });
  }
  return { image: entry.dockerImage, definition: definition ?? entry, workerId: target };
}

function workerIdOf(definition: Definition): string {
  return createWorkerId(String(definition.name), String(definition.version));
}

/** Ids that contain the target (or the reverse), or are a few edits away, closest first; five at most. */
export function closeMatches(target: string, ids: string[]): string[] {
  const lower = target.toLowerCase();
  const scored = ids.map((id) => {
    const candidate = id.toLowerCase();
    const contains = candidate.includes(lower) || lower.includes(candidate);
    return { id, distance: contains ? 0 : editDistance(lower, candidate) };
  });
  const limit = Math.max(2, Math.floor(target.length / 3));
  return scored
    .filter((entry) => entry.distance <= limit)
    .sort((a, b) => a.distance - b.distance || a.id.localeCompare(b.id))
    .slice(0, 5)
    .map((entry) => entry.id);
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

async function readJson(file: string, code: string, what: string): Promise<unknown> {
  let text: string;
  try {
    text = (await readFileWithin(file, sizeLimits.catalog)).toString('utf8');
  } catch (error) {
    throw new UsageError({ code, file, message: `cannot read the ${what}: ${(error as Error).message}` });
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new UsageError({ code, file, message: `the ${what} is not valid JSON: ${(error as Error).message}` });
  }
}

/** An engine catalog: a JSON array of definitions, each with its `dockerImage`. */
export async function readCatalog(file: string): Promise<Definition[]> {
  const json = await readJson(file, 'RUN_CATALOG_INVALID', 'catalog');
  if (!Array.isArray(json))
    throw new UsageError({
      code: 'RUN_CATALOG_INVALID',
      file,
      message: 'a catalog is a JSON array of worker definitions',
    });
  const entries = json.map((entry, index) => toDefinition(entry, file, `/${index}`, 'RUN_CATALOG_INVALID'));
  // The image goes to the engine: a catalog with one that is not a reference (`--privileged`) is refused whole.
  for (const [index, entry] of entries.entries()) {
    const badImage =
      typeof entry.dockerImage === 'string' && entry.dockerImage !== ''
        ? explainInvalidReference(entry.dockerImage)
        : undefined;
    if (badImage)
      throw new UsageError({
        code: 'RUN_CATALOG_INVALID',
        file,
        pointer: `/${index}/dockerImage`,
        message: `dockerImage ${badImage}`,
        hint: 'every dockerImage must be an image reference ([host[:port]/]path[:tag][@digest])',
      });
  }
  return entries;
}

/** A flavor definition file (`<Flavor>.json`). */
export async function readDefinition(file: string): Promise<Definition> {
  return toDefinition(await readJson(file, 'RUN_DEFINITION_INVALID', 'definition'), file, '', 'RUN_DEFINITION_INVALID');
}

/**
 * Only what running needs is checked (validate checks the rest): `name` and `version`, `config` an object,
 * `configurationItems` named objects. Items without `multi`/`required` get the engine's default, false.
 */
function toDefinition(value: unknown, file: string, pointer: string, code: string): Definition {
  const fail = (where: string, message: string): never => {
    throw new UsageError({ code, file, pointer: `${pointer}${where}`, message });
  };
  const object = asObject(value) ?? fail('', 'a definition is a JSON object');
  if (typeof object['name'] !== 'string' || typeof object['version'] !== 'string')
    fail('', 'a definition needs a string name and version');
  if (object['config'] !== undefined && !asObject(object['config'])) fail('/config', 'config must be an object');
  const rawItems = object['configurationItems'] ?? [];
  if (!Array.isArray(rawItems)) return fail('/configurationItems', 'configurationItems must be an array');
  const configurationItems = rawItems.map((raw, index): ConfigurationItem => {
    const item = asObject(raw);
    if (!item || typeof item['name'] !== 'string')
      return fail(`/configurationItems/${index}`, 'a configuration item is an object with a name');
    return {
      ...item,
      name: item['name'],
      description: String(item['description'] ?? ''),
      type: itemType(item['type']),
      multi: item['multi'] === true,
      required: item['required'] === true,
    };
  });
  return { ...(object as Definition), configurationItems };
}

function itemType(value: unknown): ConfigurationItem['type'] {
  return value === 'number' || value === 'boolean' || value === 'text' ? value : 'string';
}
