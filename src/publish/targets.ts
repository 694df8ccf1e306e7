import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Agent, request, type Dispatcher } from 'undici';
import type { ResolvedRegistry } from '../config/load-config.js';
import { EnvironmentError } from '../errors/neurons-error.js';
import { ociArtifactTarget, ociPrefix } from './oci-artifact-target.js';
import { publishConflict } from './conflict.js';
import { githubReleasePrefix, githubReleaseTarget } from './github-release-target.js';

/** Where catalogs are published: a folder, an HTTP(S) server that takes PUT, or the assets of a GitHub release. */
export interface PublishTarget {
  readonly description: string;
  /** Where a reader finds `file` once published: a path, a URL, or the artifact and the file's title. */
  locate(file: string): string;
  /** The file as last published, or undefined. */
  read(file: string): Promise<Buffer | undefined>;
  /** Writes all files, index last; a failure leaves what was published before readable. */
  write(files: Map<string, Buffer>): Promise<void>;
  close(): Promise<void>;
}

/** A local folder: each file written aside then renamed into place, so no reader ever sees half a file. */
export function folderTarget(directory: string): PublishTarget {
  return {
    description: directory,
    locate: (file) => path.join(directory, file),
    async read(file) {
      try {
        return await readFile(path.join(directory, file));
      } catch {
        return undefined;
      }
    },
    async write(files) {
      await mkdir(directory, { recursive: true });
      for (const [file, bytes] of files) await writeFile(path.join(directory, `.${file}.tmp`), bytes);
      for (const file of files.keys()) await rename(path.join(directory, `.${file}.tmp`), path.join(directory, file));
    },
    async close() {},
  };
}

/**
 * An HTTP(S) server taking PUT. Every PUT carries `If-Match` with the ETag read before (or `If-None-Match: *` for a
 * new file): two publishers cannot silently overwrite each other; the second gets 412 and a coded error.
 */
export function httpTarget(baseUrl: string, options: { ca: string[]; authorization: string | undefined }): PublishTarget {
  const base = baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`;
  const dispatcher: Dispatcher = new Agent({ connect: options.ca.length > 0 ? { ca: options.ca } : {} });
  const etags = new Map<string, string | undefined>();
  const headers = (): Record<string, string> => (options.authorization ? { authorization: options.authorization } : {});
  const call = async (method: 'GET' | 'PUT', file: string, extra: Record<string, string>, body?: Buffer) => {
    try {
      return await request(new URL(file, base), { method, headers: { ...headers(), ...extra }, dispatcher, ...(body ? { body } : {}) });
    } catch (error) {
      throw new EnvironmentError({ code: 'CATALOG_PUBLISH_UNREACHABLE', message: `cannot reach ${base}: ${(error as Error).message}`, hint: 'check the publish URL and its CA' }, error);
    }
  };
  return {
    description: base,
    locate: (file) => new URL(file, base).href,
    async read(file) {
      const response = await call('GET', file, {});
      if (response.statusCode === 404) {
        await response.body.dump();
        etags.set(file, undefined);
        return undefined;
      }
      if (response.statusCode !== 200) {
        await response.body.dump();
        throw new EnvironmentError({ code: 'CATALOG_PUBLISH_HTTP', message: `GET ${base}${file} answered ${response.statusCode}`, hint: 'check the publish URL and credentials' });
      }
      etags.set(file, typeof response.headers['etag'] === 'string' ? response.headers['etag'] : undefined);
      return Buffer.from(await response.body.arrayBuffer());
    },
    async write(files) {
      // Before anything is replaced, every file read earlier in the run (the index first of all) must still be the
      // version read: a publisher that wrote since is caught here, not halfway through the files.
      for (const [file, seen] of etags) {
        const response = await call('GET', file, seen ? { 'if-none-match': seen } : {});
        await response.body.dump();
        const now = typeof response.headers['etag'] === 'string' ? response.headers['etag'] : undefined;
        const unchanged = seen ? response.statusCode === 304 || (response.statusCode === 200 && now === seen) : response.statusCode === 404;
        if (!unchanged) throw publishConflict(`${base}${file}`);
      }
      for (const [file, bytes] of files) {
        if (!etags.has(file)) await this.read(file);
        const etag = etags.get(file);
        const response = await call('PUT', file, { 'content-type': file.endsWith('.html') ? 'text/html' : 'application/json', ...(etag ? { 'if-match': etag } : { 'if-none-match': '*' }) }, bytes);
        await response.body.dump();
        if (response.statusCode === 412) throw publishConflict(`${base}${file}`);
        if (response.statusCode < 200 || response.statusCode >= 300) {
          throw new EnvironmentError({ code: 'CATALOG_PUBLISH_HTTP', message: `PUT ${base}${file} answered ${response.statusCode}`, hint: 'check the publish URL and credentials' });
        }
        etags.set(file, typeof response.headers['etag'] === 'string' ? response.headers['etag'] : undefined);
      }
    },
    async close() {
      await dispatcher.close();
    },
  };
}

/**
 * `caPems` and `env` are for GitHub: the trusted CAs, GITHUB_TOKEN and GITHUB_API_URL, as for pull request
 * detection; `registries` for OCI artifacts: a configured registry's credentials and CA are used for it.
 */
export function publishTarget(target: string, options: { ca: string[]; authorization: string | undefined; caPems: string[]; env: NodeJS.ProcessEnv; registries: ResolvedRegistry[] }): PublishTarget {
  if (target.startsWith(githubReleasePrefix)) return githubReleaseTarget(target, options);
  if (target.startsWith(ociPrefix)) return ociArtifactTarget(target, options);
  return /^https?:\/\//.test(target) ? httpTarget(target, options) : folderTarget(path.resolve(target));
}
