// Local image references, to remove exactly what a run tagged (never images of other users of the engine).
import { runCommand } from './run-command.mjs';

/** `repository:tag` of every local image whose repository matches `pattern` (a `docker images` reference filter). */
export async function listReferences(pattern) {
  const result = await runCommand([
    'docker',
    'images',
    '--filter',
    `reference=${pattern}`,
    '--format',
    '{{.Repository}}:{{.Tag}}',
  ]);
  return result.stdout.split('\n').filter((line) => line && !line.endsWith(':<none>'));
}

/** `docker rmi` in batches; untagged parents (the legacy builder's intermediate layers) go with them. */
export async function removeReferences(references) {
  let removed = 0;
  for (let start = 0; start < references.length; start += 50) {
    const batch = references.slice(start, start + 50);
    const result = await runCommand(['docker', 'rmi', ...batch], { allowFailure: true });
    removed += batch.length;
    if (result.code !== 0) console.error(`docker rmi: ${result.output.trim().split('\n').slice(-3).join('\n')}`);
  }
  return removed;
}

/**
 * Every local image of `repositories` (`host/namespace/*` patterns), tagged or only pulled by digest, removed by
 * id with its untagged parents: what a run put in the engine, and only that (the engine may be shared).
 */
export async function removeRepositories(patterns) {
  const ids = new Set();
  for (const pattern of patterns) {
    const result = await runCommand([
      'docker',
      'images',
      '--no-trunc',
      '--filter',
      `reference=${pattern}`,
      '--format',
      '{{.ID}}',
    ]);
    for (const id of result.stdout.split('\n')) if (id) ids.add(id);
  }
  const list = [...ids];
  for (let start = 0; start < list.length; start += 50) {
    const result = await runCommand(['docker', 'rmi', '--force', ...list.slice(start, start + 50)], {
      allowFailure: true,
    });
    if (result.code !== 0) console.error(`docker rmi: ${result.output.trim().split('\n').slice(-3).join('\n')}`);
  }
  return list.length;
}
