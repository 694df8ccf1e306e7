import { EnvironmentError } from '../errors/neurons-error.js';
import { HttpTransport, type HttpMethod } from '../transport/http-transport.js';
import { describeTlsFailure, isTlsFailure, peerCertificate } from '../trust/trust-store.js';
import { registerSecret } from '../util/mask.js';
import { parseChallenge, type Challenge } from './challenge.js';
import { manifestMediaTypes, parseManifest, runnableManifests, type ParsedManifest } from './manifest.js';
import {
  apiHost,
  digestOf,
  type CallOptions,
  type ImageConfig,
  type ManifestInfo,
  type RegistryEndpoint,
  type RegistryResponse,
} from './registry-api.js';
import { HeldTokens } from './held-tokens.js';
import { connectionError, digestMismatch, registryErrors, statusError, tokenServiceError } from './registry-errors.js';

export { manifestMediaTypes } from './manifest.js';
export { parseChallenge } from './challenge.js';
export {
  apiHost,
  digestOf,
  type CallOptions,
  type ImageConfig,
  type ManifestInfo,
  type RegistryCredentials,
  type RegistryEndpoint,
  type RegistryResponse,
} from './registry-api.js';
export { connectionError, registryErrors } from './registry-errors.js';
export type { HttpMethod } from '../transport/http-transport.js';

/** Scopes asked for in one token request: a few dozen keep the URL and the token itself small. */
const scopesPerToken = 25;

/**
 * A small client for the registry HTTP API (OCI distribution spec): enough to tell whether an image exists
 * and what its digest is, without pulling it. Basic and bearer-token authentication are both handled.
 */
export class RegistryClient {
  readonly endpoint: RegistryEndpoint;
  private readonly transport: HttpTransport;
  private readonly tokens = new HeldTokens();
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
      .filter((scope) => this.tokens.get(scope) === undefined);
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

  /**
   * One token for all of `scopes` (at most 25) unless one held covers them: the requests of a unit of work (a folder's
   * pushes and mounts) share it. Without a bearer challenge seen, or on a refusal, each request asks for its own.
   */
  async authorizeTogether(scopes: string[]): Promise<void> {
    const unique = [...new Set(scopes)];
    const challenge = this.bearerChallenge;
    if (!challenge || unique.length === 0 || unique.length > scopesPerToken) return;
    if (this.tokens.get(unique.join(' ')) !== undefined) return;
    await this.fetchToken(challenge, unique).catch(() => undefined);
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
   * gives (`Docker-Content-Digest`). Undefined when the registry does not have it. `named`: the digest is one a
   * manifest of this repository just named (an index's entry), so the repository has it; its content is then taken
   * from the endpoint's store when kept there, else read and kept (a tag's manifest is not: where a tag points is
   * asked every time, and a run reads many).
   */
  async readManifest(
    repository: string,
    reference: string,
    options: { named?: boolean } = {},
  ): Promise<{ digest: string; manifest: ParsedManifest } | undefined> {
    const path = `/v2/${repository}/manifests/${reference}`;
    // A tag has no colon; a digest reference does. What a digest names never changes: read once, kept.
    const stored = options.named && reference.includes(':') ? await this.endpoint.content?.get(reference) : undefined;
    if (stored) return { digest: reference, manifest: parseManifest(stored.bytes, stored.mediaType) };
    const response = await this.send('GET', path, `repository:${repository}:pull`, {
      accept: manifestMediaTypes.join(', '),
    });
    if (response.statusCode === 404) return undefined;
    if (response.statusCode !== 200) throw this.failure(response, path);
    const digest = digestOf(response.bytes);
    const claimed = reference.includes(':') ? reference : String(response.headers['docker-content-digest'] ?? '');
    if (claimed.startsWith('sha256:') && claimed !== digest) throw digestMismatch(this.endpoint.host, path);
    const mediaType = String(response.headers['content-type'] ?? '');
    if (options.named) await this.endpoint.content?.put(digest, { bytes: response.bytes, mediaType });
    return { digest, manifest: parseManifest(response.bytes, mediaType) };
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
    return this.configOf(repository, await this.readManifest(repository, reference), platform);
  }

  /** The image configuration of a manifest already read (see getImageConfig): the index's image for `platform`. */
  async configOf(
    repository: string,
    found: { digest: string; manifest: ParsedManifest } | undefined,
    platform = { os: 'linux', architecture: 'amd64' },
  ): Promise<{ digest: string; config: ImageConfig } | undefined> {
    let image = found?.manifest;
    if (image?.kind === 'index') {
      const runnable = runnableManifests(image.manifests);
      const chosen =
        runnable.find(
          (entry) => entry.platform?.os === platform.os && entry.platform.architecture === platform.architecture,
        ) ?? runnable[0];
      image = chosen ? (await this.readManifest(repository, chosen.digest, { named: true }))?.manifest : undefined;
    }
    if (!found || image?.kind !== 'image') return undefined;
    return {
      digest: found.digest,
      config: JSON.parse((await this.readBlob(repository, image.config.digest)).toString('utf8')) as ImageConfig,
    };
  }

  /**
   * A blob's bytes, checked against its digest; a small one (a configuration) is taken from the endpoint's store when
   * kept there. Blobs are read as a manifest of the repository names them, so the repository has them.
   */
  async readBlob(repository: string, digest: string): Promise<Buffer> {
    const stored = await this.endpoint.content?.get(digest);
    if (stored) return stored.bytes;
    const path = `/v2/${repository}/blobs/${digest}`;
    let response = await this.send('GET', path, `repository:${repository}:pull`);
    // Registries backed by object storage redirect blob reads; the storage URL is signed and takes no credentials.
    for (let hops = 0; hops < 3 && response.statusCode >= 300 && response.statusCode < 400; hops += 1) {
      response = await this.raw('GET', String(response.headers['location'] ?? ''), {});
    }
    if (response.statusCode !== 200) throw this.failure(response, path);
    if (digest.startsWith('sha256:') && digestOf(response.bytes) !== digest)
      throw digestMismatch(this.endpoint.host, path);
    await this.endpoint.content?.put(digest, { bytes: response.bytes, mediaType: '' });
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
    return statusError(this.endpoint.host, response, path);
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
    let response = await this.raw(method, path, { ...headers, ...(await this.authorization(scope)) }, body, options);
    if (response.statusCode === 401) {
      const challenge = parseChallenge(String(response.headers['www-authenticate'] ?? ''));
      const authorization = await this.answerChallenge(challenge, scope);
      if (authorization) response = await this.raw(method, path, { ...headers, authorization }, body, options);
    }
    return response;
  }

  private async authorization(scope: string): Promise<Record<string, string>> {
    // A registry that asked for basic authentication once wants it for every repository: sent from then on
    // without waiting for another 401 (half the requests). Bearer tokens stay per scope: once the registry's
    // challenge is known, a scope without a token gets one before its first request rather than after a 401, asked
    // for once by all the requests that need it. Should that fail, the request goes without, and its 401 says why.
    const token = this.tokens.get(scope) ?? (this.basicEverywhere ? this.basic() : undefined);
    if (token) return { authorization: token };
    const challenge = this.bearerChallenge;
    if (!challenge || scope.trim() === '') return {};
    const fetched = await this.answerChallenge(challenge, scope).catch(() => undefined);
    return fetched ? { authorization: fetched } : {};
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
      throw tokenServiceError(
        this.endpoint.host,
        url,
        challenge.params['service'],
        `answered ${response.statusCode}${registryErrors(response.body)}`,
        response.statusCode,
      );
    let body: { token?: unknown; access_token?: unknown };
    try {
      body = JSON.parse(response.body) as { token?: unknown; access_token?: unknown };
    } catch {
      throw tokenServiceError(
        this.endpoint.host,
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
    this.tokens.record(scopes, `Bearer ${token}`);
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
