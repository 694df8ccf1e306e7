import type { Problem } from '../errors/problem.js';
import type { FolderCheck } from './check-folder.js';
import { createProblem } from './codes.js';

/**
 * The engine keys workers by id within a kind: every definition sharing an id with another gets an error,
 * since which one the user meant cannot be known. Adds the errors to the folders concerned.
 */
export function checkDuplicateIds(folders: FolderCheck[]): void {
  const byId = new Map<string, Array<{ folder: FolderCheck; file: string }>>();
  for (const folder of folders) {
    for (const check of folder.flavorChecks) {
      if (!check.flavor || check.flavor.id === '') continue;
      const key = `${folder.worker.kind}:${check.flavor.id}`;
      byId.set(key, [...(byId.get(key) ?? []), { folder, file: check.file }]);
    }
  }
  for (const [key, owners] of byId) {
    if (owners.length < 2) continue;
    const id = key.slice(key.indexOf(':') + 1);
    for (const { folder, file } of owners) {
      const others = owners.filter((owner) => owner.file !== file).map((owner) => owner.file);
      const locations = folder.flavorChecks.find((check) => check.file === file)?.locations;
      const place = locations ? { file, pointer: '/name', locations } : { file, pointer: '/name' };
      const problem: Problem = createProblem('DEF_DUPLICATE_ID', place, `\`${id}\` is also the id of ${others.join(', ')}`);
      folder.errors.push(problem);
      folder.worker.errorCount++;
    }
  }
}
