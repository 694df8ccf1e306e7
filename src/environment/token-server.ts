import { createHash, createPublicKey, randomUUID, sign, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import path from 'node:path';
import { parseScope } from '../registry/scope.js';

export interface TokenServiceOptions {
  host: string;
  port: number;
  /** TLS certificate and key of the service itself. */
  certificatePem: string;
  keyPem: string;
  /** The key tokens are signed with (RSA, PEM); the registry trusts its certificate (`rootcertbundle`). */
  signingKeyPem: string;
  /** The registry's `auth.token.issuer` and `auth.token.service`. */
  issuer: string;
  service: string;
  username: string;
  password: string;
  /** Token lifetime in seconds. */
  lifetime: number;
}

/**
 * The key id distribution looks a token's `kid` up with (libtrust): the first 240 bits of the SHA-256 of the
 * public key's DER encoding, base32, in groups of four joined by colons.
 */
export function libtrustKeyId(publicKeyPem: string): string {
  const der = createPublicKey(publicKeyPem).export({ type: 'spki', format: 'der' });
  const encoded = base32(createHash('sha256').update(der).digest().subarray(0, 30));
  return encoded.match(/.{4}/g)?.join(':') ?? encoded;
}

function base32(bytes: Buffer): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0;
  let value = 0;
  let output = '';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      output += alphabet[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) output += alphabet[(value << (5 - bits)) & 31];
  return output;
}

const base64url = (value: string | Buffer): string => Buffer.from(value).toString('base64url');

/** A registry token (JWT, RS256) granting the scopes asked for, as distribution's token authentication reads it. */
export function issueToken(
  options: Pick<TokenServiceOptions, 'signingKeyPem' | 'issuer' | 'service' | 'lifetime'>,
  subject: string,
  scopes: string[],
  now = new Date(),
): string {
  const issuedAt = Math.floor(now.getTime() / 1000);
  const header = {
    typ: 'JWT',
    alg: 'RS256',
    kid: libtrustKeyId(createPublicKey(options.signingKeyPem).export({ type: 'spki', format: 'pem' }).toString()),
  };
  const claims = {
    iss: options.issuer,
    sub: subject,
    aud: options.service,
    exp: issuedAt + options.lifetime,
    nbf: issuedAt - 10,
    iat: issuedAt,
    jti: randomUUID(),
    access: scopes.flatMap((scope) => parseScope(scope) ?? []),
  };
  const signed = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`;
  return `${signed}.${base64url(sign('RSA-SHA256', Buffer.from(signed), options.signingKeyPem))}`;
}

/**
 * The token service of the environment's registry, as Docker Hub, GHCR or Harbor run one: basic credentials are
 * checked once per token, and the registry then verifies a signature per request instead of a password hash.
 */
export function startTokenService(options: TokenServiceOptions): Promise<Server> {
  const expected = Buffer.from(`Basic ${Buffer.from(`${options.username}:${options.password}`).toString('base64')}`);
  const server = createServer({ cert: options.certificatePem, key: options.keyPem }, (request, response) => {
    const url = new URL(request.url ?? '/', 'https://token');
    if (url.pathname !== '/token' || (request.method !== 'GET' && request.method !== 'HEAD')) {
      response.writeHead(404, { 'content-type': 'application/json' }).end('{"errors":[{"code":"NOT_FOUND"}]}\n');
      return;
    }
    const given = Buffer.from(request.headers.authorization ?? '');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      response
        .writeHead(401, { 'content-type': 'application/json', 'www-authenticate': 'Basic realm="neurons-token"' })
        .end('{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}\n');
      return;
    }
    if (url.searchParams.get('service') !== options.service && url.searchParams.has('service')) {
      response
        .writeHead(400, { 'content-type': 'application/json' })
        .end('{"errors":[{"code":"DENIED","message":"unknown service"}]}\n');
      return;
    }
    const now = new Date();
    const token = issueToken(options, options.username, url.searchParams.getAll('scope'), now);
    response
      .writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' })
      .end(
        `${JSON.stringify({ token, access_token: token, expires_in: options.lifetime, issued_at: now.toISOString() })}\n`,
      );
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve(server));
  });
}

// Run as a service: `node token-server.js <config.json>` (started by `neurons env up`).
if (process.argv[1] && import.meta.url.endsWith(path.basename(process.argv[1])) && process.argv[2]) {
  const config = JSON.parse(readFileSync(process.argv[2], 'utf8')) as Omit<
    TokenServiceOptions,
    'certificatePem' | 'keyPem' | 'signingKeyPem'
  > & {
    certificateFile: string;
    keyFile: string;
    signingKeyFile: string;
  };
  await startTokenService({
    ...config,
    certificatePem: readFileSync(config.certificateFile, 'utf8'),
    keyPem: readFileSync(config.keyFile, 'utf8'),
    signingKeyPem: readFileSync(config.signingKeyFile, 'utf8'),
  });
  process.stdout.write(`token service listening on https://${config.host}:${config.port}/token\n`);
}
