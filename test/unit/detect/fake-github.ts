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

export interface FakeComment {
  id: number;
  body: string;
}

export interface FakeGitHub {
  /** The API root, as given to Octokit's `baseUrl`. */
  url: string;
  /** Paths and queries of the requests received, in order (writes prefixed with their method). */
  requests: string[];
  /** The comments of the pull request (its issue), oldest first. */
  comments: FakeComment[];
  close(): Promise<void>;
}

/** GitHub lists at most 3,000 files of a pull request, 100 a page at the most. */
const listedFileLimit = 3000;
const repositoryId = 4242;

/**
 * A small server speaking the two GitHub endpoints the pull request changes use, with GitHub's authentication
 * answers and its `Link` pagination (which points at `/repositories/{id}/...`, as GitHub's own links do).
 */
export async function startFakeGitHub(
  pull: FakePullRequest,
  token: string,
  options: { readOnly?: boolean } = {},
): Promise<FakeGitHub> {
  const requests: string[] = [];
  const comments: FakeComment[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      requests.push(request.method === 'GET' ? (request.url ?? '') : `${request.method ?? ''} ${request.url ?? ''}`);
      if (
        request.method === 'GET' ||
        !answerComments(request, response, pull, token, origin(), comments, Buffer.concat(chunks).toString(), options)
      ) {
        answer(request, response, pull, token, origin(), comments);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = (): string => `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url: origin(), requests, comments, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

const commentJson = (pull: FakePullRequest, comment: FakeComment): Record<string, unknown> => ({
  id: comment.id,
  body: comment.body,
  html_url: `https://github.example/${pull.owner}/${pull.repo}/pull/${pull.number}#issuecomment-${comment.id}`,
  user: { login: 'github-actions[bot]' },
});

/** Creating and editing issue comments, as GitHub answers them; false when the request is not one of those. */
function answerComments(
  request: IncomingMessage,
  response: ServerResponse,
  pull: FakePullRequest,
  token: string,
  origin: string,
  comments: FakeComment[],
  body: string,
  options: { readOnly?: boolean },
): boolean {
  const url = new URL(request.url ?? '/', origin);
  const create =
    request.method === 'POST' && url.pathname === `/repos/${pull.owner}/${pull.repo}/issues/${pull.number}/comments`;
  const edit =
    request.method === 'PATCH' ? /^\/repos\/[^/]+\/[^/]+\/issues\/comments\/(\d+)$/.exec(url.pathname) : null;
  if (!create && !edit) return false;
  const authorization = request.headers.authorization ?? '';
  if (authorization !== `token ${token}` && authorization !== `Bearer ${token}`) {
    sendJson(response, 401, { message: 'Bad credentials', status: '401' });
    return true;
  }
  if (options.readOnly) {
    sendJson(response, 403, { message: 'Resource not accessible by integration', status: '403' });
    return true;
  }
  const text = (JSON.parse(body || '{}') as { body?: string }).body ?? '';
  if (create) {
    const comment = { id: 9000 + comments.length, body: text };
    comments.push(comment);
    sendJson(response, 201, commentJson(pull, comment));
    return true;
  }
  const comment = comments.find((candidate) => candidate.id === Number(edit?.[1]));
  if (!comment) sendJson(response, 404, { message: 'Not Found', status: '404' });
  else {
    comment.body = text;
    sendJson(response, 200, commentJson(pull, comment));
  }
  return true;
}

function answer(
  request: IncomingMessage,
  response: ServerResponse,
  pull: FakePullRequest,
  token: string,
  origin: string,
  comments: FakeComment[],
): void {
  const url = new URL(request.url ?? '/', origin);
  const authorization = request.headers.authorization ?? '';
  if (authorization !== `token ${token}` && authorization !== `Bearer ${token}`) {
    return sendJson(response, 401, {
      message: 'Bad credentials',
      documentation_url: 'https://docs.github.com/rest',
      status: '401',
    });
  }
  const prefixes = [
    `/repos/${pull.owner}/${pull.repo}/pulls/${pull.number}`,
    `/repositories/${repositoryId}/pulls/${pull.number}`,
  ];
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
  const commentsPath = `/repos/${pull.owner}/${pull.repo}/issues/${pull.number}/comments`;
  if (request.method === 'GET' && url.pathname === commentsPath) {
    const perPage = Math.min(Number(url.searchParams.get('per_page') ?? 30), 100);
    const page = Number(url.searchParams.get('page') ?? 1);
    const lastPage = Math.max(1, Math.ceil(comments.length / perPage));
    const headers =
      page < lastPage
        ? {
            link: `<${origin}${commentsPath}?per_page=${perPage}&page=${page + 1}>; rel="next", <${origin}${commentsPath}?per_page=${perPage}&page=${lastPage}>; rel="last"`,
          }
        : {};
    return sendJson(
      response,
      200,
      comments.slice((page - 1) * perPage, page * perPage).map((comment) => commentJson(pull, comment)),
      headers,
    );
  }
  sendJson(response, 404, { message: 'Not Found', documentation_url: 'https://docs.github.com/rest', status: '404' });
}

function sendJson(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  response
    .writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers })
    .end(JSON.stringify(body));
}
