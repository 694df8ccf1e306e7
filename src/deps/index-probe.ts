import { readFile } from 'node:fs/promises';
import { request } from '../transport/undici.js';
import { EnvironmentError } from '../errors/neurons-error.js';
import { createDispatcher } from '../transport/dispatcher.js';
import { stripCredentials } from './pip-report.js';
import type { PackageIndexSettings } from './types.js';

/** PEP 503 name of the project a requirement names (`charset_normalizer<4,>=2` -> `charset-normalizer`). */
export function projectOf(requirement: string): string {
  return (/^[A-Za-z0-9._-]+/.exec(requirement)?.[0] ?? requirement).toLowerCase().replace(/[-_.]+/g, '-');
}

/**
 * Asks each index for the project's page, as pip did. pip says "no matching distribution" alike when the index refused
 * the credentials or could not be reached (and hides why unless very verbose): those are the user's to fix, not a
 * reason to build in a container. Throws for them; returns when the index answered.
 */
export async function assertIndexAnswers(
  index: PackageIndexSettings | undefined,
  requirement: string,
  file: string,
): Promise<void> {
  const urls = index ? [index.url, ...(index.extraUrl ? [index.extraUrl] : [])] : [];
  const ca = index?.caFile ? [await readFile(index.caFile, 'utf8')] : [];
  for (const url of urls.filter((item) => /^https?:/.test(item))) {
    const page = new URL(`${projectOf(requirement)}/`, url.endsWith('/') ? url : `${url}/`);
    const shown = stripCredentials(page.toString());
    const authorization =
      index?.username !== undefined || index?.password !== undefined
        ? `Basic ${Buffer.from(`${index.username ?? ''}:${index.password ?? ''}`).toString('base64')}`
        : undefined;
    const dispatcher = createDispatcher({ ca, headersTimeoutMs: 30_000 });
    try {
      const response = await request(shown, { headers: authorization ? { authorization } : {}, dispatcher }).catch(
        (error: unknown) => {
          throw new EnvironmentError(
            {
              code: 'DEPS_INDEX_UNREACHABLE',
              file,
              message: `package index ${shown} cannot be reached: ${(error as Error).message}`,
              hint: 'check the index URL and, for a private CA, its CA file',
            },
            error,
          );
        },
      );
      await response.body.dump();
      if (response.statusCode === 401 || response.statusCode === 403) {
        throw new EnvironmentError({
          code: 'DEPS_INDEX_REFUSED',
          file,
          message: `package index ${shown} refused the credentials (HTTP ${response.statusCode})`,
          hint: 'check the package index user name and password',
        });
      }
    } finally {
      await dispatcher.close();
    }
  }
}
