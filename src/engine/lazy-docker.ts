import type Docker from 'dockerode';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);

/** Node's CommonJS loader, whose `_load` every `require` goes through. */
interface CommonJsLoader {
  _load: (request: string, parent: { filename?: string } | undefined, isMain: boolean) => unknown;
}

/**
 * Modules of dockerode that are one function each, used by what an engine on a local socket never does: the SSH
 * transport (docker-modem's `./ssh`, with ssh2) and the BuildKit session (dockerode's `./session`, with gRPC). They
 * are most of dockerode's load: about 85 of 110 ms.
 */
const whenCalled = [
  { request: './ssh', package: 'docker-modem' },
  { request: './session', package: 'dockerode' },
];

/**
 * dockerode, with the modules of `whenCalled` loaded the first time their function is called: while dockerode
 * loads, a `require` of one of them gets a function that loads the module then and calls it.
 */
export function loadDockerode(): new () => Docker {
  const loader = require('node:module') as CommonJsLoader;
  const original = loader._load;
  loader._load = function (request, parent, isMain) {
    const from = parent?.filename ?? '';
    const deferred = whenCalled.some(
      (item) => item.request === request && from.includes(`${path.sep}${item.package}${path.sep}`),
    );
    if (!deferred) return original.call(loader, request, parent, isMain);
    let real: ((...args: unknown[]) => unknown) | undefined;
    return (...args: unknown[]) =>
      (real ??= original.call(loader, request, parent, isMain) as (...args: unknown[]) => unknown)(...args);
  };
  try {
    return require('dockerode') as new () => Docker;
  } finally {
    loader._load = original;
  }
}

const loaders = new WeakMap<Docker, () => Docker>();

/**
 * A Docker engine client that loads dockerode (about 25 ms, see loadDockerode) the first time it is used: a run that
 * needs no engine (a no-op, images assembled in the registry, a catalog) never pays for it.
 */
export function lazyDocker(): Docker {
  let engine: Docker | undefined;
  const load = (): Docker => {
    if (!engine) {
      const DockerClient = loadDockerode();
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
