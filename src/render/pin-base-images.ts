import type { BaseRuntime, Config } from '../config/load-config.js';
import { NeuronsError } from '../errors/neurons-error.js';
import { parseImageReference, pinnedReference } from '../images/reference.js';
import { RegistryClient } from '../registry/client.js';

export type BaseImages = Record<BaseRuntime, string | undefined>;

/**
 * Resolves each configured base image to `name:tag@sha256:...` through the registry API (no pull), so a base that
 * moves under the same tag changes the rendered Dockerfile and so the build inputs. `offline` keeps the tags.
 */
export async function pinBaseImages(config: Config, offline: boolean): Promise<BaseImages> {
  if (offline) return { ...config.baseImages };
  const pinned: BaseImages = { python: undefined, go: undefined, node: undefined };
  const clients = new Map<string, RegistryClient>();
  try {
    for (const [runtime, reference] of Object.entries(config.baseImages) as Array<[BaseRuntime, string | undefined]>) {
      if (!reference) continue;
      const parsed = parseImageReference(reference);
      if (parsed.digest) {
        pinned[runtime] = reference;
        continue;
      }
      let client = clients.get(parsed.host);
      if (!client) {
        // A base in one of our registries is read with that registry's credentials and CA; any other anonymously.
        const registry = config.registries.find((candidate) => candidate.host === parsed.host);
        client = new RegistryClient({
          host: parsed.host,
          ca: registry?.ca ?? [],
          plainHttp: registry?.plainHttp ?? false,
          ...(registry?.credentials ? { credentials: registry.credentials } : {}),
        });
        clients.set(parsed.host, client);
      }
      const manifest = await client.headManifest(parsed.repository, parsed.tag ?? 'latest');
      if (!manifest?.digest) {
        throw new NeuronsError({
          code: 'RENDER_BASE_NOT_FOUND',
          message: `base image ${reference} (${runtime}) is not in its registry`,
          hint: `push it, point baseImages.${runtime} at an existing image, or use --offline to keep the tag unpinned`,
        });
      }
      pinned[runtime] = pinnedReference(reference, manifest.digest);
    }
  } finally {
    await Promise.all([...clients.values()].map((client) => client.close()));
  }
  return pinned;
}
