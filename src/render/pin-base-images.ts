import type { BaseRuntime, Config } from '../config/load-config.js';
import { NeuronsError } from '../errors/neurons-error.js';
import { parseImageReference, pinnedReference } from '../images/reference.js';
import { registryClientFor, type RegistryClientPool } from '../registry/client-pool.js';
import type { RegistryClient } from '../registry/client.js';

export type BaseImages = Record<BaseRuntime, string | undefined>;

/**
 * Resolves each configured base image to `name:tag@sha256:...` through the registry API (no pull), so a base that
 * moves under the same tag changes the rendered Dockerfile and so the build inputs. `offline` keeps the tags.
 * A base in one of the configured registries is read through the run's client for it (its credentials, CA,
 * connections and tokens, shared with the digest checks that follow); any other anonymously. All at once.
 * For a multi-platform base (an index, as the environment's are), the digest is the index's: `docker build` picks its
 * own platform from it, and a new image for any platform changes the pin.
 */
export async function pinBaseImages(
  config: Config,
  offline: boolean,
  clients: RegistryClientPool | undefined,
): Promise<BaseImages> {
  if (offline) return { ...config.baseImages };
  const pinned: BaseImages = { python: undefined, go: undefined, node: undefined };
  // Clients made here (no pool, or a host no registry is configured for), closed at the end.
  const own = new Map<string, RegistryClient>();
  const clientFor = (host: string): RegistryClient => {
    const registry = config.registries.find((candidate) => candidate.host === host);
    if (registry && clients) return clients.for(registry);
    let client = own.get(host);
    if (!client) {
      client = registryClientFor(
        registry ?? { host, ca: config.trust.caPems, plainHttp: false, insecure: false, credentials: undefined },
      );
      own.set(host, client);
    }
    return client;
  };
  const wanted = (Object.entries(config.baseImages) as Array<[BaseRuntime, string | undefined]>).flatMap(
    ([runtime, reference]) => (reference ? [{ runtime, reference, parsed: parseImageReference(reference) }] : []),
  );
  try {
    const byClient = new Map<RegistryClient, string[]>();
    for (const { parsed } of wanted.filter((item) => !item.parsed.digest)) {
      const client = clientFor(parsed.host);
      byClient.set(client, [...(byClient.get(client) ?? []), parsed.repository]);
    }
    await Promise.all([...byClient].map(([client, repositories]) => client.authorize(repositories)));
    await Promise.all(
      wanted.map(async ({ runtime, reference, parsed }) => {
        if (parsed.digest) {
          pinned[runtime] = reference;
          return;
        }
        const manifest = await clientFor(parsed.host).headManifest(parsed.repository, parsed.tag ?? 'latest');
        if (!manifest?.digest) {
          throw new NeuronsError({
            code: 'RENDER_BASE_NOT_FOUND',
            message: `base image ${reference} (${runtime}) is not in its registry`,
            hint: `push it, point baseImages.${runtime} at an existing image, or use --offline to keep the tag unpinned`,
          });
        }
        pinned[runtime] = pinnedReference(reference, manifest.digest);
      }),
    );
  } finally {
    await Promise.all([...own.values()].map((client) => client.close()));
  }
  return pinned;
}
