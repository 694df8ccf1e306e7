import { statSync } from 'node:fs';
import path from 'node:path';
import { UsageError } from '../errors/neurons-error.js';
import { ociPrefix, parseOciTarget, type OciCoordinates } from '../publish/oci-artifact-target.js';

import { indexFileName } from '../publish/publication.js';

export const indexFile = indexFileName;

/**
 * Where the update reads from. `--catalog` names either
 * - an engine catalog (`.../analyzers.json`, any other `*.json`): that catalog alone; its folder's `index.json`
 *   is read only to verify it (`--key`);
 * - the index (`.../index.json`), or a folder or base URL holding it (anything not ending in `.json`): the
 *   catalogs the index lists, one per kind (see `chooseCatalogs`).
 */
export interface UpdateSource {
  /** Base URL (ending in `/`) or absolute folder the files are read from. */
  base: string;
  remote: boolean;
  /** The catalog file named by `--catalog`; undefined when the index decides. */
  catalog: string | undefined;
  /** The key of this source in the state: the URL or the absolute path, as resolved. */
  key: string;
  /** An OCI artifact (`oci://HOST/REPOSITORY:TAG`, as `--publish oci://...` writes it): the index decides. */
  oci?: OciCoordinates;
}

export function resolveSource(argument: string, cwd: string): UpdateSource {
  if (argument.startsWith(ociPrefix)) {
    const oci = parseOciTarget(argument, { option: '--catalog', code: 'UPDATE_SOURCE_INVALID' });
    return { base: argument, remote: true, catalog: undefined, key: argument, oci };
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(argument)) {
    let url: URL;
    try {
      url = new URL(argument);
    } catch {
      throw new UsageError({
        code: 'UPDATE_SOURCE_INVALID',
        message: `--catalog ${argument} is not a URL`,
        hint: 'give https://host/path/ (the folder holding index.json), .../index.json or .../analyzers.json',
      });
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:')
      throw new UsageError({
        code: 'UPDATE_SOURCE_INVALID',
        message: `--catalog ${argument}: only http(s) URLs and local paths are read`,
        hint: 'give an https:// URL or a file',
      });
    url.hash = '';
    const last = url.pathname.slice(url.pathname.lastIndexOf('/') + 1);
    if (last.endsWith('.json')) {
      const base = new URL('./', url).href;
      return { base, remote: true, catalog: last === indexFile ? undefined : decodeURIComponent(last), key: url.href };
    }
    if (!url.pathname.endsWith('/')) url.pathname = `${url.pathname}/`;
    return { base: url.href, remote: true, catalog: undefined, key: url.href };
  }
  const resolved = path.resolve(cwd, argument);
  let isDirectory: boolean;
  try {
    isDirectory = statSync(resolved).isDirectory();
  } catch {
    throw new UsageError({
      code: 'UPDATE_SOURCE_MISSING',
      file: resolved,
      message: `--catalog ${argument} does not exist`,
      hint: 'give the folder the pipeline published to, its index.json, or a catalog file',
    });
  }
  if (isDirectory) return { base: resolved, remote: false, catalog: undefined, key: resolved };
  const name = path.basename(resolved);
  return { base: path.dirname(resolved), remote: false, catalog: name === indexFile ? undefined : name, key: resolved };
}

/** `location` of a file of the source, for messages. */
export function describeFile(source: UpdateSource, file: string): string {
  if (source.oci) return `${source.key} (${file})`;
  return source.remote ? new URL(file, source.base).href : path.join(source.base, file);
}

/**
 * The catalogs of an index the update applies: per kind, the default catalog (`analyzers.json`: the major-version
 * tags the engine's own catalogs use), else the devel one (a devel-only publisher), else the stable one. Another
 * catalog of the index is applied by naming it: `--catalog https://host/analyzers-stable.json`.
 */
export function chooseCatalogs(listed: string[]): string[] {
  const chosen: string[] = [];
  for (const kind of ['analyzers', 'responders']) {
    const found = [`${kind}.json`, `${kind}-devel.json`, `${kind}-stable.json`].find((file) => listed.includes(file));
    if (found) chosen.push(found);
  }
  return chosen;
}
