import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { digestOf, pushBlob } from '../../src/registry/artifact.js';
import { RegistryClient } from '../../src/registry/client.js';

// A registry (basic auth) that hands blob uploads to a second server, as registries backed by object storage do:
// the upload must reach it with the digest and without the registry's credentials.
interface Seen {
  method: string;
  url: string;
  authorization: string | undefined;
  body: string;
}
const registrySeen: Seen[] = [];
const storageSeen: Seen[] = [];
const blobs = new Set<string>();

function record(request: IncomingMessage, into: Seen[]): Promise<Seen> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const seen = {
        method: request.method ?? '',
        url: request.url ?? '',
        authorization: request.headers.authorization,
        body: Buffer.concat(chunks).toString(),
      };
      into.push(seen);
      resolve(seen);
    });
  });
}

const listen = async (server: Server): Promise<string> => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `127.0.0.1:${(server.address() as AddressInfo).port}`;
};

describe('registry artifacts', () => {
  let registryHost = '';
  let storageHost = '';
  const storage = createServer(async (request, response) => {
    const seen = await record(request, storageSeen);
    blobs.add(new URL(seen.url, 'http://x').searchParams.get('digest') ?? '');
    response.writeHead(201).end();
  });
  const registry = createServer(async (request, response) => {
    const seen = await record(request, registrySeen);
    if (seen.authorization !== `Basic ${Buffer.from('u:p').toString('base64')}`)
      return void response.writeHead(401, { 'www-authenticate': 'Basic realm="r"' }).end();
    const digest = /blobs\/(sha256:[0-9a-f]+)$/.exec(seen.url)?.[1];
    if (seen.method === 'HEAD' && digest) return void response.writeHead(blobs.has(digest) ? 200 : 404).end();
    if (seen.method === 'POST')
      return void response.writeHead(202, { location: `http://${storageHost}/upload/abc?state=1` }).end();
    response.writeHead(404).end();
  });
  beforeAll(async () => {
    registryHost = await listen(registry);
    storageHost = await listen(storage);
  });
  afterAll(() => {
    registry.close();
    storage.close();
  });

  it('uploads a blob once, to the location given, without credentials on another host', async () => {
    const client = new RegistryClient({
      host: registryHost,
      plainHttp: true,
      credentials: { username: 'u', password: 'p' },
    });
    const bytes = Buffer.from('[{"name":"A"}]\n');
    const descriptor = await pushBlob(client, 'ns/catalog', bytes, 'application/json', {
      'org.opencontainers.image.title': 'analyzers.json',
    });
    expect(descriptor).toEqual({
      mediaType: 'application/json',
      digest: digestOf(bytes),
      size: bytes.length,
      annotations: { 'org.opencontainers.image.title': 'analyzers.json' },
    });
    expect(storageSeen).toHaveLength(1);
    expect(storageSeen[0]).toMatchObject({ method: 'PUT', authorization: undefined, body: bytes.toString() });
    expect(new URL(storageSeen[0]?.url ?? '', 'http://x').searchParams.get('state')).toBe('1');
    // The second time, the registry has it: a HEAD and no upload.
    await pushBlob(client, 'ns/catalog', bytes, 'application/json');
    expect(storageSeen).toHaveLength(1);
    expect(registrySeen.filter((seen) => seen.method === 'POST')).toHaveLength(1);
    await client.close();
  });
});
