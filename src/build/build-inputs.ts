import { createHash } from 'node:crypto';
import type { Config } from '../config/load-config.js';

function sha256(...parts: Array<string | Buffer>): string {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(typeof part === 'string' ? Buffer.from(part) : part).update('\0');
  return `sha256:${hash.digest('hex')}`;
}

/** Settings that change what a build produces without appearing in its Dockerfile (never credentials). */
export function buildSettingsFingerprint(config: Config): string {
  return JSON.stringify({
    packageIndex: config.packageIndex ? [config.packageIndex.url, config.packageIndex.extraUrl ?? ''] : [],
    npmRegistry: config.npmRegistry ?? '',
  });
}

/**
 * The build-input digest of a folder image: the rendered Dockerfile (which pins the base image by digest), the
 * exact bytes of the build context (file contents and modes, generated files), the build arguments that are not
 * secrets, the template id and the build settings. Same inputs, same digest; one byte changed, another digest.
 */
export function folderInputDigest(inputs: { templateId: string; dockerfile: string; context: Buffer; buildArgs: Record<string, string>; settings: string }): string {
  const args = Object.entries(inputs.buildArgs).sort(([a], [b]) => a.localeCompare(b));
  return sha256('neurons-folder/1', inputs.templateId, inputs.dockerfile, createHash('sha256').update(inputs.context).digest(), JSON.stringify(args), inputs.settings);
}

/** A flavor image's digest: its folder's, plus its own Dockerfile (entry point and labels from the definition). */
export function flavorInputDigest(folderDigest: string, flavorDockerfile: string): string {
  return sha256('neurons-flavor/1', folderDigest, flavorDockerfile);
}

export const buildInputLabel = 'io.neurons.build-input-digest';
