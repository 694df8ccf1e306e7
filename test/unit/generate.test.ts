import { cp, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { BuildSettings } from '../../src/engine-build/build-unit.js';
import { discoverRepository } from '../../src/definitions/discover.js';
import { compareDockerfiles, renderDockerfiles, writeDockerfiles } from '../../src/generate/generate-dockerfiles.js';
import { buildPlan } from '../../src/plan/build-plan.js';
import { readRepositorySource } from '../../src/render/source-info.js';
import { TemplateSet } from '../../src/render/templates.js';
import { testConfig } from '../helpers/config.js';
import { fixture } from '../helpers/environment.js';

async function render(repo: string): Promise<Map<string, string>> {
  const discovery = await discoverRepository(repo, { definitionsOnly: false });
  expect(discovery.errors).toEqual([]);
  const settings: BuildSettings = {
    config: testConfig,
    baseImages: testConfig.baseImages,
    templates: new TemplateSet(),
    source: await readRepositorySource(
      repo,
      discovery.workers.map((worker) => worker.path),
      { SOURCE_DATE_EPOCH: '1700000000' },
    ),
    registryAuth: {},
    assembly: { offline: true, push: false },
  };
  return (await renderDockerfiles(repo, buildPlan(repo, discovery, testConfig), settings)).files;
}

async function copyOfFixture(): Promise<string> {
  const repo = await mkdtemp(path.join(tmpdir(), 'neurons-generate-'));
  await cp(fixture, repo, { recursive: true });
  return repo;
}

describe('generated Dockerfiles of the fixture', () => {
  it('match their snapshots', async () => {
    const files = await render(await copyOfFixture());
    expect([...files.keys()]).toHaveLength(17);
    for (const [relative, content] of files)
      await expect(content).toMatchFileSnapshot(`__snapshots__/dockerfiles/${relative}`);
  });

  it('are byte-identical when rendered twice, and one worker changing changes no other', async () => {
    const repo = await copyOfFixture();
    const first = await render(repo);
    expect(await render(repo)).toEqual(first);
    await writeFile(path.join(repo, 'analyzers/FileTriage/filetriage.py'), '\n# one more line\n', { flag: 'a' });
    const second = await render(repo);
    const changed = [...second]
      .filter(([relative, content]) => first.get(relative) !== content)
      .map(([relative]) => relative);
    // The folder image's Dockerfile does not depend on code; its flavor's FROM names the new build-input digest.
    expect(changed).toEqual(['analyzers/FileTriage/FileTriage.Dockerfile']);
    // A definition-only change touches that flavor alone, not its siblings in the same folder.
    const definitionFile = path.join(repo, 'analyzers/HashCalc/HashCalc_MD5.json');
    await writeFile(
      definitionFile,
      (await readFile(definitionFile, 'utf8')).replace('"description": "', '"description": "Now: '),
    );
    const third = await render(repo);
    expect(
      [...third].filter(([relative, content]) => second.get(relative) !== content).map(([relative]) => relative),
    ).toEqual(['analyzers/HashCalc/HashCalc_MD5.Dockerfile']);
  });

  it('--check finds changed, missing and extra files', async () => {
    const files = await render(await copyOfFixture());
    const out = await mkdtemp(path.join(tmpdir(), 'neurons-out-'));
    await writeDockerfiles(out, files);
    expect(await compareDockerfiles(out, files, undefined)).toEqual({ changed: [], missing: [], extra: [] });
    await writeFile(path.join(out, 'analyzers/HashCalc/Dockerfile'), 'FROM tampered\n');
    await writeFile(path.join(out, 'analyzers/HashCalc/Old.Dockerfile'), 'FROM old\n');
    const trimmed = new Map(files);
    trimmed.set('analyzers/New/Dockerfile', 'FROM new\n');
    expect(await compareDockerfiles(out, trimmed, undefined)).toEqual({
      changed: ['analyzers/HashCalc/Dockerfile'],
      missing: ['analyzers/New/Dockerfile'],
      extra: ['analyzers/HashCalc/Old.Dockerfile'],
    });
    expect(await readFile(path.join(out, 'analyzers/UrlInspect/UrlInspect.Dockerfile'), 'utf8')).toBe(
      files.get('analyzers/UrlInspect/UrlInspect.Dockerfile'),
    );
  });
});
