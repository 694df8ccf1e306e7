import { writeFileAtomic } from '../util/atomic-file.js';
import { maskSecrets } from '../util/mask.js';
import type { PlatformManifest } from '../registry/platform-manifests.js';

/**
 * The `--metadata-file` document: every reference a run pushed, the digest it names and the image manifest of each
 * platform, for the tools that act on published images by digest (cosign, scanners). `complete` is false when a
 * flavor failed: the list is then what was published before (or beside) the failure.
 */
export interface ImageMetadata {
  version: 1;
  complete: boolean;
  images: Array<{ reference: string; digest: string; flavor: string; platforms: PlatformManifest[] }>;
}

interface PushedFlavor {
  id: string;
  status: string;
  images: Array<{ reference: string; digest: string; platforms?: PlatformManifest[] }>;
}

/** What was pushed: images with a digest (an image only built has none), in outcome order. */
export function imageMetadata(outcomes: PushedFlavor[]): ImageMetadata {
  return {
    version: 1,
    complete: outcomes.every((outcome) => outcome.status !== 'failed'),
    images: outcomes.flatMap((outcome) =>
      outcome.images
        .filter((image) => image.digest)
        .map((image) => ({
          reference: image.reference,
          digest: image.digest,
          flavor: outcome.id,
          platforms: image.platforms ?? [],
        })),
    ),
  };
}

/** `reference -> digest` of every image pushed: the `digests` step output. */
export function pushedDigests(outcomes: PushedFlavor[]): Record<string, string> {
  return Object.fromEntries(imageMetadata(outcomes).images.map((image) => [image.reference, image.digest]));
}

/** Written whole or not at all: a signing step never reads half a list. */
export async function writeImageMetadata(file: string, metadata: ImageMetadata): Promise<void> {
  await writeFileAtomic(file, `${maskSecrets(JSON.stringify(metadata, undefined, 2))}\n`);
}
