import gt from 'semver/functions/gt.js';
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
import type { ManifestInfo, RegistryClient } from '../registry/client.js';
import type { ObservedManifest, ParsedManifest } from '../registry/manifest.js';
import type { ImageTarget } from './build-plan.js';

export type FlavorAction = 'build' | 'skip' | 'refuse';

export interface FlavorDecision {
  action: FlavorAction;
  reasons: Array<RebuildReason | 'missing-tags'>;
  /** Per target, the tags to push (a moving tag already on a higher version is left where it is). */
  pushes: Array<{ target: ImageTarget; tags: string[] }>;
  problem?: Problem;
  /** The tags read to decide, with what they named: the catalog stage reuses them for a flavor left alone. */
  observed?: ObservedManifest[];
  /**
   * For a build: the image this flavor's tags named before (its exact tag's, else a moving tag's), by digest in the
   * target it was read from. Its layers are mostly the new image's: pulled while the new one is assembled, it warms
   * an empty engine for the smoke test.
   */
  previous?: { target: ImageTarget; digest: string };
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
  return Boolean(theirs && mine && gt(theirs, mine));
}

/** An exact version published with other content: refused (TAG_IMMUTABLE); `reasons` undefined: not ours. */
function refusal(flavor: Flavor, reference: string, reasons: RebuildReason[] | undefined): FlavorDecision {
  return {
    action: 'refuse',
    reasons: reasons ?? ['new'],
    pushes: [],
    problem: {
      code: 'TAG_IMMUTABLE',
      file: flavor.file,
      message: `${reference} is already published with other build inputs (${reasons ? reasons.join(', ') : 'not built by neurons'})`,
      hint: 'published versions are immutable: bump `version` in the definition, or pass --force to overwrite',
    },
  };
}

/** The exact tag as read, and the moving tags whose HEAD named the same manifest. */
function observedTags(
  target: ImageTarget,
  found: { digest: string; manifest: ParsedManifest },
  movingHeads: Array<{ digest: string } | undefined>,
): ObservedManifest[] {
  const [exact = '', ...moving] = target.tags;
  return [exact, ...moving.filter((_, index) => movingHeads[index]?.digest === found.digest)].map((tag) => ({
    reference: `${target.repository}:${tag}`,
    ...found,
  }));
}

/** The build-input digest an index records in its annotations (assembled images), if any. */
function indexRecord(manifest: ParsedManifest | undefined): string | undefined {
  return manifest?.kind === 'index' ? manifest.annotations?.[buildInputLabel] : undefined;
}

/**
 * Same inputs under the exact tag (`digest`): the moving tags that do not point at it yet, and not at a higher
 * version. A HEAD said where each points; a tag's configuration is read only when it points elsewhere.
 */
async function missingTags(
  client: RegistryClient,
  repository: string,
  flavor: Flavor,
  moving: string[],
  heads: Array<{ digest: string } | undefined>,
  digest: string | undefined,
): Promise<string[]> {
  const missing: string[] = [];
  for (const [index, tag] of moving.entries()) {
    if (heads[index]?.digest === digest) continue;
    const current = await client.getImageConfig(repository, tag);
    if (!isHigher(current?.config.config?.Labels?.['org.opencontainers.image.version'], flavor.definition.version))
      missing.push(tag);
  }
  return missing;
}

/** What a target's tags name: the exact tag's manifest as read, and a HEAD of each moving tag. */
export interface TargetTags {
  found: { digest: string; manifest: ParsedManifest } | undefined;
  movingHeads: Array<ManifestInfo | undefined>;
}

/**
 * The exact tag's manifest and where each moving tag points, read at once. Needs nothing of the build inputs: a run
 * may read them while it computes those (see checkByDigest).
 */
export async function readTargetTags(client: RegistryClient, target: ImageTarget): Promise<TargetTags> {
  const [exact = '', ...moving] = target.tags;
  const [found, movingHeads] = await Promise.all([
    client.readManifest(target.path, exact),
    Promise.all(moving.map((tag) => client.headManifest(target.path, tag))),
  ]);
  return { found, movingHeads };
}

/**
 * Decides, from the registry alone (manifests and image configs, no pull), what one flavor needs: nothing when its
 * exact tag already carries the same build-input digest and every other tag points at it; a build otherwise. An
 * exact version published with other inputs is immutable on the stable channel unless forced. `tags` gives what a
 * target's tags name when the caller read them already (readTargetTags).
 */
export async function decideFlavor(
  flavor: Flavor,
  targets: ImageTarget[],
  inputs: BuildInputs,
  clients: RegistryClientPool,
  options: { channel: Channel; force: boolean; tags?: (target: ImageTarget) => Promise<TargetTags> },
): Promise<FlavorDecision> {
  const observed: ObservedManifest[] = [];
  const decision: FlavorDecision = { action: 'skip', reasons: [], pushes: [], observed };
  for (const target of targets) {
    const client = clients.for(target.registry);
    const [exact = '', ...moving] = target.tags;
    const { found, movingHeads } = await (options.tags?.(target) ?? readTargetTags(client, target));
    if (found) observed.push(...observedTags(target, found, movingHeads));
    // An assembled image's index records its build-input digest: the same one decides without its configuration.
    if (!options.force && indexRecord(found?.manifest) === inputs.digest && found) {
      const missing = await missingTags(client, target.path, flavor, moving, movingHeads, found.digest);
      if (missing.length > 0) {
        decision.pushes.push({ target, tags: missing });
        if (!decision.reasons.includes('missing-tags')) decision.reasons.push('missing-tags');
      }
      continue;
    }
    const published = await client.configOf(target.path, found);
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
      return refusal(flavor, `${target.repository}:${exact}`, previous ? reasons : undefined);
    }
    if (!same || options.force) {
      const before = published?.digest ?? movingHeads.find((head) => head !== undefined)?.digest;
      if (before && !decision.previous) decision.previous = { target, digest: before };
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
    const missing = await missingTags(client, target.path, flavor, moving, movingHeads, published?.digest);
    if (missing.length > 0) {
      decision.pushes.push({ target, tags: missing });
      if (!decision.reasons.includes('missing-tags')) decision.reasons.push('missing-tags');
    }
  }
  if (decision.pushes.length > 0) decision.action = 'build';
  return decision;
}
