import { buildComponentsLabel, buildInputLabel, rebuildReasons, type BuildInputs } from '../inputs/build-inputs.js';
import type { ImageTarget } from './build-plan.js';
import { parseComponents, type FlavorDecision } from './decide.js';

/** What the engine's image store says of one reference: its image id and labels, or nothing. */
export type EngineImage = { id: string; labels: Record<string, string> } | undefined;

/** Reads one reference from the engine's image store (`docker image inspect`). */
export type EngineInspect = (reference: string) => Promise<EngineImage>;

/**
 * Decides one flavor of a local run (`--local`) from the engine's image store alone: nothing when its exact tag
 * already carries the same build-input digest and every other tag names the same image; a build otherwise (with
 * every tag). The engine is the builder's own: no version is immutable there.
 */
export async function decideLocalFlavor(
  inspect: EngineInspect,
  targets: ImageTarget[],
  inputs: BuildInputs,
  options: { force: boolean },
): Promise<FlavorDecision> {
  const decision: FlavorDecision = { action: 'skip', reasons: [], pushes: [] };
  for (const target of targets) {
    const [exact = '', ...moving] = target.tags;
    const [found, ...others] = await Promise.all(
      [exact, ...moving].map((tag) => inspect(`${target.repository}:${tag}`)),
    );
    const labels = found?.labels ?? {};
    const same = found !== undefined && labels[buildInputLabel] === inputs.digest;
    const tagsApart = others.some((other) => other?.id !== found?.id);
    if (same && !options.force && !tagsApart) continue;
    const reasons: FlavorDecision['reasons'] = !same
      ? rebuildReasons(inputs.components, found ? parseComponents(labels[buildComponentsLabel]) : undefined)
      : options.force
        ? ['forced']
        : ['missing-tags'];
    for (const reason of reasons) if (!decision.reasons.includes(reason)) decision.reasons.push(reason);
    decision.pushes.push({ target, tags: target.tags });
  }
  if (decision.pushes.length > 0) decision.action = 'build';
  return decision;
}

/** The engine's answer for one reference: absent (404) is `undefined`; any other failure is the engine's. */
export function engineInspect(docker: {
  getImage(reference: string): {
    inspect(): Promise<{ Id: string; Config?: { Labels?: Record<string, string> | null } }>;
  };
}): EngineInspect {
  return async (reference) => {
    try {
      const image = await docker.getImage(reference).inspect();
      return { id: image.Id, labels: image.Config?.Labels ?? {} };
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode === 404) return undefined;
      throw error;
    }
  };
}
