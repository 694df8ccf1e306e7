import type { Command } from './command.js';

/** Built-in commands, keyed by name. */
export const commands: Record<string, Command> = {};
