import { createHash } from 'node:crypto';
import type { Config } from '../config/load-config.js';

function sha256(...parts: Array<string | Buffer>): string {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(typeof part === 'string' ? Buffer.from(part) : part).update('\0');
  return `sha256:${hash.digest('hex')}`;
}

/** What went into an image, part by part: recorded as a label so a later run can say why it rebuilds. */
export interface InputComponents {
  template: string;
  dockerfile: string;
  context: string;
  base: string;
  settings: string;
  /** The flavor's own part: its labels and entry point (from the definition). */
  definition: string;
  /** Assembled images: the exact versions of their dependencies, per platform. */
  dependencies?: string;
}

export interface BuildInputs {
  digest: string;
  components: InputComponents;
}

/**
 * An index URL as a build input: without its userinfo. `https://user:pass@host/simple` names the same index as
 * `https://host/simple`; with the password in, rotating it rebuilt every Python worker and put a hash of it in a label.
 */
export function indexIdentity(url: string): string {
  // By text, not through URL: every other byte stays as written, so URLs without userinfo keep their digests.
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^@/?#]*@/i, '$1');
}

/** Settings that change what a build produces without appearing in its Dockerfile (never credentials). */
export function buildSettingsFingerprint(config: Config): string {
  return JSON.stringify({
    packageIndex: config.packageIndex ? [indexIdentity(config.packageIndex.url), indexIdentity(config.packageIndex.extraUrl ?? '')] : [],
    npmRegistry: config.npmRegistry ?? '',
  });
}

/**
 * The build inputs of a folder image: the rendered Dockerfile (which pins the base image by digest), the exact bytes
 * of the build context (file contents and modes, generated files), the base images, the template and the build
 * settings. Same inputs, same digest; one byte changed, another digest. Credentials are never inputs.
 */
export function folderInputs(inputs: { templateId: string; dockerfile: string; context: Buffer; baseImages: string[]; settings: string; dependencies?: string }): Omit<BuildInputs, 'components'> & { components: Omit<InputComponents, 'definition'> } {
  const components = {
    template: inputs.templateId,
    dockerfile: sha256(inputs.dockerfile),
    context: sha256(inputs.context),
    base: sha256(JSON.stringify([...inputs.baseImages].sort())),
    settings: sha256(inputs.settings),
    ...(inputs.dependencies === undefined ? {} : { dependencies: sha256(inputs.dependencies) }),
  };
  return { digest: sha256('neurons-folder/1', JSON.stringify(components)), components };
}

/** A flavor image's inputs: its folder's, plus its own Dockerfile (entry point and labels from the definition). */
export function flavorInputs(folder: ReturnType<typeof folderInputs>, flavorDockerfile: string): BuildInputs {
  // The FROM line names the folder image by its digest, already counted; where the code came from (commit, time,
  // remote) describes the inputs without being one: a copy of the same files has the same digest.
  const provenance = /org\.opencontainers\.image\.(revision|created|source)=/;
  const own = flavorDockerfile.split('\n').filter((line) => !line.startsWith('FROM ') && !provenance.test(line)).join('\n');
  const components: InputComponents = { ...folder.components, definition: sha256(own) };
  return { digest: sha256('neurons-flavor/1', folder.digest, own), components };
}

export const buildInputLabel = 'io.neurons.build-input-digest';
export const buildComponentsLabel = 'io.neurons.build-inputs';

export type RebuildReason = 'new' | 'files' | 'definition' | 'template' | 'base-image' | 'settings' | 'dependencies' | 'forced';

/** Why an image with `previous` inputs must be rebuilt to get `current` ones (empty: it need not be). */
export function rebuildReasons(current: InputComponents, previous: Partial<InputComponents> | undefined): RebuildReason[] {
  if (!previous) return ['new'];
  const reasons: RebuildReason[] = [];
  if (current.context !== previous.context) reasons.push('files');
  if (current.definition !== previous.definition) reasons.push('definition');
  if (current.base !== previous.base) reasons.push('base-image');
  if (current.settings !== previous.settings) reasons.push('settings');
  // A new release of a dependency (or of one it pulls in): the same code, refreshed, as for a new base image.
  if ((current.dependencies ?? '') !== (previous.dependencies ?? '')) reasons.push('dependencies');
  // A Dockerfile that changed with the same bases and settings (the Dockerfile names the package index): the template did.
  const explained = current.base !== previous.base || current.settings !== previous.settings;
  if (current.template !== previous.template || (current.dockerfile !== previous.dockerfile && !explained)) reasons.push('template');
  return reasons;
}
