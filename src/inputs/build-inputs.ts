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
  /** The flavor image's own Dockerfile: its labels (template id included) and entry point (adapter included). */
  definition: string;
  /** Assembled images: the exact versions of their dependencies, per platform. */
  dependencies?: string;
  /**
   * The worker's own content, what immutability protects: the folder's files as in the repository (paths, modes,
   * contents; no generated file, no definition) and the flavor's definition (canonical JSON). The same whichever way
   * the image is made. Recorded, never part of the digest: an image is rebuilt for what is in it, as before, and a
   * record written before these existed keeps its digest. Absent from such records.
   */
  workerFiles?: string;
  flavorDefinition?: string;
  /** The worker's settings (`workers.<Dir>`: protocol, template, platforms): a refresh input, recorded only. */
  workerSettings?: string;
}

/** The worker's own content and settings: recorded beside the components, not counted in the digest. */
export type OwnContent = Required<Pick<InputComponents, 'workerFiles' | 'flavorDefinition' | 'workerSettings'>>;

export interface BuildInputs {
  digest: string;
  components: InputComponents;
  /** The definition as the image's labels carry it (see definitionLabels): compared with images recorded before `flavorDefinition`. */
  labelledDefinition?: string;
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
    packageIndex: config.packageIndex
      ? [indexIdentity(config.packageIndex.url), indexIdentity(config.packageIndex.extraUrl ?? '')]
      : [],
    npmRegistry: config.npmRegistry ?? '',
  });
}

/**
 * The build inputs of a folder image: the rendered Dockerfile (which pins the base image by digest), the exact bytes
 * of the build context (file contents and modes, generated files), the base images, the template and the build
 * settings. Same inputs, same digest; one byte changed, another digest. Credentials are never inputs.
 */
export function folderInputs(inputs: {
  templateId: string;
  dockerfile: string;
  context: Buffer;
  baseImages: string[];
  settings: string;
  dependencies?: string;
}): Omit<BuildInputs, 'components'> & { components: Omit<InputComponents, 'definition'> } {
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

/** What `flavorInputs` records of the worker's own content: hashes of the folder's files, the definition and the settings. */
export function ownContent(inputs: { files: Buffer; definition: Buffer; settings: string }): OwnContent {
  return {
    workerFiles: sha256(inputs.files),
    flavorDefinition: sha256(inputs.definition),
    workerSettings: sha256(inputs.settings),
  };
}

/** A flavor image's inputs: its folder's, plus its own Dockerfile (entry point and labels from the definition). */
export function flavorInputs(
  folder: ReturnType<typeof folderInputs>,
  flavorDockerfile: string,
  recorded?: OwnContent,
): BuildInputs {
  // The FROM line names the folder image by its digest, already counted; where the code came from (commit, time,
  // remote) describes the inputs without being one: a copy of the same files has the same digest.
  const provenance = /org\.opencontainers\.image\.(revision|created|source)=/;
  const own = flavorDockerfile
    .split('\n')
    .filter((line) => !line.startsWith('FROM ') && !provenance.test(line))
    .join('\n');
  const components: InputComponents = { ...folder.components, definition: sha256(own), ...recorded };
  return { digest: sha256('neurons-flavor/1', folder.digest, own), components };
}

export const buildInputLabel = 'io.neurons.build-input-digest';
export const buildComponentsLabel = 'io.neurons.build-inputs';

export type RebuildReason =
  'new' | 'files' | 'definition' | 'template' | 'base-image' | 'settings' | 'dependencies' | 'forced';

/** The definition fields an image's labels carry (see definitionLabels), of this run's flavor and of the published image. */
export interface LabelledDefinitions {
  current: string;
  published: string;
}

/** The labels a flavor image takes from its definition (title, description, version, ...): not the template's or the source's. */
const definitionLabelKeys = [
  'org.opencontainers.image.title',
  'org.opencontainers.image.description',
  'org.opencontainers.image.version',
  'org.opencontainers.image.url',
  'org.opencontainers.image.vendor',
  'org.opencontainers.image.licenses',
  'io.neurons.worker-id',
  'io.neurons.worker-kind',
];

/** The definition as far as an image's labels carry it: what can be compared with an image whose record is older. */
export function definitionLabels(labels: Record<string, string>): string {
  return sha256(JSON.stringify(definitionLabelKeys.map((key) => labels[key] ?? '')));
}

/**
 * Whether the worker's own content changed: what immutability is about. A record with the own-content components
 * compares them; a record written before they existed cannot tell the worker's files from generated ones (its
 * `context` holds both) or the definition from the template (its `definition` is the rendered Dockerfile), so it is
 * compared on what it has: `context` for the files (as before: equal means unchanged for sure), and for the definition
 * the definition fields the published image's labels carry when the caller read them (`labelled`), else the flavor
 * Dockerfile. A changed record format alone never reports a change; where the older record cannot tell (a context
 * that differs), it is taken as the worker's: refusing once, until a new version or `--force` writes the new record,
 * is better than letting a real code change through under a published version.
 */
function ownChanges(
  current: InputComponents,
  previous: Partial<InputComponents>,
  labelled: LabelledDefinitions | undefined,
): { files: boolean; definition: boolean } {
  const files =
    previous.workerFiles !== undefined && current.workerFiles !== undefined
      ? current.workerFiles !== previous.workerFiles
      : current.context !== previous.context;
  if (previous.flavorDefinition !== undefined && current.flavorDefinition !== undefined)
    return { files, definition: current.flavorDefinition !== previous.flavorDefinition };
  if (labelled) return { files, definition: labelled.current !== labelled.published };
  return { files, definition: current.definition !== previous.definition };
}

/**
 * Why an image with `previous` inputs must be rebuilt to get `current` ones (empty: it need not be). `files` and
 * `definition` are the worker's own content (see ownChanges); every other reason is a refresh of the same content:
 * our template, the base image, the settings (the worker's included), the dependencies. A generated file, the entry
 * point or a template label that changed while the worker's own content did not is the template's doing, or the
 * settings' when they changed too (`workers.<Dir>.protocol` wraps a Go worker in an adapter).
 */
export function rebuildReasons(
  current: InputComponents,
  previous: Partial<InputComponents> | undefined,
  labelled?: LabelledDefinitions,
): RebuildReason[] {
  if (!previous) return ['new'];
  const reasons: RebuildReason[] = [];
  const own = ownChanges(current, previous, labelled);
  if (own.files) reasons.push('files');
  if (own.definition) reasons.push('definition');
  const settings =
    current.settings !== previous.settings ||
    (previous.workerSettings !== undefined && current.workerSettings !== previous.workerSettings);
  if (current.base !== previous.base) reasons.push('base-image');
  if (settings) reasons.push('settings');
  // A new release of a dependency (or of one it pulls in): the same code, refreshed, as for a new base image.
  if ((current.dependencies ?? '') !== (previous.dependencies ?? '')) reasons.push('dependencies');
  // A Dockerfile that changed with the same bases and settings (the Dockerfile names the package index): the template did.
  const explained = current.base !== previous.base || settings;
  const unexplained = (changed: boolean, byOwn: boolean): boolean => changed && !byOwn && !explained;
  if (
    current.template !== previous.template ||
    unexplained(current.dockerfile !== previous.dockerfile, false) ||
    unexplained(current.context !== previous.context, own.files) ||
    unexplained(current.definition !== previous.definition, own.definition)
  ) {
    reasons.push('template');
  }
  return reasons;
}
