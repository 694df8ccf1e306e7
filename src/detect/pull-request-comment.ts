import type { Problem } from '../errors/problem.js';
import { EnvironmentError } from '../errors/neurons-error.js';
import { apiHost, createGitHubClient, gitHubSaid, isRequestError } from '../transport/github-client.js';
import { registerSecret } from '../util/mask.js';
import type { Detection } from './detect.js';

/** Marks the comment this tool owns on a pull request: it is updated in place, never posted twice. */
export const commentMarker = '<!-- neurons:detect -->';

/** Text inside a Markdown table cell or code span: no cell break, no code span break, no HTML. */
function cell(text: string): string {
  return text.replace(/[|`<>\\]/g, (char) => `&#${char.charCodeAt(0)};`).replace(/\r?\n/g, ' ');
}

const short = (sha: string | undefined): string => (sha ? sha.slice(0, 7) : '?');

/** The pull request comment for a detection: what will be rebuilt and why, what is removed, what is wrong. Pure. */
export function renderDetectionComment(
  detection: Omit<Detection, 'decisions' | 'prepared'>,
  errors: Problem[],
): string {
  const lines = [commentMarker];
  const folders = detection.rebuild.length;
  lines.push(
    `### neurons: ${folders === 0 ? 'nothing to rebuild' : `${folders} worker folder${folders === 1 ? '' : 's'} to rebuild`}`,
  );
  const source =
    detection.source.kind === 'none'
      ? 'no git comparison'
      : `${detection.source.kind === 'pull-request' ? 'pull request files' : 'git'} ${short(detection.source.base)}..${short(detection.source.head)}`;
  lines.push(
    '',
    `${source} · mode ${detection.mode} · ${detection.unchanged} flavor${detection.unchanged === 1 ? '' : 's'} unchanged · ${detection.digestChecks} digest check${detection.digestChecks === 1 ? '' : 's'}`,
  );
  if (detection.source.note) lines.push('', `> ${cell(detection.source.note)}`);
  if (folders > 0) {
    lines.push('', '| worker | flavors | why |', '| --- | --- | --- |');
    for (const worker of detection.rebuild)
      lines.push(
        `| \`${cell(worker.path)}\` | ${worker.flavors.map(cell).join(', ')} | ${worker.reasons.map(cell).join(', ')} |`,
      );
  }
  const refused = detection.rebuild.flatMap((worker) => worker.refused);
  if (refused.length > 0) {
    lines.push(
      '',
      `**Published versions are immutable**: ${refused.map((name) => `\`${cell(name)}\``).join(', ')} changed without a new \`version\`; bump it in the definition, or the push will be refused.`,
    );
  }
  if (detection.removed.length > 0) {
    lines.push(
      '',
      `**Removed** (dropped from the catalogs): ${detection.removed.map((removed) => `\`${cell(removed.file)}\`${removed.folderRemoved ? ' (folder removed)' : ''}`).join(', ')}`,
    );
  }
  if (errors.length > 0) {
    lines.push(
      '',
      `**${errors.length} validation error${errors.length === 1 ? '' : 's'}** (these folders are not built):`,
    );
    for (const problem of errors.slice(0, 50)) {
      const where = [problem.file, problem.line, problem.column].filter((part) => part !== undefined).join(':');
      lines.push(`- \`${cell(where)}\` ${cell(problem.code)}: ${cell(problem.message)}`);
    }
    if (errors.length > 50) lines.push(`- … and ${errors.length - 50} more: run \`neurons validate\``);
  }
  return `${lines.join('\n')}\n`;
}

export interface CommentTarget {
  owner: string;
  repo: string;
  pullNumber: number;
  token: string | undefined;
  baseUrl: string | undefined;
  fetch: typeof fetch | undefined;
}

/** Creates the comment, or updates the one this tool wrote before (found by its marker); unchanged text is left alone. */
export async function upsertPullRequestComment(
  target: CommentTarget,
  body: string,
): Promise<{ action: 'created' | 'updated' | 'unchanged'; url: string }> {
  registerSecret(target.token);
  const octokit = await createGitHubClient(target);
  const { owner, repo, pullNumber } = target;
  try {
    const comments = await octokit.paginate(octokit.rest.issues.listComments, {
      owner,
      repo,
      issue_number: pullNumber,
      per_page: 100,
    });
    const ours = comments.find((comment) => comment.body?.startsWith(commentMarker));
    if (ours && ours.body === body) return { action: 'unchanged', url: ours.html_url };
    if (ours) {
      const { data } = await octokit.rest.issues.updateComment({ owner, repo, comment_id: ours.id, body });
      return { action: 'updated', url: data.html_url };
    }
    const { data } = await octokit.rest.issues.createComment({ owner, repo, issue_number: pullNumber, body });
    return { action: 'created', url: data.html_url };
  } catch (error) {
    if (!isRequestError(error)) throw error;
    const said = gitHubSaid(error, target.token);
    const reached = error.response !== undefined;
    throw new EnvironmentError({
      code: 'GITHUB_API',
      message: `GitHub at ${apiHost(target.baseUrl)} ${reached ? `answered ${error.status}` : 'could not be reached'} when commenting on ${owner}/${repo}#${pullNumber}: ${said}`,
      hint:
        reached && (error.status === 403 || error.status === 404)
          ? "the token needs write access to pull requests (GitHub Actions: `permissions: pull-requests: write`; a fork's pull request gets a read-only token)"
          : reached && error.status === 401
            ? 'the token was refused: it may be expired or revoked'
            : 'check the network and GITHUB_API_URL',
    });
  }
}
