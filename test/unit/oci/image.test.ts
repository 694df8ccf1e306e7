import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../../src/oci/canonical-json.js';
import {
  buildImageConfig,
  buildImageIndex,
  buildImageManifest,
  type BaseConfig,
  type ImageConfigInput,
} from '../../../src/oci/image.js';
import { buildLayer } from '../../../src/oci/layer.js';

const sha256 = (bytes: Buffer): string => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
const digest = (char: string): string => `sha256:${char.repeat(64)}`;

// A Docker-built base configuration, with the legacy fields Docker writes and OCI does not have.
const base = (): BaseConfig & Record<string, unknown> => ({
  architecture: 'amd64',
  os: 'linux',
  config: {
    Env: ['PATH=/usr/local/bin:/usr/bin', 'LANG=C.UTF-8', 'PYTHON_VERSION=3.11.9'],
    Cmd: ['python3'],
    WorkingDir: '/',
    Labels: { 'org.opencontainers.image.source': 'https://example.org/base', maintainer: 'base' },
    ExposedPorts: { '8080/tcp': {} },
  },
  rootfs: { type: 'layers', diff_ids: [digest('1'), digest('2')] },
  history: [{ created_by: 'ADD rootfs' }, { created_by: 'RUN install python' }],
  container_config: { Cmd: ['/bin/sh'] },
  docker_version: '24.0.0',
});

const input = (): ImageConfigInput => ({
  base: base(),
  diffIds: [digest('3'), digest('4')],
  env: ['PYTHON_VERSION=3.11.10', 'NEURONS=1', 'LANG=en_US.UTF-8'],
  entrypoint: ['python3', '/worker/run.py'],
  workingDir: '/worker',
  labels: { maintainer: 'neurons', 'org.thehive-project.cortex.name': 'Hello' },
  created: '2026-01-02T03:04:05Z',
  history: ['dependencies', 'worker'],
});

const parse = (bytes: Buffer): Record<string, any> => JSON.parse(bytes.toString('utf8')) as Record<string, any>;

describe('image configuration', () => {
  it('merges the environment in place, labels over the base, and resets Cmd for a new entry point', () => {
    const { bytes, descriptor } = buildImageConfig(input());
    const config = parse(bytes);
    expect(config['config'].Env).toEqual([
      'PATH=/usr/local/bin:/usr/bin',
      'LANG=en_US.UTF-8',
      'PYTHON_VERSION=3.11.10',
      'NEURONS=1',
    ]);
    expect(config['config'].Labels).toEqual({
      'org.opencontainers.image.source': 'https://example.org/base',
      maintainer: 'neurons',
      'org.thehive-project.cortex.name': 'Hello',
    });
    expect(config['config'].Entrypoint).toEqual(['python3', '/worker/run.py']);
    expect(config['config'].Cmd).toEqual([]);
    expect(config['config'].WorkingDir).toBe('/worker');
    expect(config['config'].ExposedPorts).toEqual({ '8080/tcp': {} });
    expect(config['rootfs']).toEqual({
      type: 'layers',
      diff_ids: [digest('1'), digest('2'), digest('3'), digest('4')],
    });
    expect(config).toMatchObject({ architecture: 'amd64', os: 'linux', created: '2026-01-02T03:04:05Z' });
    expect(config).not.toHaveProperty('container_config');
    expect(config).not.toHaveProperty('docker_version');
    expect(descriptor).toEqual({
      mediaType: 'application/vnd.oci.image.config.v1+json',
      digest: sha256(bytes),
      size: bytes.length,
    });
  });

  it('keeps the base Cmd when no entry point is given', () => {
    const { entrypoint: _, ...withoutEntrypoint } = input();
    expect(parse(buildImageConfig(withoutEntrypoint).bytes)['config'].Cmd).toEqual(['python3']);
  });

  it('has one history entry per layer (non-empty ones matching diff_ids) and empty ones for configuration steps', () => {
    const config = parse(buildImageConfig(input()).bytes);
    const history = config['history'] as Array<{ created_by: string; empty_layer?: boolean }>;
    expect(history.filter((entry) => !entry.empty_layer)).toHaveLength(config['rootfs'].diff_ids.length);
    expect(history.slice(2, 4).map((entry) => entry.created_by)).toEqual(['dependencies', 'worker']);
    expect(history.slice(4).every((entry) => entry.empty_layer)).toBe(true);
    expect(history.map((entry) => entry.created_by)).toContain('ENTRYPOINT ["python3","/worker/run.py"]');
    expect(() => buildImageConfig({ ...input(), history: ['one'] })).toThrow(/2 layers but 1 history/);
  });

  it('gives each base layer a history entry when the base has no history, so that ours pair with our layers', () => {
    const { history: _, ...withoutHistory } = base();
    const history = parse(buildImageConfig({ ...input(), base: withoutHistory }).bytes)['history'] as Array<{
      created_by?: string;
      empty_layer?: boolean;
    }>;
    expect(history.filter((entry) => !entry.empty_layer).map((entry) => entry.created_by)).toEqual([
      undefined,
      undefined,
      'dependencies',
      'worker',
    ]);
  });

  it('writes canonical bytes: keys sorted, no whitespace, the same whatever order the input was built in', () => {
    const first = buildImageConfig(input());
    const reordered = input();
    reordered.base = {
      ...Object.fromEntries(Object.entries(base()).reverse()),
      config: Object.fromEntries(Object.entries(base().config ?? {}).reverse()),
    } as BaseConfig;
    reordered.labels = Object.fromEntries(Object.entries(input().labels).reverse());
    const second = buildImageConfig(reordered);
    expect(second.bytes.equals(first.bytes)).toBe(true);
    expect(first.bytes.toString()).not.toMatch(/\s"|":\s|,\s/);
    expect(canonicalJson({ b: 1, a: [3, { d: undefined, c: '2' }], 10: 'x', 9: 'y' }).toString()).toBe(
      '{"10":"x","9":"y","a":[3,{"c":"2"}],"b":1}',
    );
  });
});

describe('image manifests and indexes', () => {
  const config = { mediaType: 'application/vnd.oci.image.config.v1+json', digest: digest('c'), size: 100 };
  const dockerLayer = { mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', digest: digest('1'), size: 10 };
  const ociLayer = { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: digest('3'), size: 30 };

  it('writes an OCI image manifest with the layers as given (Docker media types of the base kept)', () => {
    const { bytes, descriptor } = buildImageManifest(config, [dockerLayer, ociLayer], {
      'org.opencontainers.image.base.name': 'base/python:3.11',
    });
    expect(parse(bytes)).toEqual({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config,
      layers: [dockerLayer, ociLayer],
      annotations: { 'org.opencontainers.image.base.name': 'base/python:3.11' },
    });
    expect(descriptor).toEqual({
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      digest: sha256(bytes),
      size: bytes.length,
    });
    expect(parse(buildImageManifest(config, [ociLayer]).bytes)).not.toHaveProperty('annotations');
    // A built layer passed as its own descriptor: its bytes stay out of the manifest.
    const layer = buildLayer([{ name: 'a', type: 'file', mode: 0o644, data: Buffer.from('a') }]);
    expect(parse(buildImageManifest(config, [layer]).bytes)['layers']).toEqual([
      { mediaType: layer.mediaType, digest: layer.digest, size: layer.size },
    ]);
  });

  it('writes an OCI index: one descriptor per platform, in the order given, each with its platform', () => {
    const amd = { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: digest('a'), size: 500 };
    const arm = { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: digest('b'), size: 501 };
    const { bytes, descriptor } = buildImageIndex([
      { descriptor: arm, platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
      { descriptor: amd, platform: { os: 'linux', architecture: 'amd64' } },
    ]);
    expect(parse(bytes)).toEqual({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: [
        { ...arm, platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
        { ...amd, platform: { os: 'linux', architecture: 'amd64' } },
      ],
    });
    expect(descriptor).toEqual({
      mediaType: 'application/vnd.oci.image.index.v1+json',
      digest: sha256(bytes),
      size: bytes.length,
    });
  });
});
