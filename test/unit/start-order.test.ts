import { describe, expect, it } from 'vitest';
import type { PreparedFolderBuild } from '../../src/engine-build/build-unit.js';
import { startOrder } from '../../src/pipeline.js';
import type { BuildPlan } from '../../src/plan/build-plan.js';

/** A plan of `count` units; only the order is read from it. */
const planOf = (count: number) => ({ units: Array.from({ length: count }, () => ({})) }) as unknown as BuildPlan;

/** What startOrder reads of a prepared unit: the key of its dependency layer on each platform. */
const preparedWith = (...keys: (string | undefined)[]) =>
  ({
    dependencies: { resolved: { platforms: keys.map((key) => ({ key })) }, problem: undefined },
  }) as unknown as PreparedFolderBuild;

describe('startOrder', () => {
  it('starts first each unit on a dependency layer no unit before it has, then the others in plan order', () => {
    const prepared = [
      preparedWith('common-amd64', 'common-arm64'),
      preparedWith('common-amd64', 'common-arm64'),
      undefined,
      preparedWith(undefined),
      preparedWith('common-amd64', 'common-arm64'),
      // The last folder of the plan, alone with a heavy requirement: its install would otherwise end the run.
      preparedWith('heavy-amd64', 'heavy-arm64'),
      preparedWith('common-amd64', 'other-arm64'),
    ];
    expect(startOrder(planOf(prepared.length), prepared)).toEqual([0, 5, 6, 1, 2, 3, 4]);
  });
});
