import { buildCodes } from './catalog-build.js';
import { engineCodes } from './catalog-engine.js';
import type { ErrorCatalogEntry } from './catalog-entry.js';
import { publishCodes } from './catalog-publish.js';
import { setupCodes } from './catalog-setup.js';

export type { ErrorArea, ErrorCatalogEntry } from './catalog-entry.js';

/**
 * Every error and warning code neurons emits, but the definition codes (`DEF_*`): those have their own table, with
 * hints, in `src/definitions/codes.ts` (a higher layer), and join this one through `withDefinitionCodes`. Codes are
 * stable: scripts and documentation refer to them. `test/unit/error-catalog.test.ts` checks that every code of `src/`
 * is here, that every code here is emitted, and that the README's table is this one (`scripts/error-codes.mjs`).
 */
export const errorCatalog = {
  ...setupCodes,
  ...buildCodes,
  ...publishCodes,
  ...engineCodes,
} as const satisfies Record<string, ErrorCatalogEntry>;

/** A code of the catalog, definition codes aside (`DefinitionCode` names those). */
export type ErrorCode = keyof typeof errorCatalog;
