import {
  changedNamedFiles,
  indexFileName,
  legacySignatureFileName,
  withdrawnNamedFiles,
  type Publication,
} from './publication.js';
import type { RetryEvent } from '../transport/http-transport.js';
import { publishConflict } from './conflict.js';
import type { PublishTarget } from './publish-target.js';
import { s3Objects } from './s3-objects.js';

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
  const { base, get, head, put, remove, close } = s3Objects(target, options);
  let seenIndex: { etag: string | undefined; bytes: Buffer | undefined } | undefined;

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
    close,
  };
}
