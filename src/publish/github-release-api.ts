import type { Octokit } from '@octokit/rest';
import { EnvironmentError } from '../errors/neurons-error.js';
import { apiHost, gitHubSaid, isRequestError } from '../transport/github-client.js';

export interface ReleaseCoordinates {
  owner: string;
  repo: string;
  tag: string;
}

export interface Release {
  id: number;
  /** GitHub's `upload_url` template (`.../releases/{id}/assets{?name,label}`): its own host on github.com and Enterprise. */
  uploadUrl: string;
}

export interface Asset {
  id: number;
  name: string;
  createdAt: string;
  updatedAt: string;
}

/** The release and asset calls the GitHub release target makes. Failures are coded errors that never hold the token. */
export interface ReleaseAssetsApi {
  findRelease(): Promise<Release | undefined>;
  createRelease(): Promise<Release>;
  listAssets(release: Release): Promise<Asset[]>;
  download(asset: Asset): Promise<Buffer>;
  upload(release: Release, name: string, bytes: Buffer, contentType: string): Promise<Asset>;
  /** False when the asset is gone already. */
  remove(asset: Asset): Promise<boolean>;
  /** Undefined when another asset has that name already. */
  rename(asset: Asset, name: string): Promise<Asset | undefined>;
}

interface Connection {
  /** Loaded on first use: the GitHub client is imported only by runs that publish to GitHub. */
  octokit: Promise<Octokit>;
  where: ReleaseCoordinates;
  token: string | undefined;
  baseUrl: string | undefined;
}

export function releaseAssetsApi(connection: Connection): ReleaseAssetsApi {
  const { octokit, where } = connection;
  const { owner, repo, tag } = where;
  const call = async <T>(
    action: string,
    run: () => Promise<T>,
    expected?: { status: number; value: T },
  ): Promise<T> => {
    try {
      return await run();
    } catch (error) {
      if (expected && isRequestError(error) && error.status === expected.status && error.response !== undefined)
        return expected.value;
      throw describeFailure(error, action, connection);
    }
  };
  const api: ReleaseAssetsApi = {
    findRelease: () =>
      call(
        `read release ${tag}`,
        async () => releaseOf((await (await octokit).rest.repos.getReleaseByTag({ owner, repo, tag })).data),
        { status: 404, value: undefined },
      ),
    createRelease: () =>
      call(`create release ${tag}`, async () =>
        createReleaseOrFindTheirs(await octokit, where, () => api.findRelease()),
      ),
    listAssets: (release) =>
      call(`list the assets of release ${tag}`, async () => listAllAssets(await octokit, where, release)),
    download: (asset) => call(`download ${asset.name}`, async () => downloadAsset(await octokit, where, asset)),
    upload: (release, name, bytes, contentType) =>
      call(`upload ${name}`, async () => uploadAsset(await octokit, where, release, { name, bytes, contentType })),
    remove: (asset) =>
      call(
        `delete ${asset.name}`,
        async () => {
          await (await octokit).rest.repos.deleteReleaseAsset({ owner, repo, asset_id: asset.id });
          return true;
        },
        { status: 404, value: false },
      ),
    rename: (asset, name) =>
      call(
        `rename ${asset.name} to ${name}`,
        async () =>
          assetOf(
            (await (await octokit).rest.repos.updateReleaseAsset({ owner, repo, asset_id: asset.id, name })).data,
          ),
        { status: 422, value: undefined },
      ),
  };
  return api;
}

async function createReleaseOrFindTheirs(
  octokit: Octokit,
  { owner, repo, tag }: ReleaseCoordinates,
  findRelease: () => Promise<Release | undefined>,
): Promise<Release> {
  try {
    const { data } = await octokit.rest.repos.createRelease({
      owner,
      repo,
      tag_name: tag,
      name: `Worker catalogs (${tag})`,
      body: 'The analyzer and responder catalogs, their signed index and their HTML page, as published by neurons. Each run replaces these assets.',
      make_latest: 'false',
    });
    return releaseOf(data);
  } catch (error) {
    // 422 when another publisher created it in between: theirs is the release.
    const theirs = isRequestError(error) && error.status === 422 ? await findRelease() : undefined;
    if (theirs) return theirs;
    throw error;
  }
}

async function listAllAssets(
  octokit: Octokit,
  { owner, repo }: ReleaseCoordinates,
  release: Release,
): Promise<Asset[]> {
  const assets = await octokit.paginate(octokit.rest.repos.listReleaseAssets, {
    owner,
    repo,
    release_id: release.id,
    per_page: 100,
  });
  return assets.map(assetOf);
}

async function downloadAsset(octokit: Octokit, { owner, repo }: ReleaseCoordinates, asset: Asset): Promise<Buffer> {
  // GitHub answers 302 to its storage (fetch follows, without the token on another host) or 200 with the bytes.
  // The body is read as bytes whatever its content type: Octokit would parse JSON.
  const { data } = await octokit.rest.repos.getReleaseAsset({
    owner,
    repo,
    asset_id: asset.id,
    headers: { accept: 'application/octet-stream' },
    request: { parseSuccessResponseBody: false },
  });
  const chunks: Uint8Array[] = [];
  // No body at all for an empty asset.
  for await (const chunk of (data ?? []) as unknown as AsyncIterable<Uint8Array>) chunks.push(chunk);
  return Buffer.concat(chunks);
}

async function uploadAsset(
  octokit: Octokit,
  { owner, repo }: ReleaseCoordinates,
  release: Release,
  { name, bytes, contentType }: { name: string; bytes: Buffer; contentType: string },
): Promise<Asset> {
  const { data } = await octokit.rest.repos.uploadReleaseAsset({
    owner,
    repo,
    release_id: release.id,
    url: release.uploadUrl,
    name,
    // Octokit types the body as a string; it sends a Buffer as is, which keeps the bytes exact.
    data: bytes as unknown as string,
    headers: { 'content-type': contentType },
  });
  return assetOf(data);
}

function releaseOf(data: { id: number; upload_url: string }): Release {
  return { id: data.id, uploadUrl: data.upload_url };
}

function assetOf(data: { id: number; name: string; created_at: string; updated_at: string }): Asset {
  return { id: data.id, name: data.name, createdAt: data.created_at, updatedAt: data.updated_at };
}

function describeFailure(error: unknown, action: string, connection: Connection): unknown {
  if (!isRequestError(error)) return error;
  const { owner, repo } = connection.where;
  const host = apiHost(connection.baseUrl);
  const said = gitHubSaid(error, connection.token);
  if (error.response === undefined) {
    return new EnvironmentError(
      {
        code: 'CATALOG_PUBLISH_UNREACHABLE',
        message: `cannot reach GitHub at ${host} to ${action} of ${owner}/${repo}: ${said}`,
        hint: 'check the network, GITHUB_API_URL (GitHub Enterprise Server: https://<host>/api/v3) and the trusted CAs',
      },
      error,
    );
  }
  return new EnvironmentError({
    code: 'CATALOG_PUBLISH_HTTP',
    message: `GitHub at ${host} answered ${error.status} to ${action} of ${owner}/${repo}: ${said}`,
    hint: hintFor(error.status, connection),
  });
}

function hintFor(status: number, connection: Connection): string {
  const { owner, repo } = connection.where;
  const access = `GITHUB_TOKEN needs \`contents: write\` on ${owner}/${repo} (GitHub Actions: \`permissions: contents: write\`)`;
  if (status === 401)
    return connection.token
      ? `the token in GITHUB_TOKEN was refused (expired or revoked?); ${access}`
      : `set GITHUB_TOKEN: ${access}`;
  if (status === 403) return `${access}; or the API rate limit is exhausted`;
  if (status === 404) return `check ${owner}/${repo} and GITHUB_API_URL; ${access}`;
  return 'GitHub may be unavailable: run again';
}
