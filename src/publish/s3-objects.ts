import { contentTypeOf, indexFileName, isObjectName } from './publication.js';
import { EnvironmentError } from '../errors/neurons-error.js';
import type { HttpMethod, RetryEvent } from '../transport/http-transport.js';
import { rateLimitStatuses } from '../transport/retry-policy.js';
import { createS3Client, parseS3Target } from './s3-client.js';

/*
 * The objects under one S3 prefix, as the S3 target uses them: get, head, conditional put and delete, one request at a
 * time, each failure a coded error that names the request (and so does each retry).
 */

/** What an S3 call failed with, as the SDK reports it. */
interface S3Failure {
  name?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number; attempts?: number };
}

/** One S3 prefix and its connection, made on first use; `current` is the request under way, named by its retries. */
interface S3Session {
  bucket: string;
  base: string;
  keyOf: (file: string) => string;
  connect: () => ReturnType<typeof createS3Client>;
  current: { method: HttpMethod; file: string };
  connection: ReturnType<typeof createS3Client> | undefined;
}

export interface S3Objects {
  /** `s3://BUCKET/PREFIX/`. */
  base: string;
  get: (file: string) => Promise<{ bytes: Buffer | undefined; etag: string | undefined }>;
  /** The file's ETag now (in an object), or undefined when it is absent. */
  head: (file: string) => Promise<{ etag: string | undefined } | undefined>;
  /** Writes `file`; `refused` when its condition failed: 412, or 409 (another conditional write of it in flight). */
  put: (
    file: string,
    bytes: Buffer,
    condition: { IfMatch?: string; IfNoneMatch?: string },
  ) => Promise<{ refused: 412 | 409 | undefined; etag: string | undefined; attempts: number }>;
  remove: (file: string) => Promise<void>;
  close: () => Promise<void>;
}

export function s3Objects(
  target: string,
  options: { env: NodeJS.ProcessEnv; ca: string[]; onRetry?: (event: RetryEvent) => void },
): S3Objects {
  const { bucket, prefix } = parseS3Target(target);
  const base = `s3://${bucket}/${prefix ? `${prefix}/` : ''}`;
  const keyOf = (file: string): string => (prefix ? `${prefix}/${file}` : file);
  const onRetry = options.onRetry;
  const session: S3Session = {
    bucket,
    base,
    keyOf,
    current: { method: 'GET', file: indexFileName },
    connection: undefined,
    connect: () =>
      (session.connection ??= createS3Client({
        env: options.env,
        ca: options.ca,
        ...(onRetry
          ? {
              onRetry: (retry) =>
                onRetry({ ...retry, method: session.current.method, url: `${base}${session.current.file}` }),
            }
          : {}),
      })),
  };
  return {
    base,
    get: (file) => getObject(session, file),
    head: (file) => headObject(session, file),
    put: (file, bytes, condition) => putObject(session, file, bytes, condition),
    remove: (file) => removeObject(session, file),
    async close() {
      if (session.connection) (await session.connection).client.destroy();
    },
  };
}

/** A failed S3 call as a coded error naming the request: unreachable (or no credentials), rate limited, or its status. */
function s3Failure(base: string, method: HttpMethod, file: string, error: unknown): EnvironmentError {
  const failure = error as S3Failure;
  const status = failure.$metadata?.httpStatusCode;
  const attempts = (failure.$metadata?.attempts ?? 1) > 1 ? ` (after ${failure.$metadata?.attempts} attempts)` : '';
  const said = `${failure.name ?? 'Error'}${failure.message && failure.message !== failure.name ? `: ${failure.message}` : ''}`;
  if (status === undefined) {
    const credentials = failure.name === 'CredentialsProviderError' || /credential/i.test(failure.message ?? '');
    return new EnvironmentError(
      {
        code: 'CATALOG_PUBLISH_UNREACHABLE',
        message: `cannot reach ${base} (${method} ${file}): ${said}${attempts}`,
        hint: credentials
          ? 'no AWS credentials found: set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE, or a web identity (GitHub OIDC)'
          : 'check the bucket, the region (AWS_REGION), the endpoint (NEURONS_S3_ENDPOINT) and its CA',
      },
      error,
    );
  }
  if (rateLimitStatuses.has(status)) {
    return new EnvironmentError(
      {
        code: 'CATALOG_PUBLISH_RATE_LIMITED',
        message: `${method} ${base}${file} answered ${status} (${said}): the store is limiting requests${attempts}`,
        hint: 'run again later',
      },
      error,
    );
  }
  const hint =
    status >= 500
      ? 'the store failed on its side: run again'
      : status === 403 || status === 401
        ? 'check the credentials: they need s3:GetObject, s3:PutObject and s3:DeleteObject on the prefix, and s3:ListBucket (without it S3 answers 403 for a file not there yet)'
        : 'check the bucket, its region and the endpoint';
  return new EnvironmentError(
    {
      code: 'CATALOG_PUBLISH_HTTP',
      message: `${method} ${base}${file} answered ${status} (${said})${attempts}`,
      hint,
    },
    error,
  );
}

function statusOf(error: unknown): number | undefined {
  return (error as S3Failure).$metadata?.httpStatusCode;
}

function attemptsOf(error: unknown): number {
  return (error as S3Failure).$metadata?.attempts ?? 1;
}

async function getObject(
  session: S3Session,
  file: string,
): Promise<{ bytes: Buffer | undefined; etag: string | undefined }> {
  const { bucket, keyOf } = session;
  session.current = { method: 'GET', file };
  const { client, sdk } = await session.connect();
  try {
    const response = await client.send(new sdk.GetObjectCommand({ Bucket: bucket, Key: keyOf(file) }));
    return { bytes: Buffer.from((await response.Body?.transformToByteArray()) ?? []), etag: response.ETag };
  } catch (error) {
    if (statusOf(error) === 404) return { bytes: undefined, etag: undefined };
    throw s3Failure(session.base, 'GET', file, error);
  }
}

async function headObject(session: S3Session, file: string): Promise<{ etag: string | undefined } | undefined> {
  const { bucket, keyOf } = session;
  session.current = { method: 'HEAD', file };
  const { client, sdk } = await session.connect();
  try {
    return { etag: (await client.send(new sdk.HeadObjectCommand({ Bucket: bucket, Key: keyOf(file) }))).ETag };
  } catch (error) {
    if (statusOf(error) === 404) return undefined;
    throw s3Failure(session.base, 'HEAD', file, error);
  }
}

async function putObject(
  session: S3Session,
  file: string,
  bytes: Buffer,
  condition: { IfMatch?: string; IfNoneMatch?: string },
): Promise<{ refused: 412 | 409 | undefined; etag: string | undefined; attempts: number }> {
  const { bucket, keyOf } = session;
  session.current = { method: 'PUT', file };
  const { client, sdk } = await session.connect();
  try {
    const response = await client.send(
      new sdk.PutObjectCommand({
        Bucket: bucket,
        Key: keyOf(file),
        Body: bytes,
        ContentType: contentTypeOf(file),
        CacheControl: cacheControlOf(file),
        ...condition,
      }),
    );
    return { refused: undefined, etag: response.ETag, attempts: response.$metadata.attempts ?? 1 };
  } catch (error) {
    const status = statusOf(error);
    if (status === 412 || status === 409) return { refused: status, etag: undefined, attempts: attemptsOf(error) };
    throw s3Failure(session.base, 'PUT', file, error);
  }
}

async function removeObject(session: S3Session, file: string): Promise<void> {
  const { bucket, keyOf } = session;
  session.current = { method: 'DELETE', file };
  const { client, sdk } = await session.connect();
  try {
    await client.send(new sdk.DeleteObjectCommand({ Bucket: bucket, Key: keyOf(file) }));
  } catch (error) {
    if (statusOf(error) !== 404) throw s3Failure(session.base, 'DELETE', file, error);
  }
}

/**
 * Content-addressed files never change: caches (CloudFront, a proxy) may keep them. The index and the named copies
 * change with every publication: a cache must ask again, or a reader would meet an old index for hours.
 */
function cacheControlOf(file: string): string {
  return isObjectName(file) ? 'public, max-age=31536000, immutable' : 'no-cache';
}
