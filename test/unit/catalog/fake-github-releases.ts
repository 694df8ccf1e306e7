import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeAsset {
  id: number;
  name: string;
  contentType: string;
  bytes: Buffer;
  createdAt: Date;
  updatedAt: Date;
}

export interface FakeRelease {
  id: number;
  tag: string;
  name: string;
  body: string;
  makeLatest: unknown;
  assets: FakeAsset[];
}

export interface FakeGitHubReleases {
  /** The API root, as given in GITHUB_API_URL. */
  url: string;
  /** `METHOD path?query` of every request received, in order. */
  requests: string[];
  releases: FakeRelease[];
  /** How an asset download is answered: 302 to the storage path (github.com today) or 200 with the bytes. */
  downloads: 'redirect' | 'direct';
  /** Adds a release, or an asset, as another publisher or an earlier run would have. */
  addRelease(tag: string): FakeRelease;
  addAsset(release: FakeRelease, name: string, bytes: Buffer, createdAt?: Date): FakeAsset;
  close(): Promise<void>;
}

const repositoryId = 4343;
const notFound = { message: 'Not Found', documentation_url: 'https://docs.github.com/rest', status: '404' };

/**
 * A small server speaking the GitHub release endpoints the release target uses, with GitHub's answers: 401 for a
 * wrong token, 404 for a tag without release, `Link` pagination of assets (at most 100 a page, 30 by default), a 302
 * from an asset to its storage, `upload_url` templates, 422 `already_exists` for a taken asset name, and the renaming
 * of a leading period in uploaded names (`.x` becomes `default.x`).
 */
export async function startFakeGitHubReleases(owner: string, repo: string, token: string): Promise<FakeGitHubReleases> {
  let nextId = 1000;
  const state: FakeGitHubReleases = {
    url: '',
    requests: [],
    releases: [],
    downloads: 'redirect',
    addRelease(tag) {
      const release: FakeRelease = { id: nextId++, tag, name: tag, body: '', makeLatest: undefined, assets: [] };
      state.releases.push(release);
      return release;
    },
    addAsset(release, name, bytes, createdAt = new Date()) {
      const asset: FakeAsset = {
        id: nextId++,
        name,
        contentType: 'application/json',
        bytes,
        createdAt,
        updatedAt: createdAt,
      };
      release.assets.push(asset);
      return asset;
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
  const server = createServer((request, response) => {
    state.requests.push(`${request.method} ${request.url}`);
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () =>
      answer({ request, response, body: Buffer.concat(chunks), state, owner, repo, token, newId: () => nextId++ }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return state;
}

interface Exchange {
  request: IncomingMessage;
  response: ServerResponse;
  body: Buffer;
  state: FakeGitHubReleases;
  owner: string;
  repo: string;
  token: string;
  newId: () => number;
}

function answer(exchange: Exchange): void {
  const { request, response, state } = exchange;
  const url = new URL(request.url ?? '/', state.url);
  const download = /^\/storage\/(\d+)$/.exec(url.pathname);
  // Storage links are signed URLs: no token there, as on GitHub.
  if (download) return sendAssetBytes(response, findAsset(state, Number(download[1]))?.asset);
  const authorization = request.headers.authorization ?? '';
  if (authorization !== `token ${exchange.token}` && authorization !== `Bearer ${exchange.token}`) {
    return sendJson(response, 401, {
      message: 'Bad credentials',
      documentation_url: 'https://docs.github.com/rest',
      status: '401',
    });
  }
  const route = `${request.method} ${url.pathname.replace(`/repos/${exchange.owner}/${exchange.repo}/`, '/R/').replace(`/repositories/${repositoryId}/`, '/R/')}`;
  const [, first, second] =
    /^\S+ \/(?:uploads\/)?R\/releases\/(?:tags\/|assets\/)?([^/]+)(?:\/(assets))?$/.exec(route) ?? [];
  if (route.startsWith('GET /R/releases/tags/')) {
    const release = state.releases.find((candidate) => candidate.tag === decodeURIComponent(first ?? ''));
    return release ? sendJson(response, 200, releaseJson(exchange, release)) : sendJson(response, 404, notFound);
  }
  if (route === 'POST /R/releases') return createRelease(exchange);
  if (route.startsWith('GET /R/releases/') && second === 'assets') return listAssets(exchange, url, Number(first));
  if (route.startsWith('POST /uploads/R/releases/') && second === 'assets')
    return uploadAsset(exchange, url, Number(first));
  const found = /^\S+ \/R\/releases\/assets\/\d+$/.test(route) ? findAsset(state, Number(first)) : undefined;
  if (!found) return sendJson(response, 404, notFound);
  if (request.method === 'GET' && request.headers.accept === 'application/octet-stream') {
    if (state.downloads === 'direct') return sendAssetBytes(response, found.asset);
    return void response.writeHead(302, { location: `${state.url}/storage/${found.asset.id}` }).end();
  }
  if (request.method === 'GET') return sendJson(response, 200, assetJson(exchange, found.asset));
  if (request.method === 'DELETE') {
    found.release.assets.splice(found.release.assets.indexOf(found.asset), 1);
    return void response.writeHead(204).end();
  }
  if (request.method === 'PATCH') return renameAsset(exchange, found.release, found.asset);
  sendJson(response, 404, notFound);
}

function createRelease(exchange: Exchange): void {
  const {
    tag_name: tag,
    name,
    body,
    make_latest: makeLatest,
  } = JSON.parse(exchange.body.toString()) as Record<string, unknown>;
  if (typeof tag !== 'string')
    return sendJson(exchange.response, 422, {
      message: 'Validation Failed',
      errors: [{ resource: 'Release', code: 'missing_field', field: 'tag_name' }],
    });
  if (exchange.state.releases.some((release) => release.tag === tag)) {
    return sendJson(exchange.response, 422, {
      message: 'Validation Failed',
      errors: [{ resource: 'Release', code: 'already_exists', field: 'tag_name' }],
    });
  }
  const release = exchange.state.addRelease(tag);
  Object.assign(release, { name: String(name ?? tag), body: String(body ?? ''), makeLatest });
  sendJson(exchange.response, 201, releaseJson(exchange, release));
}

function listAssets(exchange: Exchange, url: URL, releaseId: number): void {
  const release = exchange.state.releases.find((candidate) => candidate.id === releaseId);
  if (!release) return sendJson(exchange.response, 404, notFound);
  const perPage = Math.min(Number(url.searchParams.get('per_page') ?? 30), 100);
  const page = Number(url.searchParams.get('page') ?? 1);
  const lastPage = Math.max(1, Math.ceil(release.assets.length / perPage));
  const link = (target: number, rel: string): string =>
    `<${exchange.state.url}/repositories/${repositoryId}/releases/${releaseId}/assets?per_page=${perPage}&page=${target}>; rel="${rel}"`;
  const links = page < lastPage ? [link(page + 1, 'next'), link(lastPage, 'last')] : [];
  if (page > 1) links.unshift(link(page - 1, 'prev'), link(1, 'first'));
  const listed = release.assets.slice((page - 1) * perPage, page * perPage).map((asset) => assetJson(exchange, asset));
  sendJson(exchange.response, 200, listed, links.length > 0 ? { link: links.join(', ') } : {});
}

function uploadAsset(exchange: Exchange, url: URL, releaseId: number): void {
  const release = exchange.state.releases.find((candidate) => candidate.id === releaseId);
  const requested = url.searchParams.get('name');
  if (!release || !requested) return sendJson(exchange.response, 404, notFound);
  const name = requested.replace(/^\./, 'default.');
  if (release.assets.some((asset) => asset.name === name)) {
    return sendJson(exchange.response, 422, {
      message: 'Validation Failed',
      errors: [{ resource: 'ReleaseAsset', code: 'already_exists', field: 'name' }],
    });
  }
  const asset: FakeAsset = {
    id: exchange.newId(),
    name,
    contentType: exchange.request.headers['content-type'] ?? '',
    bytes: exchange.body,
    createdAt: new Date(),
    updatedAt: new Date(),
  };
  release.assets.push(asset);
  sendJson(exchange.response, 201, assetJson(exchange, asset));
}

function renameAsset(exchange: Exchange, release: FakeRelease, asset: FakeAsset): void {
  const { name } = JSON.parse(exchange.body.toString() || '{}') as { name?: string };
  if (name !== undefined && name !== asset.name) {
    if (release.assets.some((other) => other.name === name)) {
      return sendJson(exchange.response, 422, {
        message: 'Validation Failed',
        errors: [{ resource: 'ReleaseAsset', code: 'already_exists', field: 'name' }],
      });
    }
    Object.assign(asset, { name, updatedAt: new Date() });
  }
  sendJson(exchange.response, 200, assetJson(exchange, asset));
}

function findAsset(state: FakeGitHubReleases, id: number): { release: FakeRelease; asset: FakeAsset } | undefined {
  for (const release of state.releases) {
    const asset = release.assets.find((candidate) => candidate.id === id);
    if (asset) return { release, asset };
  }
  return undefined;
}

function releaseJson(exchange: Exchange, release: FakeRelease): Record<string, unknown> {
  const api = `${exchange.state.url}/repos/${exchange.owner}/${exchange.repo}/releases/${release.id}`;
  return {
    id: release.id,
    tag_name: release.tag,
    name: release.name,
    body: release.body,
    draft: false,
    prerelease: false,
    url: api,
    upload_url: `${exchange.state.url}/uploads/repos/${exchange.owner}/${exchange.repo}/releases/${release.id}/assets{?name,label}`,
    assets: release.assets.slice(0, 100).map((asset) => assetJson(exchange, asset)),
  };
}

function assetJson(exchange: Exchange, asset: FakeAsset): Record<string, unknown> {
  return {
    id: asset.id,
    name: asset.name,
    label: null,
    state: 'uploaded',
    content_type: asset.contentType,
    size: asset.bytes.length,
    url: `${exchange.state.url}/repos/${exchange.owner}/${exchange.repo}/releases/assets/${asset.id}`,
    // GitHub gives times to the second.
    created_at: `${asset.createdAt.toISOString().slice(0, 19)}Z`,
    updated_at: `${asset.updatedAt.toISOString().slice(0, 19)}Z`,
  };
}

function sendAssetBytes(response: ServerResponse, asset: FakeAsset | undefined): void {
  if (!asset) return void response.writeHead(404).end();
  response
    .writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(asset.bytes.length) })
    .end(asset.bytes);
}

function sendJson(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  response
    .writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers })
    .end(JSON.stringify(body));
}
