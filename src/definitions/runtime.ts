import type { Problem } from '../errors/problem.js';
import { createProblem } from './codes.js';
import type { JsonLocations } from './json-positions.js';
import type { Runtime } from './types.js';

/** What runtime detection needs to know of one flavor. */
export interface FlavorCommand {
  file: string;
  command: string | undefined;
  locations: JsonLocations;
}

export interface RuntimeDetection {
  runtime: Runtime | undefined;
  /** DEF_UNKNOWN_RUNTIME or DEF_MIXED_RUNTIME errors. */
  errors: Problem[];
}

/** The runtime a command's file extension implies, if any (a Go binary has none). */
export function inferCommandRuntime(command: string | undefined): Runtime | undefined {
  if (command === undefined) return undefined;
  if (/\.py$/.test(command)) return 'python';
  if (/\.[mc]?js$/.test(command)) return 'node';
  return undefined;
}

/**
 * Decides how a folder is built, from the names of its top-level files and its flavors' commands:
 * a Dockerfile wins (`custom`), then go.mod, then package.json or a .js command, then a .py command or a
 * requirements*.txt file, then .go files. Every flavor must agree with the result unless the folder has its own Dockerfile.
 */
export function detectRuntime(
  folderPath: string,
  fileNames: ReadonlySet<string>,
  flavors: FlavorCommand[],
): RuntimeDetection {
  if (fileNames.has('Dockerfile')) return { runtime: 'custom', errors: [] };
  const implied = flavors.map((flavor) => inferCommandRuntime(flavor.command));
  let runtime: Runtime | undefined;
  let reason = '';
  if (fileNames.has('go.mod')) [runtime, reason] = ['go', 'go.mod'];
  else if (fileNames.has('package.json')) [runtime, reason] = ['node', 'package.json'];
  else {
    const index = implied.findIndex((value) => value === 'node');
    const pythonIndex = implied.findIndex((value) => value === 'python');
    const first = index === -1 ? pythonIndex : index;
    const source = first === -1 ? undefined : flavors[first];
    if (source) [runtime, reason] = [implied[first], `the command of ${source.file}`];
    else if ([...fileNames].some((name) => /^requirements.*\.txt$/.test(name)))
      [runtime, reason] = ['python', 'requirements.txt'];
    // Go code without go.mod (from before modules): a Go folder all the same, refused when rendered, with the fix.
    else if ([...fileNames].some((name) => name.endsWith('.go'))) [runtime, reason] = ['go', '.go files'];
  }
  if (runtime === undefined) {
    return {
      runtime,
      errors: [
        createProblem(
          'DEF_UNKNOWN_RUNTIME',
          { file: folderPath },
          `no Dockerfile, go.mod, package.json, requirements*.txt, nor a .py or .js command in ${folderPath}`,
        ),
      ],
    };
  }
  const errors = flavors.flatMap((flavor, index) => {
    const own = implied[index];
    if (own === undefined || own === runtime) return [];
    const place = { file: flavor.file, pointer: '/command', locations: flavor.locations };
    return [
      createProblem(
        'DEF_MIXED_RUNTIME',
        place,
        `\`${flavor.command}\` needs ${own}, but the folder is ${runtime} (from ${reason})`,
      ),
    ];
  });
  return { runtime, errors };
}
