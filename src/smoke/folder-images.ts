import type Docker from 'dockerode';
import {
  inspectSmokeImage,
  smokeTestFlavor,
  type ImageFacts,
  type SmokeOptions,
  type SmokeResult,
} from './smoke-test.js';
import type { Flavor } from '../definitions/types.js';
import type { Problem } from '../errors/problem.js';
import type { FolderImage } from './tester.js';

/** What the tests of a folder's images need here: SmokeOptions less the one image and flavor. */
type AloneOptions = Omit<SmokeOptions, 'image' | 'flavor'>;

/**
 * What the engine says of each image (undefined where it cannot be inspected); a deferred image is described by the
 * image it is like, with its own entry point.
 */
export async function factsOf(docker: Docker, images: FolderImage[]): Promise<(ImageFacts | undefined)[]> {
  const inspected = new Map<string, Promise<ImageFacts | undefined>>();
  const inspect = (image: string) => {
    let found = inspected.get(image);
    if (!found) {
      found = inspectSmokeImage(docker, image).catch(() => undefined);
      inspected.set(image, found);
    }
    return found;
  };
  return Promise.all(
    images.map(async ({ image, deferred }) => {
      if (!deferred) return inspect(image);
      const like = await inspect(deferred.like);
      return like && { ...like, entrypoint: deferred.entrypoint };
    }),
  );
}

/**
 * A flavor's test in a container of its own, its image pulled first when it is not in the engine yet (a pull that
 * fails is the flavor's failed test).
 */
export async function testAlone(docker: Docker, options: AloneOptions, item: FolderImage): Promise<SmokeResult> {
  const { image, flavor, deferred } = item;
  if (deferred) {
    try {
      await deferred.pull();
    } catch (error) {
      const problem = pullFailure(flavor, `the image ${image}`, error);
      return {
        flavorId: flavor.id,
        image,
        kind: 'generated-job',
        passed: false,
        cases: [{ name: 'pull', passed: false, detail: problem.message }],
        durationMs: 0,
        problem,
      };
    }
  }
  return smokeTestFlavor(docker, { ...options, image, flavor });
}

/** A flavor's failed test when its image (`subject`) could not be pulled into the engine. */
export function pullFailure(flavor: Pick<Flavor, 'file'>, subject: string, error: unknown): Problem {
  return {
    code: 'SMOKE_PULL_FAILED',
    file: flavor.file,
    message: `${subject} could not be pulled for its test: ${(error as Error).message}`,
    hint: 'check the engine can reach and trusts the registry (`neurons ca trust-engine`)',
  };
}

/** An image of the group the engine has; the first pulled when none is there yet (none when that pull fails). */
export async function hostOf(group: FolderImage[]): Promise<string | undefined> {
  const present = group.find((item) => !item.deferred);
  if (present) return present.image;
  const [first] = group;
  if (!first?.deferred) return undefined;
  return first.deferred.pull().then(
    () => first.image,
    () => undefined,
  );
}
