import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll } from 'vitest';
import { RegistryClient } from '../../../src/registry/client.js';

// A small local server speaking the distribution API (manifests and blobs, anonymous), for the shapes the
// environment's registry is never given: manifest lists, OCI indexes, tampered content. It takes writes too (blob
// uploads in one PUT, manifest PUTs), for code that writes manifests. The real TLS registry is covered by the
// integration tests.

export const sha256 = (bytes: Buffer | string): string => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

export const mediaTypes = {
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
};

export interface MemoryRegistry {
  host: string;
  /** Stores a blob; `served` replaces the bytes sent for it (a tampered blob). Returns its descriptor. */
  blob(
    bytes: Buffer | string,
    mediaType: string,
    served?: Buffer | string,
  ): { mediaType: string; digest: string; size: number };
  /** Stores a manifest under its digest and the tags given; `digestHeader` replaces the one the server states. */
  manifest(
    repository: string,
    body: object,
    tags: string[],
    options?: { digestHeader?: string },
  ): { mediaType: string; digest: string; size: number };
  /** Requests served, by kind. */
  counts: { manifests: number; blobs: number };
  close(): Promise<void>;
}

/** An image whose configuration carries `labels` (for `os/architecture`), stored under `tags`. */
export function storeImage(
  registry: MemoryRegistry,
  repository: string,
  labels: Record<string, string> | null,
  tags: string[],
  options: { oci?: boolean; platform?: string } = {},
) {
  const [os = 'linux', architecture = 'amd64'] = (options.platform ?? 'linux/amd64').split('/');
  const config = registry.blob(
    JSON.stringify({ architecture, os, config: { Labels: labels } }),
    options.oci ? mediaTypes.ociConfig : mediaTypes.dockerConfig,
  );
  const layer = registry.blob('layer', 'application/vnd.oci.image.layer.v1.tar+gzip');
  return registry.manifest(
    repository,
    {
      schemaVersion: 2,
      mediaType: options.oci ? mediaTypes.ociManifest : mediaTypes.dockerManifest,
      config,
      layers: [layer],
    },
    tags,
  );
}

export async function startMemoryRegistry(): Promise<MemoryRegistry> {
  const blobs = new Map<string, Buffer>();
  const manifests = new Map<string, { bytes: Buffer; mediaType: string; digestHeader: string }>();
  const counts = { manifests: 0, blobs: 0 };
  const server: Server = createServer(async (request, response) => {
    const url = new URL(request.url ?? '/', 'http://registry');
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const manifest = /^\/v2\/(.+)\/manifests\/([^/]+)$/.exec(url.pathname);
    if (manifest && request.method === 'PUT') {
      const stored = {
        bytes: body,
        mediaType: String(request.headers['content-type'] ?? ''),
        digestHeader: sha256(body),
      };
      for (const reference of [stored.digestHeader, decodeURIComponent(manifest[2] ?? '')])
        manifests.set(`${manifest[1]}:${reference}`, stored);
      return void response.writeHead(201, { 'docker-content-digest': stored.digestHeader }).end();
    }
    if (/^\/v2\/.+\/blobs\/uploads\/$/.test(url.pathname) && request.method === 'POST') {
      return void response.writeHead(202, { location: `${url.pathname}session` }).end();
    }
    if (/^\/v2\/.+\/blobs\/uploads\/session$/.test(url.pathname) && request.method === 'PUT') {
      const digest = url.searchParams.get('digest') ?? '';
      if (sha256(body) !== digest) return void response.writeHead(400).end('{"errors":[{"code":"DIGEST_INVALID"}]}');
      blobs.set(digest, body);
      return void response.writeHead(201).end();
    }
    if (manifest) {
      counts.manifests += 1;
      const found = manifests.get(`${manifest[1]}:${decodeURIComponent(manifest[2] ?? '')}`);
      if (!found)
        return void response
          .writeHead(404, { 'content-type': 'application/json' })
          .end('{"errors":[{"code":"MANIFEST_UNKNOWN"}]}');
      response.writeHead(200, {
        'content-type': found.mediaType,
        'docker-content-digest': found.digestHeader,
        'content-length': String(found.bytes.length),
      });
      return void response.end(request.method === 'HEAD' ? undefined : found.bytes);
    }
    const blob = /^\/v2\/.+\/blobs\/([^/]+)$/.exec(url.pathname);
    if (blob) {
      counts.blobs += 1;
      const bytes = blobs.get(decodeURIComponent(blob[1] ?? ''));
      if (!bytes) return void response.writeHead(404).end();
      return void response.writeHead(200, { 'content-type': 'application/octet-stream' }).end(bytes);
    }
    response.writeHead(url.pathname === '/v2/' ? 200 : 404).end('{}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    host: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    counts,
    blob(bytes, mediaType, served) {
      const digest = sha256(bytes);
      blobs.set(digest, Buffer.from(served ?? bytes));
      return { mediaType, digest, size: Buffer.byteLength(bytes) };
    },
    manifest(repository, body, tags, options = {}) {
      const bytes = Buffer.from(JSON.stringify(body));
      const digest = sha256(bytes);
      const mediaType = String((body as { mediaType?: string }).mediaType ?? mediaTypes.dockerManifest);
      const stored = { bytes, mediaType, digestHeader: options.digestHeader ?? digest };
      for (const reference of [digest, ...tags]) manifests.set(`${repository}:${reference}`, stored);
      return { mediaType, digest, size: bytes.length };
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * A memory registry and an anonymous plain-HTTP client of it, for the tests of one `describe`: started before them,
 * closed after. Read them inside the tests (`fixture.registry`), once `beforeAll` has run.
 */
export function useMemoryRegistry(): { registry: MemoryRegistry; client: RegistryClient } {
  const fixture = {} as { registry: MemoryRegistry; client: RegistryClient };
  beforeAll(async () => {
    fixture.registry = await startMemoryRegistry();
    fixture.client = new RegistryClient({ host: fixture.registry.host, plainHttp: true });
  });
  afterAll(async () => {
    await fixture.client.close();
    await fixture.registry.close();
  });
  return fixture;
}
