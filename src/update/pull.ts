import type Docker from 'dockerode';
import { parseImageReference } from '../images/reference.js';
import { pullImage } from '../runner/pull-image.js';
import { retryEngineTransfer } from '../transport/engine-failure.js';
import { createLimiter } from '../util/limit.js';
import { maskSecrets } from '../util/mask.js';

/** Pulls one image and returns its `RepoDigests` afterwards. Throws when the pull fails. */
export interface ImagePuller {
  pull(image: string): Promise<string[]>;
}

/**
 * Through the Docker engine, with the credentials the Docker client stored for the image's registry; a pull that
 * failed on a transient registry error is asked again (`log` hears each retry).
 */
export function dockerPuller(docker: Docker, env: NodeJS.ProcessEnv, log?: (line: string) => void): ImagePuller {
  return {
    async pull(image) {
      await retryEngineTransfer(`pull of ${image}`, () => pullImage(docker, image, env), { log });
      const inspected = await docker.getImage(image).inspect();
      return inspected.RepoDigests ?? [];
    },
  };
}

export interface PullReport {
  image: string;
  /** Worker ids using the image. */
  workers: string[];
  status: 'pulled' | 'failed';
  /** The digest the signed index gives; undefined: nothing to check against. */
  expected: string | undefined;
  /** Whether `RepoDigests` holds the expected digest for this repository; undefined when not checked. */
  digestMatches: boolean | undefined;
  repoDigests: string[];
  error?: string;
}

/** Whether `repoDigests` has `expected` for the image's own repository (host and path compared as the engine parses them). */
export function hasRepoDigest(image: string, repoDigests: string[], expected: string): boolean {
  const wanted = parseImageReference(image);
  return repoDigests.some((entry) => {
    const found = parseImageReference(entry);
    return found.host === wanted.host && found.repository === wanted.repository && found.digest === expected;
  });
}

/** Pulls each image (four at a time) and checks its digest; every image gets a report, failed or not. */
export async function pullImages(
  puller: ImagePuller,
  images: Array<{ image: string; workers: string[]; expected: string | undefined }>,
): Promise<PullReport[]> {
  const limit = createLimiter(4);
  return Promise.all(
    images.map((target) =>
      limit(async (): Promise<PullReport> => {
        const base = { image: target.image, workers: target.workers, expected: target.expected };
        let repoDigests: string[];
        try {
          repoDigests = await puller.pull(target.image);
        } catch (error) {
          return {
            ...base,
            status: 'failed',
            digestMatches: undefined,
            repoDigests: [],
            error: maskSecrets((error as Error).message),
          };
        }
        if (target.expected === undefined) return { ...base, status: 'pulled', digestMatches: undefined, repoDigests };
        const digestMatches = hasRepoDigest(target.image, repoDigests, target.expected);
        return digestMatches
          ? { ...base, status: 'pulled', digestMatches, repoDigests }
          : {
              ...base,
              status: 'failed',
              digestMatches,
              repoDigests,
              error: `pulled, but its digests (${repoDigests.join(', ') || 'none'}) do not include ${target.expected} from the signed index`,
            };
      }),
    ),
  );
}
