// Local image references, to remove exactly what a run tagged (never images of other users of the engine).
import { runCommand } from './run-command.mjs';

/** `repository:tag` of every local image whose repository matches `pattern` (a `docker images` reference filter). */
export async function listReferences(pattern) {
  const result = await runCommand(['docker', 'images', '--filter', `reference=${pattern}`, '--format', '{{.Repository}}:{{.Tag}}']);
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
