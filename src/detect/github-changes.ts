import { EnvironmentError } from '../errors/neurons-error.js';
import {
  apiHost,
  createGitHubClient,
  gitHubSaid,
  isRequestError,
  type RequestError,
} from '../transport/github-client.js';
import { registerSecret } from '../util/mask.js';
import type { ChangedFile } from './types.js';

export interface PullRequestQuery {
  owner: string;
  repo: string;
  pullNumber: number;
  token?: string;
  /** GitHub Enterprise Server: `https://<host>/api/v3`. Defaults to `https://api.github.com`. */
  baseUrl?: string;
  fetch?: typeof fetch;
}

export interface PullRequestChanges {
  /** GitHub lists at most 3,000 files of a pull request: when capped, the list is incomplete and the caller uses git. */
  capped: boolean;
  files: ChangedFile[];
  baseSha: string;
  headSha: string;
}

/** https://docs.github.com/en/rest/pulls/pulls#list-pull-requests-files: "a maximum of 3000 files". */
const listedFileLimit = 3000;

/** Lists the files a pull request changes, as GitHub reports them. Failures become a coded `GITHUB_API` error. */
export async function listPullRequestChanges(options: PullRequestQuery): Promise<PullRequestChanges> {
  registerSecret(options.token);
  const octokit = await createGitHubClient(options);
  const { owner, repo, pullNumber } = options;
  try {
    const { data: pull } = await octokit.rest.pulls.get({ owner, repo, pull_number: pullNumber });
    const listed = await octokit.paginate(octokit.rest.pulls.listFiles, {
      owner,
      repo,
      pull_number: pullNumber,
      per_page: 100,
    });
    return {
      // `changed_files` is the true count: it also catches a list cut short below the documented limit.
      capped: listed.length >= listedFileLimit || pull.changed_files > listed.length,
      files: listed.flatMap((file) => mapGitHubFile(file)),
      baseSha: pull.base.sha,
      headSha: pull.head.sha,
    };
  } catch (error) {
    if (isRequestError(error)) throw describeFailure(error, options);
    throw error;
  }
}

/** GitHub's statuses in git's words; a copy leaves its source untouched, and an unchanged file is no change. */
export function mapGitHubFile(file: {
  status: string;
  filename: string;
  previous_filename?: string | undefined;
}): ChangedFile[] {
  switch (file.status) {
    case 'added':
    case 'copied':
      return [{ status: 'added', path: file.filename }];
    case 'removed':
      return [{ status: 'deleted', path: file.filename }];
    case 'renamed':
      return file.previous_filename === undefined
        ? [{ status: 'modified', path: file.filename }]
        : [{ status: 'renamed', path: file.filename, previousPath: file.previous_filename }];
    case 'unchanged':
      return [];
    default:
      // `modified`, `changed` (mode only) and any status GitHub may add: counting it as changed is never wrong.
      return [{ status: 'modified', path: file.filename }];
  }
}

function describeFailure(error: RequestError, options: PullRequestQuery): EnvironmentError {
  const host = apiHost(options.baseUrl);
  const pullRequest = `${options.owner}/${options.repo}#${options.pullNumber}`;
  const said = gitHubSaid(error, options.token);
  const reached = error.response !== undefined;
  return new EnvironmentError({
    code: 'GITHUB_API',
    message: reached
      ? `GitHub at ${host} answered ${error.status} for pull request ${pullRequest}: ${said}`
      : `GitHub at ${host} could not be reached for pull request ${pullRequest}: ${said}`,
    hint: hintFor(reached ? error.status : undefined, options),
  });
}

function hintFor(status: number | undefined, options: PullRequestQuery): string {
  if (status === undefined)
    return 'Check the network and the API URL (GitHub Enterprise Server: https://<host>/api/v3).';
  if (status === 401)
    return options.token
      ? 'The token was refused: it may be expired or revoked.'
      : 'Give a token: the repository may be private.';
  if (status === 403) return 'The token lacks read access to pull requests, or the API rate limit is exhausted.';
  if (status === 404)
    return 'Check the owner, repository and pull request number, and that the token can see the repository.';
  return 'GitHub may be unavailable; comparing with git instead always works.';
}
