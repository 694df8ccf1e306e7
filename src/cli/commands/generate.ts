import path from 'node:path';
import type { Command } from '../command.js';
import { baselineSpec, configOption, offlineOption, onlyOption, repoOption } from '../common-options.js';
import { baselineOption, printValidationErrors } from '../baseline-option.js';
import { prepareBuildSettings } from '../../engine-build/build-settings.js';
import { loadCommandConfig } from '../load-command-config.js';
import { discoverRepository } from '../../definitions/discover.js';
import { ExitCode } from '../../errors/neurons-error.js';
import {
  compareDockerfiles,
  describeGoProtocols,
  renderDockerfiles,
  writeDockerfiles,
} from '../../generate/generate-dockerfiles.js';
import { buildPlan } from '../../plan/build-plan.js';

export const generateCommand: Command = {
  name: 'generate',
  summary: 'Write the generated Dockerfiles of a worker repository to a folder (or check that folder is current)',
  usage:
    'neurons generate [--repo DIR] [--config FILE] [--output DIR] [--only DIR]... [--check] [--offline] [--baseline FILE]',
  options: {
    repo: repoOption,
    config: configOption,
    output: {
      type: 'string',
      value: 'DIR',
      description: 'where the Dockerfiles are written',
      default: '<repo>/build/dockerfiles',
      aliases: ['out'],
    },
    only: onlyOption,
    check: {
      type: 'boolean',
      description:
        'render and compare instead of writing: list changed, missing and extra files, exit 1 when any is stale',
    },
    offline: offlineOption,
    baseline: baselineSpec,
  },
  async run(io, values) {
    const repo = path.resolve(io.cwd, typeof values['repo'] === 'string' ? values['repo'] : '.');
    const out = path.resolve(
      io.cwd,
      typeof values['output'] === 'string' ? values['output'] : path.join(repo, 'build', 'dockerfiles'),
    );
    const config = await loadCommandConfig(
      io,
      repo,
      typeof values['config'] === 'string' ? { configFile: path.resolve(io.cwd, values['config']) } : {},
    );
    const baseline = await baselineOption(io, values);
    const discovery = await discoverRepository(repo, { definitionsOnly: false });
    const { fresh } = printValidationErrors(io, discovery.errors, baseline);
    const only = (values['only'] as string[] | undefined) ?? [];
    const plan = buildPlan(repo, discovery, config, only);
    const settings = await prepareBuildSettings(repo, discovery, config, {
      offline: Boolean(values['offline']),
      env: io.env,
    });
    const { files, goProtocols } = await renderDockerfiles(repo, plan, settings);
    for (const line of describeGoProtocols(goProtocols)) io.stdout.write(`go      ${line}\n`);
    if (values['check']) {
      const scope =
        only.length > 0 ? plan.units.map((unit) => `${unit.worker.kind}s/${unit.worker.directory}`) : undefined;
      const stale = await compareDockerfiles(out, files, scope);
      for (const file of stale.changed) io.stdout.write(`changed ${file}\n`);
      for (const file of stale.missing) io.stdout.write(`missing ${file}\n`);
      for (const file of stale.extra) io.stdout.write(`extra   ${file}\n`);
      const count = stale.changed.length + stale.missing.length + stale.extra.length;
      io.stdout.write(
        count === 0
          ? `${files.size} Dockerfiles up to date in ${out}\n`
          : `${count} stale file(s) in ${out}: run \`neurons generate\`\n`,
      );
      return count === 0 && fresh.length === 0 ? ExitCode.ok : ExitCode.failure;
    }
    await writeDockerfiles(out, files);
    io.stdout.write(`${files.size} Dockerfiles written to ${out}\n`);
    return fresh.length === 0 ? ExitCode.ok : ExitCode.failure;
  },
};
