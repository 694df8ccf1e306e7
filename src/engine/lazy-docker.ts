import type Docker from 'dockerode';
import { createRequire } from 'node:module';

/**
 * A Docker engine client that loads dockerode (with its SSH and gRPC dependencies, about 190 ms) the first time it
 * is used: a run that needs no engine (a no-op, images assembled in the registry, a catalog) never pays for it.
 */
const loaders = new WeakMap<Docker, () => Docker>();

export function lazyDocker(): Docker {
  let engine: Docker | undefined;
  const load = (): Docker => {
    if (!engine) {
      const DockerClient = createRequire(import.meta.url)('dockerode') as new () => Docker;
      engine = new DockerClient();
    }
    return engine;
  };
  const client = new Proxy({} as Docker, {
    get(_target, property) {
      const real = load();
      const value: unknown = Reflect.get(real, property, real);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(real) : value;
    },
  });
  loaders.set(client, load);
  return client;
}

/**
 * Loads a lazy client's dockerode on the next turn of the event loop: for a run that will need the engine soon and
 * waits on the network meanwhile, so that its first engine call does not wait for the load. Any other client: nothing.
 * A load that fails here fails again, and is reported, where the engine is first used.
 */
export function preloadDocker(docker: Docker): void {
  const load = loaders.get(docker);
  if (!load) return;
  setImmediate(() => {
    try {
      load();
    } catch {
      // Reported by the first real use.
    }
  });
}
