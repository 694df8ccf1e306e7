import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeFile {
  filename: string;
  status: string;
  previous_filename?: string;
}

export interface FakePullRequest {
  owner: string;
  repo: string;
  number: number;
  baseSha: string;
  headSha: string;
  files: FakeFile[];
}

export interface FakeGitHub {
  /** The API root, as given to Octokit's `baseUrl`. */
  url: string;
  /** Paths and queries of the requests received, in order. */
  requests: string[];
  close(): Promise<void>;
}

/** GitHub lists at most 3,000 files of a pull request, 100 a page at the most. */
const listedFileLimit = 3000;
const repositoryId = 4242;

/**
 * A small server speaking the two GitHub endpoints the pull request changes use, with GitHub's authentication
 * answers and its `Link` pagination (which points at `/repositories/{id}/...`, as GitHub's own links do).
 */
export async function startFakeGitHub(pull: FakePullRequest, token: string): Promise<FakeGitHub> {
  const requests: string[] = [];
  const server = createServer((request, response) => {
    requests.push(request.url ?? '');
    answer(request, response, pull, token, origin());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = (): string => `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url: origin(), requests, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

function answer(request: IncomingMessage, response: ServerResponse, pull: FakePullRequest, token: string, origin: string): void {
  const url = new URL(request.url ?? '/', origin);
  const authorization = request.headers.authorization ?? '';
  if (authorization !== `token ${token}` && authorization !== `Bearer ${token}`) {
    return sendJson(response, 401, { message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest', status: '401' });
  }
  const prefixes = [`/repos/${pull.owner}/${pull.repo}/pulls/${pull.number}`, `/repositories/${repositoryId}/pulls/${pull.number}`];
  if (request.method === 'GET' && url.pathname === prefixes[0]) {
    return sendJson(response, 200, {
      number: pull.number,
      state: 'open',
      changed_files: pull.files.length,
      base: { ref: 'main', sha: pull.baseSha, repo: { id: repositoryId } },
      head: { ref: 'feature', sha: pull.headSha },
    });
  }
  if (request.method === 'GET' && prefixes.some((prefix) => url.pathname === `${prefix}/files`)) {
    const perPage = Math.min(Number(url.searchParams.get('per_page') ?? 30), 100);
    const page = Number(url.searchParams.get('page') ?? 1);
    const listed = pull.files.slice(0, listedFileLimit);
    const lastPage = Math.max(1, Math.ceil(listed.length / perPage));
    const link = (target: number, rel: string): string =>
      `<${origin}${prefixes[1]}/files?per_page=${perPage}&page=${target}>; rel="${rel}"`;
    const links = page < lastPage ? [link(page + 1, 'next'), link(lastPage, 'last')] : [];
    if (page > 1) links.unshift(link(page - 1, 'prev'), link(1, 'first'));
    const headers = links.length > 0 ? { link: links.join(', ') } : {};
    return sendJson(response, 200, listed.slice((page - 1) * perPage, page * perPage), headers);
  }
  sendJson(response, 404, { message: 'Not Found', documentation_url: 'https://docs.github.com/rest', status: '404' });
}

function sendJson(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers }).end(JSON.stringify(body));
}
