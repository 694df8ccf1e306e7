import semver from 'semver';
import {
  buildComponentsLabel,
  buildInputLabel,
  definitionLabels,
  rebuildReasons,
  type BuildInputs,
  type InputComponents,
  type RebuildReason,
} from '../inputs/build-inputs.js';
import type { Channel } from '../config/load-config.js';
import type { Flavor } from '../definitions/types.js';
import type { Problem } from '../errors/problem.js';
import { coerceWorkerVersion } from '../definitions/version.js';
import type { RegistryClientPool } from '../registry/client-pool.js';
import type { ImageTarget } from './build-plan.js';

export type FlavorAction = 'build' | 'skip' | 'refuse';

export interface FlavorDecision {
  action: FlavorAction;
  reasons: Array<RebuildReason | 'missing-tags'>;
  /** Per target, the tags to push (a moving tag already on a higher version is left where it is). */
  pushes: Array<{ target: ImageTarget; tags: string[] }>;
  problem?: Problem;
}

export function parseComponents(label: string | undefined): Partial<InputComponents> | undefined {
  if (!label) return undefined;
  try {
    return JSON.parse(label) as Partial<InputComponents>;
  } catch {
    return undefined;
  }
}

function isHigher(published: string | undefined, ours: string): boolean {
  if (!published) return false;
  const theirs = coerceWorkerVersion(published);
  const mine = coerceWorkerVersion(ours);
  return Boolean(theirs && mine && semver.gt(theirs, mine));
}

/**
 * Decides, from the registry alone (manifests and image configs, no pull), what one flavor needs: nothing when its
 * exact tag already carries the same build-input digest and every other tag points at it; a build otherwise. An
 * exact version published with other inputs is immutable on the stable channel unless forced.
 */
export async function decideFlavor(
  flavor: Flavor,
  targets: ImageTarget[],
  inputs: BuildInputs,
  clients: RegistryClientPool,
  options: { channel: Channel; force: boolean },
): Promise<FlavorDecision> {
  const decision: FlavorDecision = { action: 'skip', reasons: [], pushes: [] };
  for (const target of targets) {
    const client = clients.for(target.registry);
    const [exact = '', ...moving] = target.tags;
    // The exact tag's configuration and where each moving tag points, read at once.
    const [published, movingHeads] = await Promise.all([
      client.getImageConfig(target.path, exact),
      Promise.all(moving.map((tag) => client.headManifest(target.path, tag))),
    ]);
    const labels = published?.config.config?.Labels ?? {};
    const same = labels[buildInputLabel] === inputs.digest;
    const previous = parseComponents(labels[buildComponentsLabel]);
    // A record older than the own-content components: its definition is compared as far as its labels carry it.
    const labelled =
      inputs.labelledDefinition && previous?.flavorDefinition === undefined
        ? { current: inputs.labelledDefinition, published: definitionLabels(labels) }
        : undefined;
    const reasons = rebuildReasons(inputs.components, previous, labelled);
    // Immutable means the worker's own content (its files and definition, see rebuildReasons): a new base image,
    // template, settings or dependencies (a refresh) may republish the same version; changed files or definition may
    // not. An image with no record of its inputs is not ours.
    const contentChanged = !previous || reasons.includes('files') || reasons.includes('definition');
    if (published && !same && contentChanged && options.channel === 'stable' && !options.force) {
      return {
        action: 'refuse',
        reasons: previous ? reasons : ['new'],
        pushes: [],
        problem: {
          code: 'TAG_IMMUTABLE',
          file: flavor.file,
          message: `${target.repository}:${exact} is already published with other build inputs (${previous ? reasons.join(', ') : 'not built by neurons'})`,
          hint: 'published versions are immutable: bump `version` in the definition, or pass --force to overwrite',
        },
      };
    }
    if (!same || options.force) {
      if (decision.reasons.length === 0)
        decision.reasons.push(...(options.force && same ? ['forced' as const] : reasons));
      const keep: string[] = [];
      for (const [index, tag] of moving.entries()) {
        // Pointing at this version's previous image (or at nothing): it moves; otherwise its version decides.
        const head = movingHeads[index];
        if (!head || head.digest === published?.digest) {
          keep.push(tag);
          continue;
        }
        const current = await client.getImageConfig(target.path, tag);
        if (!isHigher(current?.config.config?.Labels?.['org.opencontainers.image.version'], flavor.definition.version))
          keep.push(tag);
      }
      decision.pushes.push({ target, tags: [exact, ...keep] });
      continue;
    }
    // Same inputs under the exact tag: only moving tags that do not point at it yet (and not at a higher version).
    const missing: string[] = [];
    for (const [index, tag] of moving.entries()) {
      // A HEAD says whether the tag already points at this image; its configuration is read only when it does not.
      if (movingHeads[index]?.digest === published?.digest) continue;
      const current = await client.getImageConfig(target.path, tag);
      if (!isHigher(current?.config.config?.Labels?.['org.opencontainers.image.version'], flavor.definition.version))
        missing.push(tag);
    }
    if (missing.length > 0) {
      decision.pushes.push({ target, tags: missing });
      if (!decision.reasons.includes('missing-tags')) decision.reasons.push('missing-tags');
    }
  }
  if (decision.pushes.length > 0) decision.action = 'build';
  return decision;
}
