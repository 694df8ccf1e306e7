import { createHash } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { CatalogRecord } from '../../../src/catalog/assemble-catalogs.js';
import { buildIndex, serializeJson } from '../../../src/catalog/index-file.js';
import { makePublication, publicationFiles } from '../../../src/publish/publication.js';
import { signBytes } from '../../../src/catalog/signing.js';
import {
  createCertificateAuthority,
  issueServerCertificate,
  type KeyAndCertificate,
} from '../../../src/ca/certificates.js';
import { createWorkerId } from '../../../src/definitions/version.js';

/** A catalog entry as the pipeline writes it: a definition without `command`, with `dockerImage`. */
export function entry(
  name: string,
  version: string,
  image = `registry.example:5000/ns/${name.toLowerCase()}:${version.split('.')[0] ?? version}`,
): Record<string, unknown> {
  return {
    name,
    version,
    author: 'tests',
    url: 'https://example.org',
    license: 'AGPL-V3',
    description: `${name} for tests`,
    dataTypeList: ['domain'],
    baseConfig: name,
    dockerImage: image,
  };
}

export const digestOf = (name: string, version: string): string =>
  `sha256:${createHash('sha256').update(`${name}@${version}`).digest('hex')}`;

/** The files a publisher writes: catalogs (by name and by hash), the index, its signature with `privateKeyPem` (when given). */
export function publication(options: {
  analyzers: Array<Record<string, unknown>>;
  responders?: Array<Record<string, unknown>>;
  serial: number;
  now?: Date;
  expiresInDays?: number;
  privateKeyPem?: string;
  alterIndex?: (index: Record<string, unknown>) => void;
}): Map<string, Buffer> {
  const catalogs = new Map<string, Array<Record<string, unknown>>>([
    ['analyzers.json', options.analyzers],
    ['responders.json', options.responders ?? []],
  ]);
  const files = new Map([...catalogs].map(([file, entries]) => [file, serializeJson(entries)] as const));
  const records: CatalogRecord[] = [...catalogs].flatMap(([file, entries]) =>
    entries.map((item) => {
      const name = String(item['name']);
      const version = String(item['version']);
      const image = String(item['dockerImage']);
      return {
        catalog: file,
        id: createWorkerId(name, version),
        kind: file.startsWith('responders') ? 'responder' : 'analyzer',
        name,
        version,
        image,
        digest: digestOf(name, version),
        verified: true,
        kept: false,
        workerPath: undefined,
      } as const;
    }),
  );
  const index = buildIndex({
    serial: options.serial,
    signed: options.privateKeyPem !== undefined,
    now: options.now ?? new Date(),
    expiresInDays: options.expiresInDays ?? 30,
    registry: 'registry.example:5000/ns',
    files,
    entryCounts: new Map([...catalogs].map(([file, entries]) => [file, entries.length])),
    records,
    buildInputDigests: new Map(),
    revisions: new Map(),
    previous: [],
  });
  const { privateKeyPem } = options;
  // A publisher other than neurons may write what neurons never does (an index without expiry, say): signed all the same.
  const written = { ...index } as Record<string, unknown>;
  options.alterIndex?.(written);
  return publicationFiles(
    makePublication({
      index: serializeJson(written),
      catalogs: files,
      sign: privateKeyPem === undefined ? undefined : (bytes) => signBytes(bytes, privateKeyPem, 'test'),
    }),
  );
}

export interface CatalogServer {
  url: string;
  caFile: string;
  /** The files served, by path without the leading `/`; change them to publish. */
  files: Map<string, Buffer>;
  /** Serves exactly `files` from now on (what was served before is gone). */
  publish(files: Map<string, Buffer>): void;
  /** Every request: method, path and whether it was answered 304. */
  requests: Array<{ path: string; status: number }>;
  close(): Promise<void>;
}

/**
 * A static HTTPS server on loopback with a certificate from a private CA (its own, or `ca`); it honours
 * If-None-Match like a CDN.
 */
export async function startCatalogServer(options: { ca?: KeyAndCertificate } = {}): Promise<CatalogServer> {
  const ca = options.ca ?? createCertificateAuthority({ commonName: 'neurons update tests', days: 1 });
  const leaf = issueServerCertificate(ca, { hosts: ['localhost'], ips: ['127.0.0.1'], days: 1 });
  const directory = await mkdtemp(path.join(tmpdir(), 'neurons-update-ca-'));
  const caFile = path.join(directory, 'ca.pem');
  await writeFile(caFile, ca.certificatePem);
  const files = new Map<string, Buffer>();
  const requests: Array<{ path: string; status: number }> = [];
  const server = createServer({ cert: leaf.certificatePem, key: leaf.keyPem }, (request, response) => {
    const name = decodeURIComponent((request.url ?? '/').split('?')[0] ?? '/').slice(1);
    // `moved/FILE` answers 302 to `/FILE`, as GitHub's release downloads do to their storage; `insecure/FILE` to http.
    if (name.startsWith('moved/') || name.startsWith('insecure/')) {
      requests.push({ path: name, status: 302 });
      const target = name.startsWith('moved/')
        ? `/${name.slice('moved/'.length)}`
        : `http://127.0.0.1:9/${name.slice('insecure/'.length)}`;
      return void response.writeHead(302, { location: target }).end();
    }
    const body = files.get(name);
    const etag = body ? `"${createHash('sha256').update(body).digest('hex').slice(0, 20)}"` : undefined;
    const status = !body ? 404 : request.headers['if-none-match'] === etag ? 304 : 200;
    requests.push({ path: name, status });
    if (status === 200 && body && etag) response.writeHead(200, { etag, 'content-type': 'application/json' }).end(body);
    else response.writeHead(status, etag ? { etag } : {}).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://127.0.0.1:${port}/`,
    caFile,
    files,
    requests,
    publish(published) {
      files.clear();
      for (const [file, bytes] of published) files.set(file, bytes);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The name under which a publication keeps `file` for readers that verify: the content-addressed copy. */
export function storedName(files: Map<string, Buffer>, file: string): string {
  const index = JSON.parse((files.get('index.json') ?? Buffer.from('{}')).toString('utf8')) as {
    catalogs?: Record<string, { sha256: string }>;
  };
  const sha256 = index.catalogs?.[file]?.sha256;
  return sha256 ? `catalog-${sha256}.json` : file;
}
