import type { Discovery, WorkerFolder } from '../definitions/types.js';

/**
 * Errors that leave a definition unreadable for the engine, or its image shared with another worker
 * (`DEF_IMAGE_NAME_COLLISION`): such a flavor can never be a catalog entry.
 */
const unreadable = new Set([
  'DEF_READ_FAILED',
  'DEF_JSON_SYNTAX',
  'DEF_REQUIRED_FIELD',
  'DEF_TYPE',
  'DEF_ENUM',
  'DEF_NAME_INVALID',
  'DEF_VERSION_INVALID',
  'DEF_DUPLICATE_ID',
  'DEF_IMAGE_NAME_COLLISION',
]);

/**
 * The workers and flavors a catalog may list. Other errors (a wrong default value, a command in another folder)
 * keep their flavor from being built, so with verification its entries are missing anyway, or the previous published
 * entry stands in; without verification (`--no-verify`), the engine would still load them, so they are listed.
 */
export function catalogWorkers(discovery: Discovery): WorkerFolder[] {
  const blocked = new Set(
    discovery.errors.filter((problem) => unreadable.has(problem.code)).map((problem) => problem.file),
  );
  return discovery.workers
    .map((worker) => ({ ...worker, flavors: worker.flavors.filter((flavor) => !blocked.has(flavor.file)) }))
    .filter((worker) => worker.flavors.length > 0);
}
