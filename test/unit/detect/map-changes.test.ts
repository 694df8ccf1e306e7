import { cp, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { splitInvalidFlavors } from '../../../src/definitions/buildable.js';
import { discoverRepository } from '../../../src/definitions/discover.js';
import type { Discovery } from '../../../src/definitions/types.js';
import { mapChangesToWorkers } from '../../../src/detect/map-changes.js';
import type { ChangedFile } from '../../../src/detect/types.js';
import { testConfig } from '../../helpers/config.js';
import { fixture } from '../../helpers/environment.js';

describe('mapping changed files to workers', () => {
  let repo: string;
  let discovery: Discovery;
  beforeAll(async () => {
    repo = await mkdtemp(path.join(tmpdir(), 'neurons-map-'));
    await cp(fixture, repo, { recursive: true });
    discovery = await discoverRepository(repo, { definitionsOnly: false });
  });
  const map = (files: ChangedFile[], config = testConfig) => {
    const mapped = mapChangesToWorkers(files, discovery, config, repo);
    return {
      changed: Object.fromEntries(
        [...mapped.changed].map(([folder, change]) => [
          folder,
          Object.fromEntries([...change.flavors].map(([id, reasons]) => [id, [...reasons]])),
        ]),
      ),
      removed: mapped.removed,
      unrelated: mapped.unrelated,
    };
  };

  it('a code file concerns every flavor of its folder', () => {
    expect(map([{ status: 'modified', path: 'analyzers/HashCalc/hashcalc.py' }]).changed).toEqual({
      'analyzers/HashCalc': {
        HashCalc_MD5_1_0: ['files'],
        HashCalc_SHA1_1_0: ['files'],
        HashCalc_SHA256_1_1: ['files'],
      },
    });
  });

  it('a definition concerns its flavor only; a new one is new', () => {
    expect(
      map([
        { status: 'modified', path: 'analyzers/HashCalc/HashCalc_SHA1.json' },
        { status: 'added', path: 'analyzers/HashCalc/HashCalc_MD5.json' },
      ]).changed,
    ).toEqual({
      'analyzers/HashCalc': { HashCalc_SHA1_1_0: ['definition'], HashCalc_MD5_1_0: ['new'] },
    });
  });

  it('the configuration concerns everything; a template its users; a shared folder its declared users', () => {
    expect(Object.keys(map([{ status: 'modified', path: 'neurons.json' }]).changed)).toHaveLength(
      discovery.workers.length,
    );
    const config = {
      ...testConfig,
      templates: { python: path.join(repo, 'build/python.hbs') },
      workers: { UrlInspect: { uses: ['shared/js'] } },
    };
    expect(Object.keys(map([{ status: 'modified', path: 'build/python.hbs' }], config).changed).sort()).toEqual([
      'analyzers/EmailHeaders',
      'analyzers/FileTriage',
      'analyzers/HashCalc',
      'responders/TagCase',
    ]);
    expect(Object.keys(map([{ status: 'added', path: 'shared/js/util.js' }], config).changed)).toEqual([
      'analyzers/UrlInspect',
    ]);
  });

  it('a rename across folders concerns both sides; deleted and deprecated definitions are removed', () => {
    const mapped = map([
      {
        status: 'renamed',
        path: 'analyzers/FileTriage/signatures.py',
        previousPath: 'analyzers/UrlInspect/signatures.py',
      },
      { status: 'deleted', path: 'analyzers/Gone/Gone.json' },
      {
        status: 'renamed',
        path: 'responders/TagCase/Old.json.deprecated',
        previousPath: 'responders/TagCase/Old.json',
      },
    ]);
    expect(Object.keys(mapped.changed).sort()).toEqual([
      'analyzers/FileTriage',
      'analyzers/UrlInspect',
      'responders/TagCase',
    ]);
    expect(mapped.removed).toEqual([
      { file: 'analyzers/Gone/Gone.json', kind: 'analyzer', directory: 'Gone', folderRemoved: true },
      { file: 'responders/TagCase/Old.json', kind: 'responder', directory: 'TagCase', folderRemoved: false },
    ]);
  });

  it('a change outside every worker concerns nothing', () => {
    expect(
      map([
        { status: 'modified', path: 'README.md' },
        { status: 'modified', path: '.drone.yml' },
      ]),
    ).toEqual({ changed: {}, removed: [], unrelated: ['README.md', '.drone.yml'] });
  });

  it('the definition of a flavor left out for its errors concerns no other flavor', async () => {
    const broken = await mkdtemp(path.join(tmpdir(), 'neurons-map-'));
    await cp(fixture, broken, { recursive: true });
    const file = path.join(broken, 'analyzers/HashCalc/HashCalc_SHA1.json');
    await writeFile(file, (await readFile(file, 'utf8')).replace(/"version": "[^"]*"/, '"version": "latest"'));
    const buildable = splitInvalidFlavors(await discoverRepository(broken, { definitionsOnly: false })).discovery;
    const changed = (changedFile: string) =>
      [
        ...mapChangesToWorkers(
          [{ status: 'modified', path: changedFile }],
          buildable,
          testConfig,
          broken,
        ).changed.values(),
      ].map((change) => [...change.flavors.keys()]);
    expect(changed('analyzers/HashCalc/HashCalc_SHA1.json')).toEqual([]);
    expect(changed('analyzers/HashCalc/hashcalc.py')).toEqual([['HashCalc_MD5_1_0', 'HashCalc_SHA256_1_1']]);
  });
});
