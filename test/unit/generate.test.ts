import { execFileSync } from 'node:child_process';
import { cp, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { BuildSettings } from '../../src/engine-build/build-unit.js';
import { discoverRepository } from '../../src/definitions/discover.js';
import { compareDockerfiles, renderDockerfiles, writeDockerfiles } from '../../src/generate/generate-dockerfiles.js';
import { buildPlan } from '../../src/plan/build-plan.js';
import { readRepositorySource } from '../../src/render/source-info.js';
import { pageTemplate } from '../../src/catalog/html-page.js';
import { TemplateSet } from '../../src/render/templates.js';
import { testConfig } from '../helpers/config.js';
import { fixture } from '../helpers/environment.js';

const root = path.resolve(import.meta.dirname, '../..');

async function render(repo: string, templates = new TemplateSet()): Promise<Map<string, string>> {
  const discovery = await discoverRepository(repo, { definitionsOnly: false });
  expect(discovery.errors).toEqual([]);
  const settings: BuildSettings = {
    config: testConfig,
    baseImages: testConfig.baseImages,
    templates,
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

describe('templates compiled ahead (npm run build)', () => {
  it("render the fixture's Dockerfiles byte for byte as the compiler does, and only while their sources are current", async () => {
    const folder = await mkdtemp(path.join(tmpdir(), 'neurons-templates-'));
    execFileSync(process.execPath, [path.join(root, 'scripts/compile-validators.mjs'), folder]);
    const precompiled = new TemplateSet({}, { precompiled: path.join(folder, 'templates.cjs') });
    expect(precompiled.precompiled).toBe(true);
    const repo = await copyOfFixture();
    const compiled = await render(repo);
    expect(compiled.size).toBe(17);
    expect(await render(repo, precompiled)).toEqual(compiled);
    // A strict template's error is the compiler's own.
    const error = (templates: TemplateSet) => {
      try {
        return templates.render('python', {});
      } catch (caught) {
        return caught;
      }
    };
    expect(error(precompiled)).toEqual(error(new TemplateSet()));
    expect(error(precompiled)).toMatchObject({ code: 'RENDER_TEMPLATE_FAILED' });
    // Compiled from other sources (a stale build): not taken; nor with a template of the configuration.
    const stale = path.join(folder, 'stale.cjs');
    await writeFile(
      stale,
      (await readFile(path.join(folder, 'templates.cjs'), 'utf8')).replace(
        /fingerprint = "[0-9a-f]+"/,
        'fingerprint = "0"',
      ),
    );
    expect(new TemplateSet({}, { precompiled: stale }).precompiled).toBe(false);
    const custom = path.join(folder, 'custom.hbs');
    await writeFile(custom, 'FROM scratch\n');
    expect(new TemplateSet({ custom }, { precompiled: path.join(folder, 'templates.cjs') }).precompiled).toBe(false);
  });

  it('render the catalog page as the compiler does, escaped, and only while its source is current', async () => {
    const folder = await mkdtemp(path.join(tmpdir(), 'neurons-templates-'));
    execFileSync(process.execPath, [path.join(root, 'scripts/compile-validators.mjs'), folder]);
    const built = path.join(folder, 'templates.cjs');
    const ahead = pageTemplate(built);
    expect(ahead.precompiled).toBe(true);
    const now = pageTemplate(path.join(folder, 'missing.cjs'));
    expect(now.precompiled).toBe(false);
    const data = {
      workers: [{ name: 'Probe', description: '<script>alert(1)</script>', kind: 'analyzer', dataTypeList: ['ip'] }],
      dataTypes: ['ip'],
      total: 1,
      analyzers: 1,
      responders: 0,
      registry: 'registry.example/acme',
      serial: 7,
      created: '2026-12-01T00:00:00.000Z',
    };
    const page = ahead.render(data);
    expect(page).toBe(now.render(data));
    expect(page).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(page).not.toContain('<script>alert(1)');
    await writeFile(
      path.join(folder, 'stale.cjs'),
      (await readFile(built, 'utf8')).replace(/page = \{ fingerprint: "[0-9a-f]+"/, 'page = { fingerprint: "0"'),
    );
    expect(pageTemplate(path.join(folder, 'stale.cjs')).precompiled).toBe(false);
  });
});

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
