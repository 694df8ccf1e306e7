import type { Command } from './command.js';
import { catalogCommand } from './commands/catalog.js';
import { caCommand } from './commands/ca.js';
import { detectCommand } from './commands/detect.js';
import { envCommand } from './commands/env.js';
import { generateCommand } from './commands/generate.js';
import { keysCommand } from './commands/keys.js';
import { buildCommand, pipelineCommand, pushCommand } from './commands/pipeline.js';
import { runCommand } from './commands/run.js';
import { validateCommand } from './commands/validate.js';

/** Built-in commands, keyed by name. */
export const commands: Record<string, Command> = {
  validate: validateCommand,
  detect: detectCommand,
  generate: generateCommand,
  build: buildCommand,
  push: pushCommand,
  pipeline: pipelineCommand,
  catalog: catalogCommand,
  keys: keysCommand,
  env: envCommand,
  run: runCommand,
  ca: caCommand,
};
