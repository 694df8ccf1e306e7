import type { Command } from '../command.js';
import { jsonOption } from '../common-options.js';
import { UsageError } from '../../errors/neurons-error.js';
import { bringEnvironmentDown } from '../../environment/down.js';
import { pruneEnvironment } from '../../environment/prune.js';
import { environmentDirectory, readEnvironmentState } from '../../state/environment-state.js';
import { bringEnvironmentUp, environmentOptions } from '../../environment/up.js';

function publicView(state: object): string {
  // Credentials stay in the state file (mode 0600); printed views never carry them.
  return JSON.stringify(state, (key, value: unknown) => (key === 'password' ? '***' : value), 2);
}

export const envCommand: Command = {
  name: 'env',
  summary:
    'Bring up (or show, stop, or prune) the local environment: Docker engine, TLS registry, base images, package index',
  usage: 'neurons env up|status|down|prune [--keep NAMESPACE]... [--json]',
  positionals: true,
  options: {
    json: jsonOption,
    keep: {
      type: 'string',
      multiple: true,
      value: 'NAMESPACE',
      description:
        "with prune: a registry namespace to keep besides the base images and the environment's own (repeatable)",
    },
  },
  async run(io, values, positionals) {
    const [action] = positionals;
    const directory = environmentDirectory(io.env);
    const log = (line: string): void => void io.stderr.write(`${line}\n`);
    if (action === 'up') {
      const started = Date.now();
      const state = await bringEnvironmentUp(environmentOptions(io.env, directory, log));
      log(`environment ready in ${((Date.now() - started) / 1000).toFixed(1)} s; state: ${directory}/state.json`);
      if (values['json']) io.stdout.write(`${publicView(state)}\n`);
      return 0;
    }
    const state = await readEnvironmentState(directory);
    if (action === 'status') {
      if (!state) {
        io.stderr.write(`no environment recorded in ${directory}: run \`neurons env up\`\n`);
        return 1;
      }
      io.stdout.write(`${publicView(state)}\n`);
      return 0;
    }
    if (action === 'down') {
      if (state) bringEnvironmentDown(state, log);
      return 0;
    }
    if (action === 'prune') {
      if (!state) {
        io.stderr.write(`no environment recorded in ${directory}: nothing to prune\n`);
        return 1;
      }
      const pruned = await pruneEnvironment(state, (values['keep'] as string[] | undefined) ?? [], log);
      // The registries were stopped for their garbage collection: started again, with everything else as it was.
      await bringEnvironmentUp(environmentOptions(io.env, directory, log));
      if (values['json']) io.stdout.write(`${JSON.stringify(pruned, undefined, 2)}\n`);
      return 0;
    }
    throw new UsageError({
      code: 'USAGE',
      message: `unknown env action '${action ?? ''}'`,
      hint: 'use `neurons env up`, `status`, `down` or `prune`',
    });
  },
};
