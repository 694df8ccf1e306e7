import { randomBytes } from 'node:crypto';
import { type NeuronsError, UsageError } from '../errors/neurons-error.js';
import { publishConflict } from './conflict.js';
import { trustedFetch } from '../transport/trusted-fetch.js';
import { createGitHubClient } from '../transport/github-client.js';
import { registerSecret } from '../util/mask.js';
import {
  releaseAssetsApi,
  type Asset,
  type Release,
  type ReleaseAssetsApi,
  type ReleaseCoordinates,
} from './github-release-api.js';
import {
  changedNamedFiles,
  contentTypeOf,
  indexFileName,
  isObjectName,
  legacySignatureFileName,
  referencedObjects,
  withdrawnNamedFiles,
  type Publication,
} from './publication.js';
import type { PublishTarget } from './publish-target.js';

export const githubReleasePrefix = 'github-release:';

/** An owner is a GitHub login; a repository name is letters, digits, `.`, `-`, `_`; a tag is a git ref name. */
const targetPattern = /^github-release:([A-Za-z0-9](?:[A-Za-z0-9-]{0,38}))\/([A-Za-z0-9._-]{1,100})@([^\s~^:?*[\\@]+)$/;

/** `github-release:OWNER/REPO@TAG`, strictly: a malformed value is a usage error naming the expected form. */
export function parseGitHubReleaseTarget(value: string): ReleaseCoordinates {
  const match = targetPattern.exec(value);
  const [, owner, repo, tag] = match ?? [];
  if (!owner || !repo || !tag || repo === '.' || repo === '..' || !isTagName(tag)) {
    throw new UsageError({
      code: 'CATALOG_PUBLISH_TARGET',
      message: `--publish ${value} is not a GitHub release: expected github-release:OWNER/REPO@TAG`,
      hint: 'for example --publish github-release:acme/workers@catalog',
    });
  }
  return { owner, repo, tag };
}

/** What git accepts as a tag name, beyond the characters the pattern already refuses. */
function isTagName(tag: string): boolean {
  return !/^[-/.]|[/.]$|\.\.|\/\/|\/\.|\.lock$|\.lock\//.test(tag);
}

/** Temporary uploads: `.<name>.<hex>.tmp`, which GitHub stores as `default.<name>.<hex>.tmp` (it renames a leading period). */
const temporaryPattern = /^(?:default)?\..+\.[0-9a-f]{12}\.tmp$/;
/** A temporary upload older than this was left by a run that failed; none lasts that long. */
const staleAfterMs = 60 * 60 * 1000;

type Seen = { id: number; updatedAt: string } | undefined;
const seenOf = (asset: Asset | undefined): Seen => asset && { id: asset.id, updatedAt: asset.updatedAt };

/**
 * The assets of one GitHub release, created when missing. Each file is uploaded under a temporary name, then the
 * asset it replaces is checked against what was read (id and update time): if another publisher replaced it since,
 * the upload is dropped and the run fails with `CATALOG_PUBLISH_CONFLICT`; else the old asset is deleted and the
 * upload renamed into place. The content-addressed files go first, the index is the commit point, the named copies
 * follow. GitHub cannot replace an asset in one step: between the delete and the rename `index.json` is missing for
 * a moment, and a reader then finds no publication (refused, never a mix): the updater's next run reads it.
 */
export function githubReleaseTarget(
  target: string,
  options: { env: NodeJS.ProcessEnv; caPems: string[] },
): PublishTarget {
  const where = parseGitHubReleaseTarget(target);
  const token = options.env['GITHUB_TOKEN'] || undefined;
  registerSecret(token);
  const baseUrl = options.env['GITHUB_API_URL'] || undefined;
  const octokit = createGitHubClient({ token, baseUrl, fetch: trustedFetch(options.caPems, options.env) });
  const api = releaseAssetsApi({ octokit, where, token, baseUrl });
  const description = `${githubReleasePrefix}${where.owner}/${where.repo}@${where.tag}`;
  const seen = new Map<string, Seen>();
  let release: Release | undefined;
  const findRelease = async (): Promise<Release | undefined> => (release ??= await api.findRelease());
  const download = async (assets: Asset[], file: string): Promise<Buffer | undefined> => {
    const asset = assets.find((candidate) => candidate.name === file);
    return asset && (await api.download(asset));
  };

  const replace = (file: string, bytes: Buffer, into: Release): Promise<void> =>
    replaceAsset({ api, seen, description }, file, bytes, into);

  return {
    description,
    // The stable download URL engines read (github.com, or the Enterprise Server host of GITHUB_API_URL).
    locate: (file) =>
      `${webOrigin(baseUrl)}/${where.owner}/${where.repo}/releases/download/${encodeURIComponent(where.tag).replaceAll('%2F', '/')}/${file}`,
    async read(file) {
      const current = await findRelease();
      const asset = current && (await api.listAssets(current)).find((candidate) => candidate.name === file);
      seen.set(file, seenOf(asset));
      return asset && (await api.download(asset));
    },
    async publish(publication) {
      const into = (await findRelease()) ?? (release = await api.createRelease());
      const live = await api.listAssets(into);
      await removeStaleUploads(api, live);
      // The index read earlier must still be the asset read: a publisher that committed since is caught here,
      // before anything is uploaded.
      if (!seen.has(indexFileName)) seen.set(indexFileName, seenOf(live.find((asset) => asset.name === indexFileName)));
      if (
        changed(
          seen.get(indexFileName),
          live.find((asset) => asset.name === indexFileName),
        )
      )
        throw conflict(description, indexFileName);
      const present = new Set(live.map((asset) => asset.name));
      for (const [file, bytes] of publication.objects) {
        if (present.has(file)) continue;
        seen.set(file, undefined);
        await replace(file, bytes, into);
      }
      const previousIndex = seen.get(indexFileName) && (await download(live, indexFileName));
      await replace(indexFileName, publication.index, into);
      for (const [file, bytes] of changedNamedFiles(publication, previousIndex)) {
        seen.set(file, seenOf((await api.listAssets(into)).find((asset) => asset.name === file)));
        await replace(file, bytes, into);
      }
      await removeUnreferenced(api, into, publication, previousIndex);
    },
    async close() {},
  };
}

function changed(before: Seen, now: Asset | undefined): boolean {
  if (before === undefined || now === undefined) return before !== now;
  return before.id !== now.id || before.updatedAt !== now.updatedAt;
}

/** `https://api.github.com` → `https://github.com`; an Enterprise Server's `https://HOST/api/v3` → `https://HOST`. */
export function webOrigin(apiUrl: string | undefined): string {
  if (!apiUrl) return 'https://github.com';
  try {
    const url = new URL(apiUrl);
    return url.host === 'api.github.com' ? 'https://github.com' : url.origin;
  } catch {
    return 'https://github.com';
  }
}

function conflict(description: string, file: string): NeuronsError {
  return publishConflict(`${file} in ${description}`);
}

/** Best effort: what an interrupted run left behind is removed by the next one. */
async function removeStaleUploads(api: ReleaseAssetsApi, assets: Asset[]): Promise<void> {
  const before = Date.now() - staleAfterMs;
  for (const asset of assets) {
    if (temporaryPattern.test(asset.name) && Date.parse(asset.createdAt) < before)
      await api.remove(asset).catch(() => false);
  }
}

/**
 * Uploads `file` under a temporary name, then puts it in place of the asset it replaces, if that is still the one
 * seen; else drops the upload and fails with a conflict.
 */
async function replaceAsset(
  { api, seen, description }: { api: ReleaseAssetsApi; seen: Map<string, Seen>; description: string },
  file: string,
  bytes: Buffer,
  into: Release,
): Promise<void> {
  const upload = await api.upload(into, `.${file}.${randomBytes(6).toString('hex')}.tmp`, bytes, contentTypeOf(file));
  let placed: Asset | undefined;
  try {
    const live = (await api.listAssets(into)).find((asset) => asset.name === file);
    if (changed(seen.get(file), live)) throw conflict(description, file);
    // A delete that finds nothing, or a rename onto a taken name: another publisher got there in between.
    if (live && !(await api.remove(live))) throw conflict(description, file);
    placed = await api.rename(upload, file);
    if (!placed) throw conflict(description, file);
    seen.set(file, seenOf(placed));
  } finally {
    if (!placed) await api.remove(upload).catch(() => false);
  }
}

/**
 * What no reader needs any more: the signature file of the old layout, and content-addressed files that
 * neither this index nor the one before refer to (a reader of that one a moment ago still finds its files).
 */
async function removeUnreferenced(
  api: ReleaseAssetsApi,
  into: Release,
  publication: Publication,
  previousIndex: Buffer | undefined,
): Promise<void> {
  const keep = new Set([...referencedObjects(publication.index), ...referencedObjects(previousIndex)]);
  for (const asset of await api.listAssets(into)) {
    const withdrawn = new Set(withdrawnNamedFiles(publication, previousIndex));
    if (
      asset.name === legacySignatureFileName ||
      withdrawn.has(asset.name) ||
      (isObjectName(asset.name) && !keep.has(asset.name))
    )
      await api.remove(asset).catch(() => false);
  }
}
