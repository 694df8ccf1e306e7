import { createRequire } from 'node:module';
import type * as Undici from 'undici';

/**
 * The parts of undici neurons uses, loaded without the rest. undici's entry module loads every dispatcher, fetch,
 * WebSocket, its mocks and caches: about 90 ms at each start of a run, where its agent and request API take about 30.
 * Its `fetch` (GitHub's client) is loaded from the entry module, the first time it is called.
 */
const load = createRequire(import.meta.url);
const Dispatcher = load('undici/lib/dispatcher/dispatcher') as { prototype: object };
// What undici's entry module does: the request API becomes a method of every dispatcher.
Object.assign(Dispatcher.prototype, load('undici/lib/api') as object);

export const Agent = load('undici/lib/dispatcher/agent') as typeof Undici.Agent;
export type { Dispatcher } from 'undici';

/** undici's `request(url, options)`: the same request, through `options.dispatcher`. */
export function request(
  url: string | URL,
  options: Omit<Undici.Dispatcher.RequestOptions, 'origin' | 'path' | 'method'> & {
    dispatcher: Undici.Dispatcher;
    method?: Undici.Dispatcher.HttpMethod;
  },
): Promise<Undici.Dispatcher.ResponseData> {
  const { dispatcher, ...rest } = options;
  const parsed = new URL(url);
  return dispatcher.request({
    ...rest,
    origin: parsed.origin,
    path: `${parsed.pathname}${parsed.search}`,
    method: options.method ?? (options.body ? 'PUT' : 'GET'),
  });
}

/** undici's `fetch`, loaded when first called. */
export async function fetch(
  input: Parameters<typeof Undici.fetch>[0],
  init: Parameters<typeof Undici.fetch>[1],
): ReturnType<typeof Undici.fetch> {
  const undici = (await import('undici')) as typeof Undici;
  return undici.fetch(input, init);
}
