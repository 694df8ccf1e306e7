import {
  prepareFolderBuild,
  unitKey,
  type BuildSettings,
  type PreparedFolderBuild,
} from '../engine-build/build-unit.js';
import type { BuildUnit } from '../plan/build-plan.js';
import { decideLocalFlavor, type EngineInspect } from '../plan/decide-local.js';
import type { FlavorDecision } from '../plan/decide.js';
import { createLimiter } from '../util/limit.js';
import type { Detection } from './detect.js';

/**
 * Detection of a local run (`--local`): every flavor's build inputs compared with the labels of the image its exact
 * tag names in the engine's image store. No git, no registry: the engine holds the truth of what was built.
 */
export async function detectLocal(options: {
  repo: string;
  units: BuildUnit[];
  settings: BuildSettings;
  inspect: EngineInspect;
  force: boolean;
}): Promise<Detection> {
  const decisions = new Map<string, FlavorDecision>();
  const prepared = new Map<string, PreparedFolderBuild>();
  const limit = createLimiter(8);
  let digestChecks = 0;
  await Promise.all(
    options.units.map((unit) =>
      limit(async () => {
        const ready = await prepareFolderBuild(options.repo, unit, options.settings);
        prepared.set(unitKey(unit), ready);
        for (const { flavor, targets, inputs } of ready.flavors) {
          digestChecks += 1;
          decisions.set(flavor.id, await decideLocalFlavor(options.inspect, targets, inputs, { force: options.force }));
        }
      }),
    ),
  );
  const rebuild: Detection['rebuild'] = [];
  let unchanged = 0;
  for (const unit of options.units) {
    const flavors = unit.flavors.filter(({ flavor }) => decisions.get(flavor.id)?.action === 'build');
    unchanged += unit.flavors.length - flavors.length;
    if (flavors.length === 0) continue;
    const reasons = new Set(flavors.flatMap(({ flavor }) => decisions.get(flavor.id)?.reasons ?? []));
    rebuild.push({
      kind: unit.worker.kind,
      directory: unit.worker.directory,
      path: unit.worker.path,
      flavors: flavors.map(({ flavor }) => flavor.definition.name),
      reasons: [...reasons],
      refused: [],
    });
  }
  return {
    mode: 'digest',
    source: { kind: 'none', note: '--local: build inputs compared with the images in the engine' },
    rebuild,
    removed: [],
    unchanged,
    decisions,
    digestChecks,
    prepared,
  };
}
