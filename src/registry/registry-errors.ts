import { EnvironmentError } from '../errors/neurons-error.js';
import { TransportError } from '../transport/http-transport.js';
import { rateLimitStatuses, retryAfterMs } from '../transport/retry-policy.js';
import type { RegistryResponse } from './registry-api.js';

/* The coded errors of the registry client: what a registry, its token service or the connection to it did wrong. */

export function digestMismatch(host: string, path: string): EnvironmentError {
  return new EnvironmentError({
    code: 'REGISTRY_DIGEST_MISMATCH',
    message: `registry ${host} served ${path} with other content than its digest says`,
    hint: 'the registry or a proxy in between altered the content: check its storage',
  });
}

export function statusError(
  host: string,
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
      message: `registry ${host} is limiting requests: it answered ${status} for ${path}${tries}${wait === undefined ? '' : `, asking to wait ${Math.ceil(wait / 1000)} s`}${registryErrors(response.body)}`,
      hint: 'the registry (or a proxy in front of it) is rate limiting or overloaded, not down: neurons waited as it asked; run again later, or raise its limit (an authenticated pull limit is usually higher than an anonymous one)',
    });
  }
  return new EnvironmentError({
    code: auth ? 'REGISTRY_AUTH' : 'REGISTRY_HTTP',
    message: `registry ${host} answered ${status} for ${path}${tries}${registryErrors(response.body)}`,
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
export function tokenServiceError(
  host: string,
  realm: URL,
  service: string | undefined,
  what: string,
  status: number,
): EnvironmentError {
  const auth = status === 401 || status === 403;
  return new EnvironmentError({
    code: 'REGISTRY_AUTH',
    file: `${realm.origin}${realm.pathname}`,
    message: `token service ${realm.origin}${realm.pathname}${service ? ` (service ${service})` : ''} of registry ${host} ${what}`,
    hint: auth
      ? 'the token service refused the credentials: check the registry username and password, and that the token service grants this repository to them'
      : 'check that the token service (the realm the registry names in its WWW-Authenticate challenge) is up',
  });
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
