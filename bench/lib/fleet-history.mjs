// The whole corpus as a fleet, in a git repository with a long history: one commit of the fleet, then many small
// commits (a line appended to a notes file of a worker folder, or to a file outside the workers) written in one
// `git fast-import` stream, which takes seconds where thousands of `git commit` would take minutes.
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { discoverRepository } from '../../dist/definitions/discover.js';
import { generateFleet } from './fleet-generate.mjs';
import { runCommand } from './run-command.mjs';

const author = 'Bench <bench@example.invalid>';
const gitIdentity = {
  GIT_AUTHOR_NAME: 'Bench',
  GIT_AUTHOR_EMAIL: 'bench@example.invalid',
  GIT_COMMITTER_NAME: 'Bench',
  GIT_COMMITTER_EMAIL: 'bench@example.invalid',
};

/**
 * Every usable folder of the corpus (the rule of `selectFolders`: no validation error, Python flavors), written
 * by `generateFleet`, which is asked for exactly that many folders.
 */
export async function generateWholeFleet(corpus, target, { nonce }) {
  const discovery = await discoverRepository(corpus, { definitionsOnly: true });
  const broken = new Set(discovery.errors.map((problem) => problem.file.split('/').slice(0, 2).join('/')));
  const usable = discovery.workers.filter(
    (worker) =>
      !broken.has(worker.path) && worker.flavors.some((flavor) => String(flavor.definition.command).endsWith('.py')),
  );
  const fleet = await generateFleet(corpus, target, { folders: usable.length, minFlavors: 1, nonce });
  return { ...fleet, corpusFlavors: discovery.workers.reduce((sum, worker) => sum + worker.flavors.length, 0) };
}

/** `git` in `repo` with a fixed identity (the machine's git configuration is not needed). */
export function git(repo, args, env = {}) {
  return runCommand(['git', ...args], { cwd: repo, env: { ...process.env, ...gitIdentity, ...env } });
}

/** The file the `index`-th history commit appends to: mostly worker folders (spread by a stride), some outside. */
function historyFile(index, workers) {
  if (index % 10 === 0) return `docs/notes-${index % 3}.md`;
  if (index % 10 === 5) return 'CHANGELOG.md';
  const worker = workers[(index * 37) % workers.length];
  return `${worker.path}/NOTES.md`;
}

/** Feeds `stream` to `git fast-import` in `repo`. */
function fastImport(repo, stream) {
  return new Promise((resolve, reject) => {
    const child = spawn('git', ['fast-import', '--quiet'], { cwd: repo, stdio: ['pipe', 'ignore', 'pipe'] });
    const errors = [];
    child.stderr.on('data', (chunk) => errors.push(chunk));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0
        ? resolve()
        : reject(
            new Error(`git fast-import exited with ${code}: ${Buffer.concat(errors).toString('utf8').slice(-2000)}`),
          ),
    );
    child.stdin.end(stream);
  });
}

/**
 * Makes `repo` (the generated fleet) a git repository: the fleet committed, then `commits` small commits on top,
 * one minute apart, ending now. The final tree is the fleet plus the notes files those commits wrote; the working
 * tree is checked out to it. Returns the number of commits on HEAD.
 */
export async function commitWithHistory(repo, workers, { commits }) {
  const now = Math.floor(Date.now() / 1000);
  const start = now - (commits + 1) * 60;
  await git(repo, ['init', '-q', '-b', 'main']);
  await git(repo, ['add', '-A']);
  await git(repo, ['commit', '-q', '-m', 'Fleet generated from the Cortex-Analyzers corpus'], {
    GIT_AUTHOR_DATE: `${start} +0000`,
    GIT_COMMITTER_DATE: `${start} +0000`,
  });
  const first = (await git(repo, ['rev-parse', 'HEAD'])).stdout.trim();
  const contents = new Map();
  const chunks = [];
  for (let index = 1; index <= commits; index += 1) {
    const file = historyFile(index, workers);
    if (!contents.has(file)) contents.set(file, await readFile(path.join(repo, file), 'utf8').catch(() => ''));
    const content = `${contents.get(file)}- change ${index}\n`;
    contents.set(file, content);
    const message = `Update ${file} (${index})\n`;
    const when = `${start + index * 60} +0000`;
    chunks.push(
      `commit refs/heads/main\nmark :${index}\nauthor ${author} ${when}\ncommitter ${author} ${when}\n`,
      `data ${Buffer.byteLength(message)}\n${message}`,
      index === 1 ? `from ${first}\n` : '',
      `M 100644 inline ${file}\ndata ${Buffer.byteLength(content)}\n${content}\n`,
    );
  }
  await fastImport(repo, chunks.join(''));
  await git(repo, ['reset', '-q', '--hard', 'main']);
  const status = (await git(repo, ['status', '--porcelain'])).stdout.trim();
  if (status !== '')
    throw new Error(`the fleet's working tree differs from its last commit:\n${status.slice(0, 2000)}`);
  return Number((await git(repo, ['rev-list', '--count', 'HEAD'])).stdout.trim());
}
