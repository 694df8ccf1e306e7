import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type { S3Client, S3ClientConfig } from '@aws-sdk/client-s3';
import { UsageError } from '../errors/neurons-error.js';
import { secureContextFor } from '../transport/dispatcher.js';
import type { RetryEvent } from '../transport/http-transport.js';
import {
  defaultRetryPolicy,
  isTransientError,
  isTransientStatus,
  nextDelay,
  retryAfterMs,
  type RetryPolicy,
} from '../transport/retry-policy.js';
import { registerSecret } from '../util/mask.js';

export const s3Prefix = 's3://';

/** `s3://BUCKET[/PREFIX]`, parsed once: the prefix without slashes at either end ('' for the bucket's root). */
export function parseS3Target(target: string): { bucket: string; prefix: string } {
  const rest = target.slice(s3Prefix.length);
  const slash = rest.indexOf('/');
  const bucket = slash === -1 ? rest : rest.slice(0, slash);
  const prefix = slash === -1 ? '' : rest.slice(slash + 1).replace(/^\/+|\/+$/g, '');
  // Bucket names: 3-63 lowercase letters, digits, dots and hyphens (S3's rule; S3-compatible stores are no looser).
  if (
    !target.startsWith(s3Prefix) ||
    !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket) ||
    prefix.split('/').some((part) => part === '.' || part === '..')
  ) {
    throw new UsageError({
      code: 'CATALOG_PUBLISH_TARGET',
      message: `--publish ${target} is not a valid S3 target`,
      hint: 'give s3://BUCKET/PREFIX, e.g. s3://acme-catalogs/workers/stable',
    });
  }
  return { bucket, prefix };
}

/**
 * An S3 client from the usual AWS settings in `env`: `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`/`AWS_SESSION_TOKEN`
 * when set there, else the SDK's default chain (shared profile, web identity as GitHub OIDC sets it up, container
 * and instance roles); the region from `AWS_REGION`/`AWS_DEFAULT_REGION` (else the profile's); an S3-compatible
 * store from `NEURONS_S3_ENDPOINT` or `AWS_ENDPOINT_URL_S3`/`AWS_ENDPOINT_URL`, addressed path-style (bucket in the
 * path) unless `NEURONS_S3_PATH_STYLE=false`. The CAs given are added to Node's roots, as for every other client.
 *
 * Retries use the transport's policy (attempts, backoff, `Retry-After` honoured up to its cap, each one logged)
 * rather than the SDK's, whose `Retry-After` is cut to the backoff plus 5 s: the same store behind the same proxy
 * is waited for alike whatever the target. Every S3 request the target sends may be repeated (see s3-target.ts).
 * The SDK is loaded here, on first use: it takes ~350 ms to import, which every other command would pay.
 */
export async function createS3Client(options: {
  env: NodeJS.ProcessEnv;
  ca: string[];
  onRetry?: (retry: S3Retry) => void;
}): Promise<{ client: S3Client; sdk: typeof import('@aws-sdk/client-s3') }> {
  const sdk = await import('@aws-sdk/client-s3');
  const { env } = options;
  const endpoint =
    nonEmpty(env['NEURONS_S3_ENDPOINT']) ?? nonEmpty(env['AWS_ENDPOINT_URL_S3']) ?? nonEmpty(env['AWS_ENDPOINT_URL']);
  const pathStyle = nonEmpty(env['NEURONS_S3_PATH_STYLE']);
  const region =
    nonEmpty(env['AWS_REGION']) ?? nonEmpty(env['AWS_DEFAULT_REGION']) ?? (endpoint ? 'us-east-1' : undefined);
  const accessKeyId = nonEmpty(env['AWS_ACCESS_KEY_ID']);
  const secretAccessKey = nonEmpty(env['AWS_SECRET_ACCESS_KEY']);
  const sessionToken = nonEmpty(env['AWS_SESSION_TOKEN']);
  for (const secret of [secretAccessKey, sessionToken]) registerSecret(secret);
  const secureContext = secureContextFor({ ca: options.ca, env });
  const config: S3ClientConfig = {
    ...(region ? { region } : {}),
    ...(endpoint ? { endpoint } : {}),
    forcePathStyle: pathStyle === undefined ? endpoint !== undefined : !/^(false|0|no)$/i.test(pathStyle),
    ...(accessKeyId && secretAccessKey
      ? { credentials: { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) } }
      : {}),
    // CRC32 checksums on every PUT (the SDK's default since 2025) are refused by several S3-compatible stores;
    // integrity is ours already: every file is addressed or listed by its SHA-256.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    requestHandler: {
      httpsAgent: new HttpsAgent({ keepAlive: true, maxSockets: 4, ...(secureContext ? { secureContext } : {}) }),
      httpAgent: new HttpAgent({ keepAlive: true, maxSockets: 4 }),
      connectionTimeout: 30_000,
      requestTimeout: 120_000,
    },
    retryStrategy: transportRetryStrategy(defaultRetryPolicy, options.onRetry),
  };
  return { client: new sdk.S3Client(config), sdk };
}

const nonEmpty = (value: string | undefined): string | undefined =>
  value === undefined || value.trim() === '' ? undefined : value.trim();

interface RetryToken {
  getRetryCount(): number;
  getRetryDelay(): number;
}

/** What the SDK passes about a failed attempt: the error, with its status and the raw response when there was one. */
interface FailedAttempt {
  error?: {
    name?: string;
    $metadata?: { httpStatusCode?: number };
    $response?: { headers?: Record<string, string | undefined> };
  } & object;
}

/** A retry as the transport reports it, less the request: the SDK does not tell its strategy which one failed. */
export type S3Retry = Omit<RetryEvent, 'method' | 'url'>;

/** The SDK's retry interface (RetryStrategyV2) over the transport's policy. */
function transportRetryStrategy(
  policy: RetryPolicy,
  onRetry: ((retry: S3Retry) => void) | undefined,
): NonNullable<S3ClientConfig['retryStrategy']> {
  const token = (retries: number, delayMs: number): RetryToken => ({
    getRetryCount: () => retries,
    getRetryDelay: () => delayMs,
  });
  return {
    acquireInitialRetryToken: async () => token(0, 0),
    refreshRetryTokenForRetry: async (previous: RetryToken, failed: FailedAttempt) => {
      const error = failed.error;
      const status = error?.$metadata?.httpStatusCode;
      const attempt = previous.getRetryCount() + 1;
      const transient =
        status === undefined ? isTransientError(error) || error?.name === 'TimeoutError' : isTransientStatus(status);
      if (!transient || attempt >= policy.attempts) throw error ?? new Error('no retry');
      const retryAfter = retryAfterMs(error?.$response?.headers?.['retry-after']);
      const delayMs = nextDelay(policy, attempt, retryAfter);
      const reason =
        status === undefined
          ? ((error as { code?: string } | undefined)?.code ?? error?.name ?? 'error')
          : `HTTP ${status}`;
      onRetry?.({ attempt, reason, delayMs, retryAfter: retryAfter !== undefined });
      return token(attempt, delayMs);
    },
    recordSuccess: () => undefined,
  };
}
