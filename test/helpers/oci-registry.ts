import { createHash, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

// A small registry speaking the distribution API on 127.0.0.1, for the write side: content-addressed blobs held per
// repository (so a cross-repository mount succeeds only from a repository that has the blob), uploads (POST, then
// PUT with the digest, checked), mounts, and manifests by tag or digest, refused when they name a blob or manifest the
// repository lacks, as distribution refuses them. With `token: true`, a token service grants exactly the scopes
// asked for and every request must hold the access it needs (pull to read, push to write, pull on a mount's source).

const sha256 = (bytes: Buffer | string): string => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

export interface OciRegistry {
  host: string;
  /** Every request served past authorization, as `METHOD /path?query`; token requests as `TOKEN scope | scope...`. */
  log: string[];
  /** Stores a blob in a repository; returns its descriptor. */
  seedBlob(
    repository: string,
    bytes: Buffer | string,
    mediaType: string,
  ): { mediaType: string; digest: string; size: number };
  /** Stores a manifest (JSON of `body`) under its digest and `tags`; its blobs must be there. */
  seedManifest(repository: string, body: object, tags: string[]): { mediaType: string; digest: string; size: number };
  hasBlob(repository: string, digest: string): boolean;
  manifest(repository: string, reference: string): { bytes: Buffer; mediaType: string } | undefined;
  close(): Promise<void>;
}

interface Manifest {
  bytes: Buffer;
  mediaType: string;
}

const readBody = (request: IncomingMessage): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
  });

const errorBody = (code: string, message = code): string => JSON.stringify({ errors: [{ code, message }] });

export async function startOciRegistry(options: { token?: boolean } = {}): Promise<OciRegistry> {
  const blobs = new Map<string, Buffer>();
  const repositoryBlobs = new Map<string, Set<string>>();
  const manifests = new Map<string, Manifest>();
  const references = new Map<string, Map<string, string>>();
  const sessions = new Map<string, string>();
  const grants = new Map<string, Set<string>>();
  const log: string[] = [];
  let origin = '';

  const blobsOf = (repository: string): Set<string> =>
    repositoryBlobs.get(repository) ?? repositoryBlobs.set(repository, new Set()).get(repository)!;
  const referencesOf = (repository: string): Map<string, string> =>
    references.get(repository) ?? references.set(repository, new Map()).get(repository)!;
  const lookup = (repository: string, reference: string): Manifest | undefined => {
    const digest = referencesOf(repository).get(reference);
    return digest === undefined ? undefined : manifests.get(digest);
  };

  /** What a manifest names that the repository lacks: distribution refuses such a manifest. */
  function missingReferences(repository: string, body: Record<string, unknown>): string[] {
    const descriptors = (value: unknown): Array<{ digest: string }> =>
      Array.isArray(value) ? (value as Array<{ digest: string }>) : [];
    if (Array.isArray(body['manifests']))
      return descriptors(body['manifests'])
        .map((entry) => entry.digest)
        .filter((digest) => !referencesOf(repository).has(digest));
    const config = body['config'] as { digest?: string } | undefined;
    return [config?.digest ?? 'no config', ...descriptors(body['layers']).map((layer) => layer.digest)].filter(
      (digest) => !blobsOf(repository).has(digest),
    );
  }

  function storeManifest(
    repository: string,
    reference: string,
    bytes: Buffer,
    mediaType: string,
  ): { digest: string } | { error: string } {
    const digest = sha256(bytes);
    if (reference.startsWith('sha256:') && reference !== digest) return { error: 'DIGEST_INVALID' };
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(bytes.toString('utf8')) as Record<string, unknown>;
    } catch {
      return { error: 'MANIFEST_INVALID' };
    }
    if (missingReferences(repository, body).length > 0) return { error: 'MANIFEST_BLOB_UNKNOWN' };
    manifests.set(digest, { bytes, mediaType });
    referencesOf(repository).set(digest, digest).set(reference, digest);
    return { digest };
  }

  function authorized(request: IncomingMessage, needs: string[]): boolean {
    if (!options.token) return true;
    const held = grants.get((request.headers.authorization ?? '').replace(/^Bearer /, ''));
    return held !== undefined && needs.every((need) => held.has(need));
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', origin);
    const method = request.method ?? 'GET';
    const body = await readBody(request);
    if (url.pathname === '/token') {
      const scopes = url.searchParams.getAll('scope');
      log.push(`TOKEN ${scopes.join(' | ')}`);
      const token = randomUUID();
      // `repository:a/b:pull,push` grants `a/b:pull` and `a/b:push`.
      grants.set(
        token,
        new Set(
          scopes.flatMap((scope) => {
            const [, name = '', actions = ''] = /^repository:(.+):([a-z,*]+)$/.exec(scope) ?? [];
            return actions.split(',').map((action) => `${name}:${action}`);
          }),
        ),
      );
      return void response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token }));
    }
    if (url.pathname === '/v2/')
      return void response.writeHead(authorized(request, []) || !options.token ? 200 : 401, challenge('')).end('{}');
    const route = /^\/v2\/(.+)\/(manifests|blobs|blobs\/uploads)\/([^/]*)$/.exec(url.pathname);
    if (!route) return void response.writeHead(404).end(errorBody('NAME_UNKNOWN'));
    const [, repository = '', kind = '', rawReference = ''] = route;
    const reference = decodeURIComponent(rawReference);
    const write = method !== 'GET' && method !== 'HEAD';
    const from = url.searchParams.get('from');
    const needs = [`${repository}:pull`, ...(write ? [`${repository}:push`] : []), ...(from ? [`${from}:pull`] : [])];
    if (!authorized(request, needs))
      return void response
        .writeHead(401, challenge(`repository:${repository}:${write ? 'pull,push' : 'pull'}`))
        .end(errorBody('UNAUTHORIZED'));
    log.push(`${method} ${url.pathname}${url.search}`);

    if (kind === 'manifests') {
      if (method === 'PUT') {
        const stored = storeManifest(repository, reference, body, String(request.headers['content-type'] ?? ''));
        if ('error' in stored)
          return void response.writeHead(400, { 'content-type': 'application/json' }).end(errorBody(stored.error));
        return void response
          .writeHead(201, {
            'docker-content-digest': stored.digest,
            location: `/v2/${repository}/manifests/${stored.digest}`,
          })
          .end();
      }
      const found = lookup(repository, reference);
      if (!found)
        return void response.writeHead(404, { 'content-type': 'application/json' }).end(errorBody('MANIFEST_UNKNOWN'));
      response.writeHead(200, {
        'content-type': found.mediaType,
        'docker-content-digest': sha256(found.bytes),
        'content-length': String(found.bytes.length),
      });
      return void response.end(method === 'HEAD' ? undefined : found.bytes);
    }
    if (kind === 'blobs') {
      const found = blobsOf(repository).has(reference) ? blobs.get(reference) : undefined;
      if (!found) return void response.writeHead(404).end(method === 'HEAD' ? undefined : errorBody('BLOB_UNKNOWN'));
      response.writeHead(200, {
        'content-type': 'application/octet-stream',
        'docker-content-digest': reference,
        'content-length': String(found.length),
      });
      return void response.end(method === 'HEAD' ? undefined : found);
    }
    // Uploads: POST opens a session (or mounts), PUT ends one with all the bytes, DELETE cancels one.
    if (method === 'POST' && reference === '') {
      const mount = url.searchParams.get('mount');
      if (mount && from && blobsOf(from).has(mount)) {
        blobsOf(repository).add(mount);
        return void response
          .writeHead(201, { 'docker-content-digest': mount, location: `/v2/${repository}/blobs/${mount}` })
          .end();
      }
      const id = randomUUID();
      sessions.set(id, repository);
      return void response
        .writeHead(202, { location: `/v2/${repository}/blobs/uploads/${id}`, 'docker-upload-uuid': id, range: '0-0' })
        .end();
    }
    if (sessions.get(reference) !== repository)
      return void response.writeHead(404).end(errorBody('BLOB_UPLOAD_UNKNOWN'));
    sessions.delete(reference);
    if (method === 'DELETE') return void response.writeHead(204).end();
    const digest = url.searchParams.get('digest') ?? '';
    if (method !== 'PUT' || sha256(body) !== digest)
      return void response.writeHead(400).end(errorBody('DIGEST_INVALID'));
    blobs.set(digest, body);
    blobsOf(repository).add(digest);
    return void response
      .writeHead(201, { 'docker-content-digest': digest, location: `/v2/${repository}/blobs/${digest}` })
      .end();
  }

  const challenge = (scope: string): Record<string, string> =>
    options.token
      ? {
          'www-authenticate': `Bearer realm="${origin}/token",service="oci-registry"${scope ? `,scope="${scope}"` : ''}`,
        }
      : {};

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => response.writeHead(500).end(String(error)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  origin = `http://${host}`;
  return {
    host,
    log,
    seedBlob(repository, bytes, mediaType) {
      const buffer = Buffer.from(bytes);
      const digest = sha256(buffer);
      blobs.set(digest, buffer);
      blobsOf(repository).add(digest);
      return { mediaType, digest, size: buffer.length };
    },
    seedManifest(repository, body, tags) {
      const bytes = Buffer.from(JSON.stringify(body));
      const mediaType = String((body as { mediaType?: string }).mediaType ?? '');
      let digest = '';
      for (const tag of ['', ...tags]) {
        const stored = storeManifest(repository, tag || sha256(bytes), bytes, mediaType);
        if ('error' in stored) throw new Error(`seedManifest: ${stored.error}`);
        digest = stored.digest;
      }
      return { mediaType, digest, size: bytes.length };
    },
    hasBlob: (repository, digest) => blobsOf(repository).has(digest),
    manifest: (repository, reference) => lookup(repository, reference),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
