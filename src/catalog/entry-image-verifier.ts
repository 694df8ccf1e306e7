import type { ResolvedRegistry } from '../config/load-config.js';
import { describeClaim, type WorkerIdentity } from '../images/worker-labels.js';
import { parseImageReference } from '../images/reference.js';
import type { RegistryClientPool } from '../registry/client-pool.js';
import { backs } from './choose-entry.js';
import { createImageVerifier, type ImageVerifier, type KnownImage } from './image-facts.js';
import type { EntryImageCheck, EntryImageVerifier } from './refresh-catalogs.js';

/**
 * Checks that a published entry's image is that worker at that version, by its labels, in its registry, with the
 * credentials of the configured registry of that host. An image on a registry the configuration does not name
 * cannot be checked: it does not verify. `known`: digests already verified (by the previous index), not read again.
 */
export function registryEntryVerifier(
  registries: ResolvedRegistry[],
  clients: RegistryClientPool,
  known: KnownImage[],
): EntryImageVerifier {
  const verifiers = new Map<string, ImageVerifier>();
  const sum = (field: 'manifests' | 'labelled' | 'known'): number =>
    [...verifiers.values()].reduce((total, verifier) => total + verifier.counts[field], 0);
  const check = async (reference: string, expected: WorkerIdentity): Promise<EntryImageCheck> => {
    const { host } = parseImageReference(reference);
    const registry = registries.find((candidate) => candidate.host === host);
    if (!registry)
      return {
        ok: false,
        code: 'CATALOG_IMAGE_UNVERIFIABLE',
        reason: `${host} is not a registry of the configuration, so its image cannot be checked`,
      };
    let verifier = verifiers.get(host);
    if (!verifier)
      verifiers.set(
        host,
        (verifier = createImageVerifier({ client: clients.for(registry), host, known, concurrency: 16 })),
      );
    const facts = await verifier.facts(reference);
    switch (facts.state) {
      case 'missing':
        return { ok: false, code: 'CATALOG_IMAGE_MISSING', reason: 'the image is not in the registry' };
      case 'elsewhere':
        return { ok: false, code: 'CATALOG_IMAGE_UNVERIFIABLE', reason: 'the image is on another registry' };
      case 'unreadable':
        return { ok: false, code: 'CATALOG_IMAGE_MISMATCH', reason: `the image cannot be verified (${facts.reason})` };
      case 'labelled': {
        const { claim, digest } = facts;
        if (backs(facts, expected))
          return { ok: true, digest, verified: true, ...(facts.recorded ? { recorded: facts.recorded } : {}) };
        return {
          ok: false,
          code: 'CATALOG_IMAGE_MISMATCH',
          reason: `the image is ${describeClaim(claim)} by its labels, not ${describeClaim(expected)}`,
        };
      }
    }
  };
  return {
    check,
    get counts() {
      return { manifests: sum('manifests'), labelled: sum('labelled'), known: sum('known') };
    },
  };
}
