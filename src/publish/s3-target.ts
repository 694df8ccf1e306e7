import {
  changedNamedFiles,
  contentTypeOf,
  indexFileName,
  isObjectName,
  legacySignatureFileName,
  withdrawnNamedFiles,
  type Publication,
} from './publication.js';
import { EnvironmentError } from '../errors/neurons-error.js';
import type { HttpMethod, RetryEvent } from '../transport/http-transport.js';
import { rateLimitStatuses } from '../transport/retry-policy.js';
import { publishConflict } from './conflict.js';
import type { PublishTarget } from './publish-target.js';
import { createS3Client, parseS3Target } from './s3-client.js';

/** What an S3 call failed with, as the SDK reports it. */
interface S3Failure {
  name?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number; attempts?: number };
}

/**
 * A prefix of an S3 bucket (or of an S3-compatible store), with the guarantees of the HTTP target: the
 * content-addressed files go first (`If-None-Match: *`: one already there is the same bytes), then the index with
 * `If-Match` on the ETag read before (or `If-None-Match: *` for the first one), the commit point. S3 takes both
 * conditions on PUT (since 2024) and answers 412 when they fail, or 409 when another conditional write of that key is
 * in flight: either way another publisher is committing, so this one fails with `CATALOG_PUBLISH_CONFLICT` having
 * written only content-addressed files no index refers to. The winner then writes the named copies, each after
 * checking that the index is still its own. Content-addressed files are never deleted: a publisher cannot tell which
 * of them a concurrent publisher is about to commit on (the folder target can: it holds a lock).
 *
 * Every request may be repeated after a transient failure (see s3-client.ts). The index PUT is the one whose 412 is
 * ambiguous when it was retried: our own first attempt may have landed. The index is then read back: our bytes there
 * mean committed, anything else a lost race. Requests go one at a time, which also lets a retry name its request.
 */
export function s3Target(
  target: string,
  options: { env: NodeJS.ProcessEnv; ca: string[]; onRetry?: (event: RetryEvent) => void },
): PublishTarget {
  const { bucket, prefix } = parseS3Target(target);
  const base = `s3://${bucket}/${prefix ? `${prefix}/` : ''}`;
  const keyOf = (file: string): string => (prefix ? `${prefix}/${file}` : file);
  let current: { method: HttpMethod; file: string } = { method: 'GET', file: indexFileName };
  const onRetry = options.onRetry;
  let connection: ReturnType<typeof createS3Client> | undefined;
  const connect = () =>
    (connection ??= createS3Client({
      env: options.env,
      ca: options.ca,
      ...(onRetry
        ? { onRetry: (retry) => onRetry({ ...retry, method: current.method, url: `${base}${current.file}` }) }
        : {}),
    }));
  let seenIndex: { etag: string | undefined; bytes: Buffer | undefined } | undefined;

  const failed = (method: HttpMethod, file: string, error: unknown): EnvironmentError => {
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
  };
  const statusOf = (error: unknown): number | undefined => (error as S3Failure).$metadata?.httpStatusCode;
  const attemptsOf = (error: unknown): number => (error as S3Failure).$metadata?.attempts ?? 1;

  const get = async (file: string): Promise<{ bytes: Buffer | undefined; etag: string | undefined }> => {
    current = { method: 'GET', file };
    const { client, sdk } = await connect();
    try {
      const response = await client.send(new sdk.GetObjectCommand({ Bucket: bucket, Key: keyOf(file) }));
      return { bytes: Buffer.from((await response.Body?.transformToByteArray()) ?? []), etag: response.ETag };
    } catch (error) {
      if (statusOf(error) === 404) return { bytes: undefined, etag: undefined };
      throw failed('GET', file, error);
    }
  };
  /** The file's ETag now (in an object), or undefined when it is absent. */
  const head = async (file: string): Promise<{ etag: string | undefined } | undefined> => {
    current = { method: 'HEAD', file };
    const { client, sdk } = await connect();
    try {
      return { etag: (await client.send(new sdk.HeadObjectCommand({ Bucket: bucket, Key: keyOf(file) }))).ETag };
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      throw failed('HEAD', file, error);
    }
  };
  /** Writes `file`; `refused` when its condition failed: 412, or 409 (another conditional write of it in flight). */
  const put = async (
    file: string,
    bytes: Buffer,
    condition: { IfMatch?: string; IfNoneMatch?: string },
  ): Promise<{ refused: 412 | 409 | undefined; etag: string | undefined; attempts: number }> => {
    current = { method: 'PUT', file };
    const { client, sdk } = await connect();
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
      throw failed('PUT', file, error);
    }
  };
  const remove = async (file: string): Promise<void> => {
    current = { method: 'DELETE', file };
    const { client, sdk } = await connect();
    try {
      await client.send(new sdk.DeleteObjectCommand({ Bucket: bucket, Key: keyOf(file) }));
    } catch (error) {
      if (statusOf(error) !== 404) throw failed('DELETE', file, error);
    }
  };

  return {
    description: base,
    locate: (file) => `${base}${file}`,
    async read(file) {
      const { bytes, etag } = await get(file);
      if (file === indexFileName) seenIndex = { bytes, etag };
      return bytes;
    },
    async publish(publication: Publication) {
      seenIndex ??= await get(indexFileName);
      const before = seenIndex;
      // A publisher that committed since the read is caught before anything is written.
      if ((await head(indexFileName))?.etag !== before.etag) throw publishConflict(`${base}${indexFileName}`);
      for (const [file, bytes] of publication.objects) {
        const { refused } = await put(file, bytes, { IfNoneMatch: '*' });
        // A 409 says another upload of this name is in flight: the same bytes, but perhaps never there.
        if (refused === 409 && !(await head(file))) throw publishConflict(`${base}${file}`);
      }
      const committed = await put(
        indexFileName,
        publication.index,
        before.bytes === undefined ? { IfNoneMatch: '*' } : before.etag ? { IfMatch: before.etag } : {},
      );
      let ours = committed.etag;
      if (committed.refused !== undefined) {
        // A refusal on the first attempt is a lost race. On a later one, it may be our own first attempt that landed.
        const now = committed.attempts > 1 ? await get(indexFileName) : undefined;
        if (!now?.bytes?.equals(publication.index)) throw publishConflict(`${base}${indexFileName}`);
        ours = now.etag;
      }
      seenIndex = { etag: ours, bytes: publication.index };
      for (const [file, bytes] of changedNamedFiles(publication, before.bytes)) {
        // A later publisher owns the named copies once it has committed: this one stops writing them.
        if (ours === undefined || (await head(indexFileName))?.etag !== ours) return;
        await put(file, bytes, {});
      }
      for (const file of withdrawnNamedFiles(publication, before.bytes)) {
        if (ours === undefined || (await head(indexFileName))?.etag !== ours) return;
        await remove(file);
      }
      await remove(legacySignatureFileName);
    },
    async close() {
      if (connection) (await connection).client.destroy();
    },
  };
}

/**
 * Content-addressed files never change: caches (CloudFront, a proxy) may keep them. The index and the named copies
 * change with every publication: a cache must ask again, or a reader would meet an old index for hours.
 */
function cacheControlOf(file: string): string {
  return isObjectName(file) ? 'public, max-age=31536000, immutable' : 'no-cache';
}
