import type { Flavor, WorkerFolder } from '../definitions/types.js';
import type { Problem } from '../errors/problem.js';

/** Runs a built flavor image before it may be pushed; a failing image is never pushed. */
export type SmokeTester = (
  image: string,
  worker: WorkerFolder,
  flavor: Flavor,
) => Promise<{ passed: boolean; problem?: Problem }>;
