import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { type Command, stringOption } from '../command.js';
import { repoOption } from '../common-options.js';
import { ExitCode, UsageError } from '../../errors/neurons-error.js';
import { publicBaseImages } from '../../config/public-base-images.js';
import { baselineFileName, ciFiles, initFiles, type CiKind } from '../../init/init-files.js';
import { discoverRepository } from '../../definitions/discover.js';
import type { Problem } from '../../errors/problem.js';
import { formatPlatform, parsePlatform } from '../../oci/platform.js';
import { runGit } from '../../util/git-command.js';
import { packageRoot } from '../../util/package-root.js';

export const initCommand: Command = {
  name: 'init',
  summary: 'Set up a worker repository: write neurons.json and the CI file, and say what to do next',
  usage:
    'neurons init [--repo DIR] [--registry HOST] [--namespace NS] [--plain-http] [--platform OS/ARCH]... [--ci github|drone|none] [--toolkit-image REF] [--output DIR] [--force]',
  options: {
    repo: repoOption,
    registry: { type: 'string', value: 'HOST', description: 'the registry the images go to', default: 'ghcr.io' },
    namespace: {
      type: 'string',
      value: 'NS',
      description: "the images' path in the registry, lower-cased",
      default: 'the owner of the git remote origin, else the folder name',
    },
    'plain-http': {
      type: 'boolean',
      description: 'the registry speaks HTTP, not HTTPS (a registry on a private network or a CI service)',
    },
    platform: {
      type: 'string',
      multiple: true,
      value: 'OS/ARCH',
      description: 'the platforms of the images; repeatable or comma-separated',
      default: 'linux/amd64 and linux/arm64',
    },
    ci: { type: 'string', value: 'github|drone|none', description: 'which CI file to write', default: 'github' },
    'toolkit-image': {
      type: 'string',
      value: 'REF',
      description: 'run the CI steps in this toolkit image (built with `npm run image`) instead of Node and npx',
      default: 'Node and a pinned npx',
    },
    output: {
      type: 'string',
      value: 'DIR',
      description: 'where the files are written',
      default: 'the repository',
      aliases: ['out'],
    },
    force: { type: 'boolean', description: 'replace files that exist' },
  },
  async run(io, values) {
    const text = (name: string): string | undefined => stringOption(values, name);
    const repo = path.resolve(io.cwd, text('repo') ?? '.');
    const ci = text('ci') ?? 'github';
    if (!['github', 'drone', 'none'].includes(ci))
      throw new UsageError({ code: 'USAGE', message: `unknown --ci '${ci}'`, hint: 'use github, drone or none' });
    const given = ((values['platform'] as string[] | undefined) ?? [])
      .flatMap((value) => value.split(','))
      .map((value) => value.trim())
      .filter(Boolean);
    const platforms =
      given.length > 0
        ? [...new Set(given.map((value) => formatPlatform(parsePlatform(value, undefined, '--platform'))))]
        : ['linux/amd64', 'linux/arm64'];
    if (text('toolkit-image') !== undefined && ci === 'none')
      throw new UsageError({
        code: 'USAGE',
        message: '--toolkit-image sets the image of the CI steps: it needs --ci github or drone',
      });
    const output = path.resolve(io.cwd, text('output') ?? repo);
    const problems = await currentProblems(repo);
    const files = await initFiles({
      registry: text('registry') ?? 'ghcr.io',
      namespace: text('namespace') ?? (await defaultNamespace(repo)),
      plainHttp: values['plain-http'] === true,
      ci: ci as CiKind,
      platforms,
      templatesDirectory: path.join(packageRoot(), 'templates'),
      problems,
      toolkitImage: text('toolkit-image'),
    });
    // Every file checked before any is written: nothing is half set up.
    const existing = [...files.keys()].filter((file) => existsSync(path.join(output, file)));
    if (existing.length > 0 && values['force'] !== true) {
      throw new UsageError({
        code: 'INIT_EXISTS',
        file: path.join(output, existing[0] ?? ''),
        message: `${existing.join(', ')} already exist${existing.length === 1 ? 's' : ''} in ${output}`,
        hint: 'keep them, or pass --force to replace them',
      });
    }
    for (const [file, content] of files) {
      await mkdir(path.dirname(path.join(output, file)), { recursive: true });
      await writeFile(path.join(output, file), content);
      io.stdout.write(`wrote ${path.join(output, file)}\n`);
    }
    io.stdout.write(
      `${problems.length === 0 ? 'no validation problem today' : `${problems.length} validation problem(s) today, recorded as known`} in ${baselineFileName}: the CI files fail on new ones only\n`,
    );
    io.stdout.write(nextSteps(ci as CiKind));
    return ExitCode.ok;
  },
};

/** The repository's validation errors; none for a repository without workers yet (it gets them later). */
async function currentProblems(repo: string): Promise<Problem[]> {
  try {
    return (await discoverRepository(repo, { definitionsOnly: false })).errors;
  } catch (error) {
    if (error instanceof UsageError && error.code === 'REPO_NO_WORKERS') return [];
    throw error;
  }
}

/** The owner in the origin remote's URL (`git@github.com:Owner/repo.git`, `https://host/Owner/repo`), else the folder's name. */
async function defaultNamespace(repo: string): Promise<string> {
  const remote = (await runGit(repo, ['remote', 'get-url', 'origin']).catch(() => '')).trim();
  const owner = /[:/]([^/:]+)\/[^/]+?(?:\.git)?$/.exec(remote)?.[1];
  return (owner ?? path.basename(repo)).toLowerCase();
}

function nextSteps(ci: CiKind): string {
  const lines = [
    '',
    'next:',
    `  1. check neurons.json: the registry, the platforms, and the base images (public ones: ${Object.values(publicBaseImages).join(', ')}; point them at a mirror if you have one)`,
    '  2. make the key that signs the catalogs: neurons keys generate --output keys (keep keys/neurons-index.key secret; give keys/neurons-index.pub to engines)',
  ];
  if (ci === 'github') {
    lines.push(
      `  3. in GitHub: Settings > Secrets and variables > Actions: NEURONS_SIGNING_KEY = the content of keys/neurons-index.key; commit ${ciFiles.github.target}`,
    );
  } else if (ci === 'drone') {
    lines.push(
      `  3. in Drone: secrets registry_username, registry_password, index_signing_key (keys/neurons-index.key), catalog_publish_token; set the catalog URLs in ${ciFiles.drone.target}; commit it`,
    );
  } else {
    lines.push('  3. set NEURONS_REGISTRY_USERNAME and NEURONS_REGISTRY_PASSWORD where neurons runs');
  }
  lines.push('  4. try it: neurons validate, then neurons pipeline --dry-run', '');
  return lines.join('\n');
}
