import type Docker from 'dockerode';
import { createRequire } from 'node:module';

/**
 * A Docker engine client that loads dockerode (with its SSH and gRPC dependencies, about 190 ms) the first time it
 * is used: a run that needs no engine (a no-op, images assembled in the registry, a catalog) never pays for it.
 */
export function lazyDocker(): Docker {
  let engine: Docker | undefined;
  const load = (): Docker => {
    if (!engine) {
      const DockerClient = createRequire(import.meta.url)('dockerode') as new () => Docker;
      engine = new DockerClient();
    }
    return engine;
  };
  return new Proxy({} as Docker, {
    get(_target, property) {
      const real = load();
      const value: unknown = Reflect.get(real, property, real);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(real) : value;
    },
  });
}
