import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  buildComponentsLabel,
  buildInputLabel,
  type BuildInputs,
  type InputComponents,
} from '../../../src/inputs/build-inputs.js';
import { createEngineImageVerifier } from '../../../src/catalog/engine-image-facts.js';
import { loadConfig } from '../../../src/config/load-config.js';
import { imageRepository } from '../../../src/images/image-name.js';
import { localConfig } from '../../../src/config/local-config.js';
import { isLocalImage } from '../../../src/images/local-images.js';
import { hostPlatform } from '../../../src/oci/platform.js';
import type { ImageTarget } from '../../../src/plan/build-plan.js';
import { decideLocalFlavor, type EngineImage } from '../../../src/plan/decide-local.js';
import { engineImage } from '../../../src/update/install.js';
import { savedImageFileName } from '../../../src/engine/save-image.js';

const components: InputComponents = {
  template: 't',
  dockerfile: 'd',
  context: 'c',
  base: 'b',
  settings: 's',
  definition: 'def',
  workerFiles: 'w',
  flavorDefinition: 'f',
  workerSettings: '{}',
};
const inputs: BuildInputs = { digest: 'sha256:inputs', components };

/** A configuration with no registry anywhere: no file, an empty environment folder. */
async function noRegistry(): Promise<{ repo: string; env: NodeJS.ProcessEnv }> {
  return {
    repo: await mkdtemp(path.join(tmpdir(), 'neurons-local-')),
    env: { NEURONS_ENV_DIR: await mkdtemp(path.join(tmpdir(), 'neurons-envdir-')) },
  };
}

/** An engine image store of references to images. */
function store(images: Record<string, EngineImage>): (reference: string) => Promise<EngineImage> {
  return (reference) => Promise.resolve(images[reference]);
}

describe('local mode: names', () => {
  it('needs no registry, and names images localhost/NS/NAME for the engine platform only', async () => {
    const { repo, env } = await noRegistry();
    await expect(loadConfig(repo, env, {})).rejects.toMatchObject({ code: 'CONFIG_NO_REGISTRY' });
    const config = localConfig(await loadConfig(repo, env, {}, { requireRegistry: false }), undefined);
    const [registry] = config.registries;
    expect(registry).toMatchObject({ host: 'localhost', namespace: 'local', credentials: undefined });
    expect(config.platforms).toEqual([hostPlatform()]);
    expect(imageRepository(registry as NonNullable<typeof registry>, 'HashCalc_MD5')).toBe(
      'localhost/local/hashcalc_md5',
    );
    expect(localConfig(config, 'team').registries[0]?.namespace).toBe('team');
  });

  it('keeps the namespace of a configured registry', async () => {
    const { repo, env } = await noRegistry();
    const config = await loadConfig(
      repo,
      { ...env, NEURONS_REGISTRY: 'registry.example:5000', NEURONS_NAMESPACE: 'Cortex' },
      {},
    );
    expect(localConfig(config, undefined).registries.map((item) => `${item.host}/${item.namespace}`)).toEqual([
      'localhost/cortex',
    ]);
  });

  it('tells local images apart, and the updater installs them by tag (they have no registry digest)', () => {
    expect(isLocalImage('localhost/local/x:1')).toBe(true);
    expect(isLocalImage('localhost:5000/local/x:1')).toBe(false);
    expect(isLocalImage('cortexneurons/x:1')).toBe(false);
    expect(engineImage({ image: 'localhost/local/x:1', digest: 'sha256:abc' }, true)).toBe('localhost/local/x:1');
    expect(engineImage({ image: 'registry.example/local/x:1', digest: 'sha256:abc' }, true)).toBe(
      'registry.example/local/x:1@sha256:abc',
    );
  });

  it('names a saved archive after the image and its exact tag', () => {
    expect(savedImageFileName('localhost/local/hashcalc_md5:1.0.2')).toBe('hashcalc_md5_1.0.2.tar');
    expect(savedImageFileName('localhost/team/urlinspect:devel')).toBe('urlinspect_devel.tar');
  });
});

describe('local mode: decisions from the engine image store', () => {
  const target = {
    registry: { host: 'localhost', namespace: 'local' },
    repository: 'localhost/local/x',
    path: 'local/x',
    tags: ['1.0', '1'],
  } as ImageTarget;
  const image = (id: string, digest: string): EngineImage => ({
    id,
    labels: {
      [buildInputLabel]: digest,
      [buildComponentsLabel]: JSON.stringify({ ...components, workerFiles: digest === inputs.digest ? 'w' : 'older' }),
    },
  });

  it('builds what the engine lacks, with every tag', async () => {
    const decision = await decideLocalFlavor(store({}), [target], inputs, { force: false });
    expect(decision).toMatchObject({ action: 'build', reasons: ['new'], pushes: [{ target, tags: ['1.0', '1'] }] });
  });

  it('does nothing when every tag names an image with the same build inputs', async () => {
    const same = image('sha256:a', inputs.digest);
    const decision = await decideLocalFlavor(
      store({ 'localhost/local/x:1.0': same, 'localhost/local/x:1': same }),
      [target],
      inputs,
      { force: false },
    );
    expect(decision).toEqual({ action: 'skip', reasons: [], pushes: [] });
    expect(
      (
        await decideLocalFlavor(
          store({ 'localhost/local/x:1.0': same, 'localhost/local/x:1': same }),
          [target],
          inputs,
          { force: true },
        )
      ).reasons,
    ).toEqual(['forced']);
  });

  it('rebuilds other inputs and says why, and retags a tag that names another image', async () => {
    const older = image('sha256:a', 'sha256:older');
    expect(
      await decideLocalFlavor(
        store({ 'localhost/local/x:1.0': older, 'localhost/local/x:1': older }),
        [target],
        inputs,
        { force: false },
      ),
    ).toMatchObject({ action: 'build', reasons: ['files'] });
    const same = image('sha256:b', inputs.digest);
    expect(
      await decideLocalFlavor(
        store({ 'localhost/local/x:1.0': same, 'localhost/local/x:1': older }),
        [target],
        inputs,
        { force: false },
      ),
    ).toMatchObject({ action: 'build', reasons: ['missing-tags'] });
  });
});

describe('local mode: catalog verification by the engine', () => {
  it('reads labels from the engine: a missing image is missing, a present one says what it is', async () => {
    const verifier = createEngineImageVerifier(
      store({
        'localhost/local/x:1': {
          id: 'sha256:id',
          labels: {
            'io.neurons.worker-id': 'X_1_0',
            'io.neurons.worker-kind': 'analyzer',
            'org.opencontainers.image.version': '1.0',
            [buildInputLabel]: 'sha256:in',
          },
        },
      }),
    );
    expect(await verifier.facts('localhost/local/y:1')).toEqual({ state: 'missing' });
    expect(await verifier.facts('localhost/local/x:1')).toEqual({
      state: 'labelled',
      digest: 'sha256:id',
      claim: { id: 'X_1_0', kind: 'analyzer', version: '1.0' },
      recorded: { buildInputDigest: 'sha256:in', revision: undefined },
    });
  });
});
