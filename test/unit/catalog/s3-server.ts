import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface S3Server {
  /** `http://127.0.0.1:PORT`: the endpoint, addressed path-style (`/BUCKET/KEY`). */
  url: string;
  /** Objects of the bucket, by key. */
  objects: Map<string, { bytes: Buffer; contentType: string | undefined; cacheControl: string | undefined }>;
  /** Every request, as `METHOD key [if-match|if-none-match] -> status`. */
  log: string[];
  /** Every request's headers, to check that no secret was ever sent in the clear. */
  headers: IncomingMessage['headers'][];
  close(): Promise<void>;
}

/**
 * The part of the S3 protocol a publish target uses, on loopback: GetObject, HeadObject, PutObject (with `If-Match`
 * and `If-None-Match: *`, answering 412 `PreconditionFailed` as S3 has since 2024), DeleteObject, and S3's XML errors.
 * Written here rather than run as `s3rver` or MinIO: s3rver 3.7.1 (its latest) reads `If-None-Match` on GET only and
 * overwrites on every PUT, so the race this target guards against could not be lost; MinIO is a binary, not an npm
 * package. SigV4 signatures are not verified (signing is the
 * SDK's job, not ours): the access key id in `Authorization` must be the one given, which proves the credentials
 * configured are the ones used; `publicRead` lets unsigned GETs through, as a public-read bucket does. `hold` delays a request until the promise it returns settles (two publishers made to
 * overlap for certain).
 */
export async function startS3Server(options: {
  bucket: string;
  accessKeyId: string;
  publicRead?: boolean;
  hold?: (request: { method: string; key: string }) => Promise<void>;
}): Promise<S3Server> {
  const objects: S3Server['objects'] = new Map();
  const log: string[] = [];
  const headers: S3Server['headers'] = [];
  const etagOf = (bytes: Buffer): string => `"${createHash('md5').update(bytes).digest('hex')}"`;
  const answer = (response: ServerResponse, status: number, code?: string): void => {
    if (!code) return void response.writeHead(status).end();
    response
      .writeHead(status, { 'content-type': 'application/xml' })
      .end(`<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${code}</Message></Error>`);
  };
  const handle = (request: IncomingMessage, response: ServerResponse, body: Buffer): void => {
    const path = decodeURIComponent((request.url ?? '/').split('?')[0] ?? '/').slice(1);
    const [bucket = '', ...rest] = path.split('/');
    const key = rest.join('/');
    const method = request.method ?? '';
    const condition = request.headers['if-match']
      ? ' if-match'
      : request.headers['if-none-match']
        ? ' if-none-match'
        : '';
    const done = (status: number, code?: string): void => {
      log.push(`${method} ${key}${condition} -> ${status}`);
      answer(response, status, code);
    };
    // A public-read bucket (a bucket policy granting s3:GetObject to anyone) serves engines without signatures.
    const anonymousRead =
      options.publicRead === true &&
      request.headers.authorization === undefined &&
      (method === 'GET' || method === 'HEAD');
    if (
      !anonymousRead &&
      !String(request.headers.authorization ?? '').startsWith(`AWS4-HMAC-SHA256 Credential=${options.accessKeyId}/`)
    )
      return done(403, 'InvalidAccessKeyId');
    if (bucket !== options.bucket) return done(404, 'NoSuchBucket');
    const current = objects.get(key);
    if (method === 'GET' || method === 'HEAD') {
      if (!current) return done(404, method === 'GET' ? 'NoSuchKey' : undefined);
      log.push(`${method} ${key}${condition} -> 200`);
      const sent = {
        etag: etagOf(current.bytes),
        'content-length': String(current.bytes.length),
        'content-type': current.contentType ?? 'application/octet-stream',
      };
      return void response.writeHead(200, sent).end(method === 'GET' ? current.bytes : undefined);
    }
    if (method === 'DELETE') {
      objects.delete(key);
      return done(204);
    }
    if (method !== 'PUT') return done(405, 'MethodNotAllowed');
    const ifMatch = request.headers['if-match'];
    const ifNoneMatch = request.headers['if-none-match'];
    if ((ifMatch !== undefined && (!current || etagOf(current.bytes) !== ifMatch)) || (ifNoneMatch === '*' && current))
      return done(412, 'PreconditionFailed');
    objects.set(key, {
      bytes: body,
      contentType: request.headers['content-type'],
      cacheControl: request.headers['cache-control'],
    });
    log.push(`${method} ${key}${condition} -> 200`);
    response.writeHead(200, { etag: etagOf(body) }).end();
  };
  const server = createServer((request, response) => {
    headers.push(request.headers);
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const key = decodeURIComponent((request.url ?? '/').split('?')[0] ?? '/')
        .split('/')
        .slice(2)
        .join('/');
      const held = options.hold?.({ method: request.method ?? '', key }) ?? Promise.resolve();
      void held.then(() => handle(request, response, Buffer.concat(chunks)));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    objects,
    log,
    headers,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
