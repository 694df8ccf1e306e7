import { NeuronsError } from '../errors/neurons-error.js';

/** What every target says when another publisher wrote `what` (a file, an asset, an artifact) since it was read. */
export function publishConflict(what: string): NeuronsError {
  return new NeuronsError({
    code: 'CATALOG_PUBLISH_CONFLICT',
    message: `${what} changed since it was read: another publisher wrote it`,
    hint: 'run again: the catalogs are rebuilt from what is published now',
  });
}
