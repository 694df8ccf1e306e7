import type { Command } from './command.js';

/**
 * Built-in commands, keyed by name, each loaded only when it runs: a command pulls in only its own dependencies
 * (the engine client, the GitHub client, the template engine...), so `neurons detect` starts in a fraction of the
 * time it would take to load them all.
 */
export const commands: Record<string, () => Promise<Command>> = {
  init: async () => (await import('./commands/init.js')).initCommand,
  validate: async () => (await import('./commands/validate.js')).validateCommand,
  detect: async () => (await import('./commands/detect.js')).detectCommand,
  generate: async () => (await import('./commands/generate.js')).generateCommand,
  build: async () => (await import('./commands/pipeline.js')).buildCommand,
  push: async () => (await import('./commands/pipeline.js')).pushCommand,
  pipeline: async () => (await import('./commands/pipeline.js')).pipelineCommand,
  plan: async () => (await import('./commands/plan.js')).planCommand,
  catalog: async () => (await import('./commands/catalog.js')).catalogCommand,
  keys: async () => (await import('./commands/keys.js')).keysCommand,
  watch: async () => (await import('./commands/watch.js')).watchCommand,
  env: async () => (await import('./commands/env.js')).envCommand,
  run: async () => (await import('./commands/run.js')).runCommand,
  update: async () => (await import('./commands/update.js')).updateCommand,
  ca: async () => (await import('./commands/ca.js')).caCommand,
};
