import { buildInputLabel } from '../inputs/build-inputs.js';
import {
  claimOf,
  describeClaim,
  revisionLabel,
  sameClaim,
  type LabelClaim,
  type WorkerIdentity,
} from '../images/worker-labels.js';
import { parseImageReference } from '../images/reference.js';
import type { RegistryClient } from '../registry/client.js';
import type { ObservedManifest } from '../registry/manifest.js';

export type { ObservedManifest } from '../registry/manifest.js';
import { readImageLabels } from '../registry/image-labels.js';
import { createLimiter } from '../util/limit.js';

/** What the registry says of one image reference, as far as a catalog entry goes. */
export type ImageFacts =
  | { state: 'missing' }
  /** On another registry than the one read: nothing can be said of it. */
  | { state: 'elsewhere' }
  /**
   * A manifest (checked against `digest`) whose every runnable image carries these labels; `recorded`, what its labels
   * say of how it was made, when they were read (an image known without a read has none).
   */
  | { state: 'labelled'; digest: string; claim: LabelClaim; recorded?: RecordedInputs }
  /** A manifest with no labels to go by: an artifact, schema 1, platforms that disagree; `reason` says which. */
  | { state: 'unreadable'; digest: string; reason: string };

/** What an image's labels record of how it was made: its build-input digest and the commit of its sources. */
export interface RecordedInputs {
  buildInputDigest: string | undefined;
  revision: string | undefined;
}

/** A tag this run put, and the digest the registry stored it under. */
export interface TaggedImage {
  reference: string;
  digest: string;
}

/** An image whose labels are known without reading them: pushed by this run, or verified by the previous index. */
export interface KnownImage {
  digest: string;
  identity: WorkerIdentity;
}

export interface ImageVerifier {
  facts(reference: string): Promise<ImageFacts>;
  /** Registry reads so far: manifests by tag or digest, and images whose labels were read (configurations). */
  readonly counts: { manifests: number; labelled: number; known: number };
}

type DigestFacts = Exclude<ImageFacts, { state: 'missing' } | { state: 'elsewhere' }>;

/**
 * Reads what images say they are, for the catalog stage. Each reference is read once (a GET of its manifest, which
 * also gives its digest), and each manifest digest's labels once: the major and full-version tags of a flavor, and
 * every flavor kept at an old image, share one configuration read. A digest in `known` needs no read at all.
 * Reads go through one limiter, so a fleet of a thousand tags keeps a bounded number of requests in flight.
 */
export function createImageVerifier(options: {
  client: RegistryClient;
  host: string;
  known: KnownImage[];
  concurrency: number;
  /** Tags this run read and did not push since: not read again. */
  observed?: ObservedManifest[];
  /**
   * Tags this run put, each with the digest the registry stored it under: of a digest in `known`, not read again
   * (what the registry answered to the put is as good a reading as a read after it).
   */
  tagged?: TaggedImage[];
}): ImageVerifier {
  const { client } = options;
  const limit = createLimiter(options.concurrency);
  const known = new Map(options.known.map((image) => [image.digest, image.identity]));
  const observed = new Map((options.observed ?? []).map((item) => [item.reference, item]));
  const tagged = new Map((options.tagged ?? []).map((item) => [item.reference, item.digest]));
  const byDigest = new Map<string, Promise<DigestFacts>>();
  const counts = { manifests: 0, labelled: 0, known: 0 };

  /** The facts of one digest, once; its manifest is needed only when the digest is not in `known`. */
  const labelsOf = (
    repository: string,
    digest: string,
    read: Parameters<typeof readImageLabels>[2] | undefined,
  ): Promise<DigestFacts> => {
    let pending = byDigest.get(digest);
    if (!pending) {
      pending = (async (): Promise<DigestFacts> => {
        const identity = known.get(digest);
        if (identity) {
          counts.known += 1;
          return { state: 'labelled', digest, claim: identity };
        }
        if (!read) throw new Error(`image facts: no manifest for ${digest}, which is not known`);
        counts.labelled += 1;
        const labels = await limit(() => readImageLabels(client, repository, read));
        if (!labels.readable) return { state: 'unreadable', digest, reason: labels.reason };
        const claims = labels.platforms.map((platform) => ({
          platform: platform.platform,
          claim: claimOf(platform.labels),
        }));
        const [first] = claims;
        if (!first) return { state: 'unreadable', digest, reason: 'no image' };
        // Every platform of an image is made from the same inputs (one record on all of them): the first one's says it.
        const own = labels.platforms[0]?.labels ?? {};
        const recorded = { buildInputDigest: own[buildInputLabel], revision: own[revisionLabel] };
        if (claims.every((item) => sameClaim(item.claim, first.claim)))
          return { state: 'labelled', digest, claim: first.claim, recorded };
        return {
          state: 'unreadable',
          digest,
          reason: `its platforms disagree: ${claims.map((item) => `${item.platform} is ${describeClaim(item.claim)}`).join(', ')}`,
        };
      })();
      byDigest.set(digest, pending);
    }
    return pending;
  };

  const read = async (reference: string): Promise<ImageFacts> => {
    const parsed = parseImageReference(reference);
    if (parsed.host !== options.host) return { state: 'elsewhere' };
    const seen = observed.get(reference);
    if (seen) return labelsOf(parsed.repository, seen.digest, seen.manifest);
    const put = tagged.get(reference);
    if (put !== undefined && known.has(put)) return labelsOf(parsed.repository, put, undefined);
    counts.manifests += 1;
    const found = await limit(() => client.readManifest(parsed.repository, parsed.digest ?? parsed.tag ?? 'latest'));
    if (!found) return { state: 'missing' };
    return labelsOf(parsed.repository, found.digest, found.manifest);
  };

  return { counts, facts: onceByReference(read) };
}

/** Reads each reference once, however many entries name it: later askers share the first read. */
export function onceByReference(
  read: (reference: string) => Promise<ImageFacts>,
): (reference: string) => Promise<ImageFacts> {
  const byReference = new Map<string, Promise<ImageFacts>>();
  return (reference) => {
    let pending = byReference.get(reference);
    if (!pending) byReference.set(reference, (pending = read(reference)));
    return pending;
  };
}
