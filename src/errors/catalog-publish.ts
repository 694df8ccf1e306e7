import type { ErrorCatalogEntry } from './catalog-entry.js';

/** Catalogs, their signatures and their publication. */
export const publishCodes = {
  KEYS_EXIST: { exit: 2, area: 'catalog', meaning: '`neurons keys generate` would replace a key pair; pass --force' },
  CATALOG_IMAGE_MISSING: {
    exit: 1,
    area: 'catalog',
    meaning: "an entry's image is not in the registry: left out of the catalog",
  },
  CATALOG_IMAGE_MISMATCH: {
    exit: 1,
    area: 'catalog',
    meaning: "the tag names another version's or flavor's image: left out of the catalog",
  },
  CATALOG_KEPT_PREVIOUS: {
    exit: 0,
    area: 'catalog',
    meaning: 'warning: a catalog keeps the previous entry of a worker whose new image is missing',
  },
  CATALOG_IMAGE_UNVERIFIABLE: {
    exit: 1,
    area: 'catalog',
    meaning: "`catalog --refresh`: an entry's image is in no configured registry",
  },
  CATALOG_REFRESH_UNVERIFIED: {
    exit: 1,
    area: 'catalog',
    meaning: '`catalog --refresh`: entries whose images no longer verify',
  },
  CATALOG_REFRESH_NOTHING: { exit: 1, area: 'catalog', meaning: '`catalog --refresh`: no publication to refresh' },
  CATALOG_OUTPUT_NOT_FOLDER: { exit: 2, area: 'catalog', meaning: '--output or a --publish folder is a file' },
  CATALOG_UNSIGNED_AFTER_SIGNED: {
    exit: 2,
    area: 'catalog',
    meaning: 'no signing key over a signed publication, without --allow-unsigned',
  },
  SIGN_KEY_INVALID: { exit: 2, area: 'catalog', meaning: 'the signing key is not a private key' },
  SIGN_KEY_UNREADABLE: { exit: 2, area: 'catalog', meaning: 'the signing key cannot be read' },
  SIGN_KEY_REQUIRED: { exit: 2, area: 'catalog', meaning: '--require-signature without a signing key' },
  CATALOG_PUBLISH_TARGET: { exit: 2, area: 'publish', meaning: '--publish is not one of the publication forms' },
  CATALOG_PUBLISH_CONFLICT: {
    exit: 1,
    area: 'publish',
    meaning: 'another publisher wrote the publication since it was read',
  },
  CATALOG_PUBLISH_HTTP: {
    exit: 3,
    area: 'publish',
    meaning: 'the publication target answered an unexpected HTTP status',
  },
  CATALOG_PUBLISH_UNREACHABLE: { exit: 3, area: 'publish', meaning: 'the publication target cannot be reached' },
  CATALOG_PUBLISH_RATE_LIMITED: {
    exit: 3,
    area: 'publish',
    meaning: 'the publication target answered 429 or 503 after every retry',
  },
} as const satisfies Record<string, ErrorCatalogEntry>;
