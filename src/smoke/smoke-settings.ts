import type { SmokeSettings } from '../config/schema.js';

/**
 * How a worker's smoke test runs, from its settings (`workers.<Dir>.smoke`): without network unless it says it
 * needs it (then on the host's network, as jobs ran before: loopback services are reachable), and not at all when
 * it gives a reason to skip.
 */
export function smokeRunSettings(settings: SmokeSettings | undefined): { network: 'none' | 'host'; skip?: string } {
  return {
    network: settings?.network === true ? 'host' : 'none',
    ...(settings?.skip !== undefined ? { skip: settings.skip } : {}),
  };
}
