import { createHash } from 'node:crypto';
import { EnvironmentError } from '../errors/neurons-error.js';
import { HttpTransport, TransportError, type HttpMethod, type RetryEvent } from '../transport/http-transport.js';
import { rateLimitStatuses, retryAfterMs } from '../transport/retry-policy.js';
import { describeTlsFailure, isTlsFailure, peerCertificate } from '../trust/trust-store.js';
import { registerSecret } from '../util/mask.js';
import { manifestMediaTypes, parseManifest, runnableManifests, type ParsedManifest } from './manifest.js';

export { manifestMediaTypes } from './manifest.js';

export interface RegistryCredentials {
  username: string;
  password: string;
}

export interface RegistryEndpoint {
  /** `host[:port]` as in image references, e.g. `127.0.0.1:5443` or `docker.io`. */
  host: string;
  /** Extra CA certificates (PEM) trusted for this registry, on top of the system store. */
  ca?: string[];
  credentials?: RegistryCredentials;
  /** Plain HTTP (only for registries on loopback that serve no TLS). */
  plainHttp?: boolean;
  /** Skip TLS verification: the only way to, set explicitly per registry and logged loudly by the caller. */
  insecure?: boolean;
  /** A client certificate and key (PEM), for registries that require mutual TLS. */
  clientCertificate?: { cert: string; key: string };
  /** Told of every retry (a transient failure and the wait before the next attempt), for the run's log. */
  onRetry?: (event: RetryEvent) => void;
}

export interface ManifestInfo {
  digest: string;
  mediaType: string;
  size: number;
}

export interface ImageConfig {
  config?: { Labels?: Record<string, string> | null; Entrypoint?: string[] | null; Env?: string[] | null };
  architecture?: string;
  os?: string;
}

/** Docker Hub's image references say `docker.io`; its API lives elsewhere. */
export function apiHost(host: string): string {
  return host === 'docker.io' || host === 'index.docker.io' ? 'registry-1.docker.io' : host;
}

/** The OCI digest (`sha256:...`) of some bytes. */
export const digestOf = (bytes: Buffer): string => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

export type { HttpMethod } from '../transport/http-transport.js';

export interface RegistryResponse {
  statusCode: number;
  headers: Record<string, string | string[] | undefined>;
  /** The body as text (empty for HEAD), and as bytes. */
  body: string;
  bytes: Buffer;
  /** Attempts the transport made for it (retries of a transient failure included). */
  attempts?: number;
}

export interface CallOptions {
  /**
   * Whether the request may be sent again after a transient failure. Default: GET and HEAD only. A manifest PUT is
   * (same bytes, same tag), and so is the POST that opens an upload session (an unused session expires); a PUT or
   * PATCH into an upload session is not: the session may be gone after the first attempt (`registry/artifact.ts`
   * restarts the upload instead).
   */
  retry?: boolean;
}

/** Scopes asked for in one token request: a few dozen keep the URL and the token itself small. */
const scopesPerToken = 25;

interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

export function parseChallenge(header: string): Challenge {
  const [scheme = '', ...rest] = header.trim().split(/\s+/);
  const params: Record<string, string> = {};
  for (const match of rest.join(' ').matchAll(/(\w+)="([^"]*)"/g)) {
    if (match[1] !== undefined) params[match[1]] = match[2] ?? '';
  }
  return { scheme: scheme.toLowerCase(), params };
}

/**
 * A small client for the registry HTTP API (OCI distribution spec): enough to tell whether an image exists
 * and what its digest is, without pulling it. Basic and bearer-token authentication are both handled.
 */
export class RegistryClient {
  readonly endpoint: RegistryEndpoint;
  private readonly transport: HttpTransport;
  private readonly tokens = new Map<string, string>();
  /** Token requests in flight, by scope: concurrent requests for one repository share one token request. */
  private readonly pendingTokens = new Map<string, Promise<string | undefined>>();
  /** The bearer challenge of the registry, once seen: tokens for many repositories can then be asked for at once. */
  private bearerChallenge: Challenge | undefined;
  private basicEverywhere = false;

  constructor(endpoint: RegistryEndpoint) {
    this.endpoint = endpoint;
    registerSecret(endpoint.credentials?.password);
    // One budget of 16 requests in flight per registry (the pool holds one client per registry), the size of the
    // connection pool: more would only queue inside undici, past the retry's view.
    this.transport = new HttpTransport({
      ...(endpoint.ca ? { ca: endpoint.ca } : {}),
      clientCertificate: endpoint.clientCertificate,
      insecure: endpoint.insecure,
      headersTimeoutMs: 30_000,
      bodyTimeoutMs: 60_000,
      connections: 16,
      concurrency: 16,
      ...(endpoint.onRetry ? { onRetry: endpoint.onRetry } : {}),
    });
  }

  private baseUrl(): string {
    return `${this.endpoint.plainHttp ? 'http' : 'https'}://${apiHost(this.endpoint.host)}`;
  }

  /** Checks that the registry answers and accepts the credentials. */
  async ping(): Promise<void> {
    const response = await this.send('GET', '/v2/', '');
    if (response.statusCode !== 200) throw this.failure(response, '/v2/');
  }

  /**
   * Gets the authorization for reading many repositories before reading them: with a token service, one token
   * request per batch of scopes (the distribution token protocol takes several `scope` parameters) instead of a
   * 401 and a token request per repository; with basic authentication, the first 401 only.
   */
  async authorize(repositories: string[], action = 'pull'): Promise<void> {
    const scopes = [...new Set(repositories)]
      .map((repository) => `repository:${repository}:${action}`)
      .filter((scope) => !this.tokens.has(scope));
    if (scopes.length === 0) return;
    if (!this.bearerChallenge && !this.basicEverywhere) {
      // The challenge alone says how the registry authenticates; no token is asked for the ping itself.
      const response = await this.raw('GET', '/v2/', {});
      const challenge =
        response.statusCode === 401 ? parseChallenge(String(response.headers['www-authenticate'] ?? '')) : undefined;
      if (challenge?.scheme === 'bearer' && challenge.params['realm']) this.bearerChallenge = challenge;
      else if (challenge?.scheme === 'basic') this.basicEverywhere = this.basic() !== undefined;
    }
    const challenge = this.bearerChallenge;
    if (!challenge) return;
    const batches: string[][] = [];
    for (let start = 0; start < scopes.length; start += scopesPerToken)
      batches.push(scopes.slice(start, start + scopesPerToken));
    const fetched = Promise.all(batches.map((batch) => this.fetchToken(challenge, batch)));
    // Anonymous tokens (public images) are an optimization only: if the token service will not batch them, each
    // request still asks for its own. Refused credentials, though, fail here, before any work.
    if (this.endpoint.credentials) await fetched;
    else await fetched.catch(() => undefined);
  }

  /** The manifest of `repository:reference`, or undefined when the registry does not have it. */
  async headManifest(repository: string, reference: string): Promise<ManifestInfo | undefined> {
    const path = `/v2/${repository}/manifests/${reference}`;
    const response = await this.send('HEAD', path, `repository:${repository}:pull`, {
      accept: manifestMediaTypes.join(', '),
    });
    if (response.statusCode === 404) return undefined;
    if (response.statusCode !== 200) throw this.failure(response, path);
    const digest = String(response.headers['docker-content-digest'] ?? '');
    return {
      digest,
      mediaType: String(response.headers['content-type'] ?? ''),
      size: Number(response.headers['content-length'] ?? 0),
    };
  }

  /**
   * A manifest as served, parsed, and checked against its digest: the digest asked for, else the one the registry
   * gives (`Docker-Content-Digest`). Undefined when the registry does not have it.
   */
  async readManifest(
    repository: string,
    reference: string,
  ): Promise<{ digest: string; manifest: ParsedManifest } | undefined> {
    const path = `/v2/${repository}/manifests/${reference}`;
    const response = await this.send('GET', path, `repository:${repository}:pull`, {
      accept: manifestMediaTypes.join(', '),
    });
    if (response.statusCode === 404) return undefined;
    if (response.statusCode !== 200) throw this.failure(response, path);
    const digest = digestOf(response.bytes);
    // A tag has no colon; a digest reference does.
    const claimed = reference.includes(':') ? reference : String(response.headers['docker-content-digest'] ?? '');
    if (claimed.startsWith('sha256:') && claimed !== digest) throw this.digestMismatch(path);
    return { digest, manifest: parseManifest(response.bytes, String(response.headers['content-type'] ?? '')) };
  }

  /**
   * The image configuration (labels, entry point, environment) of a published image, without pulling its layers;
   * for an index, the configuration of the image for `platform` (else its first runnable image).
   */
  async getImageConfig(
    repository: string,
    reference: string,
    platform = { os: 'linux', architecture: 'amd64' },
  ): Promise<{ digest: string; config: ImageConfig } | undefined> {
    const found = await this.readManifest(repository, reference);
    let image = found?.manifest;
    if (image?.kind === 'index') {
      const runnable = runnableManifests(image.manifests);
      const chosen =
        runnable.find(
          (entry) => entry.platform?.os === platform.os && entry.platform.architecture === platform.architecture,
        ) ?? runnable[0];
      image = chosen ? (await this.readManifest(repository, chosen.digest))?.manifest : undefined;
    }
    if (!found || image?.kind !== 'image') return undefined;
    return {
      digest: found.digest,
      config: JSON.parse((await this.readBlob(repository, image.config.digest)).toString('utf8')) as ImageConfig,
    };
  }

  /** A blob's bytes, checked against its digest. */
  async readBlob(repository: string, digest: string): Promise<Buffer> {
    const path = `/v2/${repository}/blobs/${digest}`;
    let response = await this.send('GET', path, `repository:${repository}:pull`);
    // Registries backed by object storage redirect blob reads; the storage URL is signed and takes no credentials.
    for (let hops = 0; hops < 3 && response.statusCode >= 300 && response.statusCode < 400; hops += 1) {
      response = await this.raw('GET', String(response.headers['location'] ?? ''), {});
    }
    if (response.statusCode !== 200) throw this.failure(response, path);
    if (digest.startsWith('sha256:') && digestOf(response.bytes) !== digest) throw this.digestMismatch(path);
    return response.bytes;
  }

  /** Every tag of a repository, following the `Link: <...>; rel="next"` pagination of the distribution API. */
  async listTags(repository: string): Promise<string[]> {
    const tags: string[] = [];
    let path: string | undefined = `/v2/${repository}/tags/list?n=1000`;
    while (path) {
      const response = await this.send('GET', path, `repository:${repository}:pull`);
      if (response.statusCode === 404) return tags;
      if (response.statusCode !== 200) throw this.failure(response, path);
      tags.push(...((JSON.parse(response.body) as { tags?: string[] | null }).tags ?? []));
      const next = /<([^>]+)>;\s*rel="next"/.exec(String(response.headers['link'] ?? ''));
      path = next?.[1];
    }
    return tags;
  }

  async close(): Promise<void> {
    await this.transport.close();
  }

  private digestMismatch(path: string): EnvironmentError {
    return new EnvironmentError({
      code: 'REGISTRY_DIGEST_MISMATCH',
      message: `registry ${this.endpoint.host} served ${path} with other content than its digest says`,
      hint: 'the registry or a proxy in between altered the content: check its storage',
    });
  }

  private statusError(
    response: Pick<RegistryResponse, 'statusCode' | 'body' | 'headers' | 'attempts'>,
    path: string,
  ): EnvironmentError {
    const status = response.statusCode;
    const auth = status === 401 || status === 403;
    const tries = (response.attempts ?? 1) > 1 ? ` (after ${response.attempts} attempts)` : '';
    if (rateLimitStatuses.has(status)) {
      const wait = retryAfterMs(response.headers['retry-after']);
      return new EnvironmentError({
        code: 'REGISTRY_RATE_LIMITED',
        message: `registry ${this.endpoint.host} is limiting requests: it answered ${status} for ${path}${tries}${wait === undefined ? '' : `, asking to wait ${Math.ceil(wait / 1000)} s`}${registryErrors(response.body)}`,
        hint: 'the registry (or a proxy in front of it) is rate limiting or overloaded, not down: neurons waited as it asked; run again later, or raise its limit (an authenticated pull limit is usually higher than an anonymous one)',
      });
    }
    return new EnvironmentError({
      code: auth ? 'REGISTRY_AUTH' : 'REGISTRY_HTTP',
      message: `registry ${this.endpoint.host} answered ${status} for ${path}${tries}${registryErrors(response.body)}`,
      hint: auth
        ? 'check the registry username and password (configuration `registries[].username` and the variable named by `passwordEnv`)'
        : status >= 500
          ? 'the registry failed on its side: check its logs and storage, then run again'
          : 'check that the registry is up and that the URL points at a registry (OCI distribution API)',
    });
  }

  /**
   * The token service is a server of its own (the realm of the registry's challenge, often on another host): when
   * it refuses, the error names it, not the registry, so that the right credentials and logs are looked at.
   */
  private tokenServiceError(realm: URL, service: string | undefined, what: string, status: number): EnvironmentError {
    const auth = status === 401 || status === 403;
    return new EnvironmentError({
      code: 'REGISTRY_AUTH',
      file: `${realm.origin}${realm.pathname}`,
      message: `token service ${realm.origin}${realm.pathname}${service ? ` (service ${service})` : ''} of registry ${this.endpoint.host} ${what}`,
      hint: auth
        ? 'the token service refused the credentials: check the registry username and password, and that the token service grants this repository to them'
        : 'check that the token service (the realm the registry names in its WWW-Authenticate challenge) is up',
    });
  }

  /**
   * One authenticated request to the registry API (a path, or a URL the registry gave, such as an upload location),
   * for operations this class has no method for: artifacts (`registry/artifact.ts`). A refused request is returned
   * as it came, with its status; the caller decides. `scope` may hold several scopes separated by spaces, as a
   * cross-repository mount needs (push on the target, pull on the source): one token is asked for all of them.
   */
  async call(
    method: HttpMethod,
    pathOrUrl: string,
    scope: string,
    headers: Record<string, string> = {},
    body?: Buffer,
    options: CallOptions = {},
  ): Promise<RegistryResponse> {
    return this.send(method, pathOrUrl, scope, headers, body, options);
  }

  /** A coded error for an answer the caller did not expect, with the registry's own error codes when it gave any. */
  failure(
    response: Pick<RegistryResponse, 'statusCode' | 'body' | 'headers' | 'attempts'>,
    path: string,
  ): EnvironmentError {
    return this.statusError(response, path);
  }

  /** Requests sent (every attempt) and retries made through this client. */
  get stats(): Readonly<{ requests: number; retries: number }> {
    return this.transport.stats;
  }

  private async send(
    method: HttpMethod,
    path: string,
    scope: string,
    headers: Record<string, string> = {},
    body?: Buffer,
    options: CallOptions = {},
  ): Promise<RegistryResponse> {
    // A URL the registry handed out on another host (an upload or a blob in object storage) gets no credentials.
    if (/^https?:\/\//.test(path) && new URL(path).host !== apiHost(this.endpoint.host))
      return this.raw(method, path, headers, body, options);
    let response = await this.raw(method, path, { ...headers, ...this.authorization(scope) }, body, options);
    if (response.statusCode === 401) {
      const challenge = parseChallenge(String(response.headers['www-authenticate'] ?? ''));
      const authorization = await this.answerChallenge(challenge, scope);
      if (authorization) response = await this.raw(method, path, { ...headers, authorization }, body, options);
    }
    return response;
  }

  private authorization(scope: string): Record<string, string> {
    // A registry that asked for basic authentication once wants it for every repository: sent from then on
    // without waiting for another 401 (half the requests). Bearer tokens stay per scope.
    const token = this.tokens.get(scope) ?? (this.basicEverywhere ? this.basic() : undefined);
    return token ? { authorization: token } : {};
  }

  private basic(): string | undefined {
    const credentials = this.endpoint.credentials;
    if (!credentials) return undefined;
    return `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`;
  }

  private async answerChallenge(challenge: Challenge, scope: string): Promise<string | undefined> {
    if (challenge.scheme === 'basic') {
      const basic = this.basic();
      this.basicEverywhere = basic !== undefined;
      return basic;
    }
    if (challenge.scheme !== 'bearer' || !challenge.params['realm']) return undefined;
    this.bearerChallenge = challenge;
    // A new token (none held, or the one held expired), asked for once for all requests waiting on it.
    let pending = this.pendingTokens.get(scope);
    if (!pending) {
      pending = this.fetchToken(challenge, scope.split(' ').filter(Boolean));
      this.pendingTokens.set(scope, pending);
      void pending.finally(() => this.pendingTokens.delete(scope)).catch(() => undefined);
    }
    return pending;
  }

  /** One token for every scope given, recorded for each of them. */
  private async fetchToken(challenge: Challenge, scopes: string[]): Promise<string | undefined> {
    const url = new URL(challenge.params['realm'] ?? '');
    if (challenge.params['service']) url.searchParams.set('service', challenge.params['service']);
    for (const scope of scopes) url.searchParams.append('scope', scope);
    const basic = this.basic();
    const response = await this.raw('GET', url.toString(), basic ? { authorization: basic } : {});
    if (response.statusCode !== 200)
      throw this.tokenServiceError(
        url,
        challenge.params['service'],
        `answered ${response.statusCode}${registryErrors(response.body)}`,
        response.statusCode,
      );
    let body: { token?: unknown; access_token?: unknown };
    try {
      body = JSON.parse(response.body) as { token?: unknown; access_token?: unknown };
    } catch {
      throw this.tokenServiceError(
        url,
        challenge.params['service'],
        'answered something that is not JSON',
        response.statusCode,
      );
    }
    const token =
      typeof body.token === 'string'
        ? body.token
        : typeof body.access_token === 'string'
          ? body.access_token
          : undefined;
    if (!token) return undefined;
    registerSecret(token);
    // Recorded for each scope, and for them together: a request that named several finds it under the same words.
    for (const scope of scopes.length > 1 ? [...scopes, scopes.join(' ')] : scopes)
      this.tokens.set(scope, `Bearer ${token}`);
    return `Bearer ${token}`;
  }

  private async raw(
    method: HttpMethod,
    pathOrUrl: string,
    headers: Record<string, string>,
    body?: Buffer,
    options: CallOptions = {},
  ): Promise<RegistryResponse> {
    const url = pathOrUrl.startsWith('http') ? pathOrUrl : `${this.baseUrl()}${pathOrUrl}`;
    try {
      const response = await this.transport.request({
        method,
        url,
        headers,
        ...(body ? { body } : {}),
        ...(options.retry === undefined ? {} : { retry: options.retry }),
      });
      return {
        statusCode: response.statusCode,
        headers: response.headers,
        body: response.bytes.toString('utf8'),
        bytes: response.bytes,
        attempts: response.attempts,
      };
    } catch (error) {
      // A server that wants a client certificate just closes the connection: only a probe of its handshake says so.
      const code = (error as { code?: string }).code ?? '';
      if (!this.endpoint.plainHttp && (isTlsFailure(error) || code === 'UND_ERR_SOCKET' || code === 'ECONNRESET')) {
        const [host = '', port = '443'] = apiHost(this.endpoint.host).split(':');
        const peer = await peerCertificate(host, Number(port)).catch(() => undefined);
        if (isTlsFailure(error) || peer?.clientCertificateRequired)
          throw new EnvironmentError(describeTlsFailure(error, 'registry', this.endpoint.host, peer), error);
      }
      throw connectionError(this.endpoint.host, error);
    }
  }
}

/** The errors of a distribution API error body (`{"errors":[{"code","message"}]}`), as `: CODE message; ...`. */
export function registryErrors(body: string): string {
  try {
    const errors = (JSON.parse(body) as { errors?: Array<{ code?: unknown; message?: unknown }> }).errors ?? [];
    const listed = errors
      .map((error) => [error.code, error.message].filter((part) => typeof part === 'string' && part !== '').join(' '))
      .filter(Boolean);
    return listed.length > 0 ? `: ${listed.join('; ').slice(0, 300)}` : '';
  } catch {
    return '';
  }
}

/** Turns a connection failure into an error that names the hop and, for TLS, the reason. */
export function connectionError(host: string, error: unknown): EnvironmentError {
  const code = (error as { code?: string }).code ?? (error as { cause?: { code?: string } }).cause?.code ?? 'UNKNOWN';
  const tls = /CERT|SELF_SIGNED|UNABLE_TO|TLS|SSL|ERR_SSL/.test(code);
  return new EnvironmentError(
    {
      code: tls ? 'REGISTRY_TLS' : 'REGISTRY_UNREACHABLE',
      message: `cannot reach registry ${host}: ${code}${error instanceof Error ? ` (${error.message})` : ''}${error instanceof TransportError && error.attempts > 1 ? ` after ${error.attempts} attempts` : ''}`,
      hint: tls
        ? 'the registry certificate is not trusted: name its CA in the configuration (`registries[].ca` or `trust.ca`)'
        : 'check the registry address and that it is running',
    },
    error,
  );
}
