import type { Flavor, WorkerFolder } from '../definitions/types.js';
import type { Problem } from '../errors/problem.js';

/** A flavor's image to test on one platform. */
export interface FolderImage {
  image: string;
  flavor: Flavor;
  /**
   * The image is not in the engine yet: the engine has `like`, an image of the same list with the same filesystem
   * (platform, layers, environment, user, working directory), and only the entry point differs (the flavors of a
   * folder assembled in the registry). A batch runs its job in `like`'s container with its own entry point; `pull`
   * brings the image itself into the engine when it must run in a container of its own.
   */
  deferred?: { like: string; entrypoint: string[]; pull: () => Promise<void> };
}

export interface SmokeVerdict {
  passed: boolean;
  problem?: Problem;
}

/** Runs a built flavor image before it may be pushed; a failing image is never pushed. */
export type SmokeTester = ((image: string, worker: WorkerFolder, flavor: Flavor) => Promise<SmokeVerdict>) & {
  /**
   * The flavors of one folder on one platform, tested together (one container where their images share a
   * filesystem); one verdict per image, in order. Without it, each image is tested alone.
   */
  folder?: (
    images: FolderImage[],
    worker: WorkerFolder,
    /** This platform runs under emulation and every flavor is tested on the engine's own in the same run. */
    emulated?: { platform: string; native: string },
  ) => Promise<SmokeVerdict[]>;
  /**
   * Told that tests will run soon, with images the engine may have already (the run's base images): what the tester
   * keeps for the run (its namespace without network) can start meanwhile.
   */
  warm?: (images: string[]) => void;
  /** Ends what the tester keeps for the run (a shared network namespace). */
  close?: () => Promise<void>;
};
