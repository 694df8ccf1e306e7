import path from 'node:path';
import type { ResolvedRegistry } from '../config/load-config.js';
import { UsageError } from '../errors/neurons-error.js';
import { folderTarget } from './folder-target.js';
import { githubReleasePrefix, githubReleaseTarget } from './github-release-target.js';
import { httpTarget } from './http-target.js';
import { ociArtifactTarget, ociPrefix } from './oci-artifact-target.js';
import type { PublishTarget } from './publish-target.js';
import { s3Prefix } from './s3-client.js';
import { s3Target } from './s3-target.js';
import type { RetryEvent } from '../transport/http-transport.js';

export type { PublishTarget } from './publish-target.js';
export { folderTarget } from './folder-target.js';
export { httpTarget } from './http-target.js';

/** The forms `--publish` takes, for usage errors. */
export const publishForms = [
  'DIR (a local folder)',
  'https://HOST/PATH/ (a server taking PUT)',
  'github-release:OWNER/REPO@TAG',
  'oci://HOST/REPOSITORY:TAG',
  's3://BUCKET/PREFIX',
];

/**
 * What kind of target a `--publish` value is. Anything that starts like a URL scheme (`ftp://`, `htps://`,
 * `s3:bucket`) and is not one of the accepted forms is refused: taken as a folder, a typo would publish to a local
 * folder named `ftp:` and exit 0.
 */
export function publishTargetKind(target: string): 'folder' | 'http' | 'github-release' | 'oci' | 's3' {
  if (/^https?:\/\//.test(target)) return 'http';
  if (target.startsWith(githubReleasePrefix)) return 'github-release';
  if (target.startsWith(ociPrefix)) return 'oci';
  if (target.startsWith(s3Prefix)) return 's3';
  // A Windows drive (`C:\...`) is a folder; any other `scheme:` is not.
  if (/^[A-Za-z][A-Za-z0-9+.-]*:/.test(target) && !/^[A-Za-z]:[\\/]/.test(target)) {
    throw new UsageError({
      code: 'CATALOG_PUBLISH_TARGET',
      message: `--publish ${target} is not a publish target: accepted forms are ${publishForms.join(', ')}`,
      hint: 'check the scheme for a typo; a local folder whose name has a colon is given as ./NAME',
    });
  }
  return 'folder';
}

/**
 * `caPems` and `env` are for GitHub: the trusted CAs, GITHUB_TOKEN and GITHUB_API_URL, as for pull request
 * detection; `env` and `ca` for S3: the AWS settings and the CAs added to Node's roots, as for an https:// target; `registries` for OCI artifacts: a configured registry's credentials and CA are used for it. A folder is
 * resolved against `cwd`.
 */
export function publishTarget(
  target: string,
  options: {
    cwd: string;
    ca: string[];
    authorization: string | undefined;
    caPems: string[];
    env: NodeJS.ProcessEnv;
    registries: ResolvedRegistry[];
    onRetry?: (event: RetryEvent) => void;
  },
): PublishTarget {
  switch (publishTargetKind(target)) {
    case 'github-release':
      return githubReleaseTarget(target, options);
    case 'oci':
      return ociArtifactTarget(target, options);
    case 'http':
      return httpTarget(target, options);
    case 's3':
      return s3Target(target, options);
    case 'folder':
      return folderTarget(path.resolve(options.cwd, target));
  }
}
