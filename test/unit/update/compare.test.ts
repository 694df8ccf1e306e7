import { describe, expect, it } from 'vitest';
import { compareWorkers, countChanges, needsPull, type InstalledWorker } from '../../../src/update/compare.js';
import type { CatalogWorker } from '../../../src/update/entries.js';

const installed = (name: string, version: string, extra: Partial<InstalledWorker> = {}): InstalledWorker => ({
  kind: 'analyzer',
  id: `${name}_${version.replaceAll('.', '_')}`,
  name,
  version,
  image: `r.example/ns/${name}:${version}`,
  pulled: true,
  ...extra,
});
const offered = (name: string, version: string, extra: Partial<CatalogWorker> = {}): CatalogWorker => ({
  kind: 'analyzer',
  id: `${name}_${version.replaceAll('.', '_')}`,
  name,
  version,
  catalogImage: `r.example/ns/${name}:${version}`,
  image: `r.example/ns/${name}:${version}`,
  digest: undefined,
  catalog: 'analyzers.json',
  ...extra,
});

describe('comparing a catalog with the last update', () => {
  it('sorts workers into added, upgraded, downgraded, changed, unchanged and removed', () => {
    const before = [
      installed('Up', '1.9'),
      installed('Down', '2.0'),
      installed('Same', '1.0'),
      installed('Rebuilt', '1.0', { digest: 'sha256:a' }),
      installed('Gone', '1.0'),
    ];
    const after = [
      offered('Up', '1.10'),
      offered('Down', '1.5'),
      offered('Same', '1.0'),
      offered('Rebuilt', '1.0', { digest: 'sha256:b' }),
      offered('New', '0.1'),
    ];
    const changes = compareWorkers(before, after);
    expect(Object.fromEntries(changes.map((change) => [change.name, change.change]))).toEqual({
      Up: 'upgraded',
      Down: 'downgraded',
      Same: 'unchanged',
      Rebuilt: 'changed',
      New: 'added',
      Gone: 'removed',
    });
    expect(changes.find((change) => change.name === 'Up')?.previous?.version).toBe('1.9');
    expect(countChanges(changes)).toEqual({
      added: 1,
      upgraded: 1,
      downgraded: 1,
      changed: 1,
      unchanged: 1,
      removed: 1,
    });
  });

  it('compares versions numerically and tells 1.0 from 1.0.0 without calling it an upgrade', () => {
    expect(compareWorkers([installed('A', '1.2')], [offered('A', '1.10')])[0]?.change).toBe('upgraded');
    expect(compareWorkers([installed('A', '1.0')], [offered('A', '1.0.0')])[0]?.change).toBe('changed');
  });

  it('keeps analyzers and responders of the same name apart', () => {
    const changes = compareWorkers([installed('X', '1.0')], [offered('X', '1.0', { kind: 'responder' })]);
    expect(changes.map((change) => `${change.kind}:${change.change}`).sort()).toEqual([
      'analyzer:removed',
      'responder:added',
    ]);
  });

  it('counts a new image at the same version (another prefix) as changed', () => {
    expect(
      compareWorkers([installed('A', '1.0')], [offered('A', '1.0', { image: 'mirror.example/ns/A:1.0' })])[0]?.change,
    ).toBe('changed');
  });

  it('pulls what changed, and what an update without --pull left unpulled', () => {
    const [unchanged] = compareWorkers([installed('A', '1.0')], [offered('A', '1.0')]);
    expect(unchanged && needsPull(unchanged, installed('A', '1.0'))).toBe(false);
    expect(unchanged && needsPull(unchanged, installed('A', '1.0', { pulled: false }))).toBe(true);
    const [removed] = compareWorkers([installed('A', '1.0')], []);
    expect(removed && needsPull(removed, undefined)).toBe(false);
  });
});
