import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** Runs git in `dir` and returns its trimmed output; the system configuration is left out for repeatable repos. */
export function runGit(dir: string, ...args: string[]): string {
  return execFileSync('git', args, {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1' },
  }).trim();
}

const created: string[] = [];

export async function createTempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'neurons-detect-'));
  created.push(dir);
  return dir;
}

/** For `afterAll`: removes every folder `createTempDir` made. */
export async function removeTempDirs(): Promise<void> {
  await Promise.all(created.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
}

/** A new repository on branch `main` with a local identity, so commits work whatever the machine's configuration. */
export async function createRepo(): Promise<string> {
  const dir = await createTempDir();
  runGit(dir, 'init', '--quiet', '--initial-branch=main');
  runGit(dir, 'config', 'user.name', 'Neurons Test');
  runGit(dir, 'config', 'user.email', 'test@neurons.invalid');
  runGit(dir, 'config', 'commit.gpgsign', 'false');
  return dir;
}

export async function writeFiles(dir: string, files: Record<string, string>): Promise<void> {
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), content);
  }
}

/** Stages everything (deletions included), commits, and returns the new commit's SHA. */
export function commitAll(dir: string, message: string): string {
  runGit(dir, 'add', '--all');
  runGit(dir, 'commit', '--quiet', '--allow-empty', '-m', message);
  return runGit(dir, 'rev-parse', 'HEAD');
}

/** Enough lines that git's rename detection recognises the file after a move. */
export function sampleProgram(name: string): string {
  return Array.from({ length: 20 }, (_, line) => `print("${name} line ${line}")`).join('\n') + '\n';
}
