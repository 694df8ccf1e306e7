import type { Problem } from '../errors/problem.js';
import type { FolderCheck } from './check-folder.js';
import { imageNameOf } from '../images/image-name.js';
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
      const problem: Problem = createProblem(
        'DEF_DUPLICATE_ID',
        place,
        `\`${id}\` is also the id of ${others.join(', ')}`,
      );
      folder.errors.push(problem);
      folder.worker.errorCount++;
    }
  }
}

/**
 * An image is named after the worker name, lower-cased, whatever the kind (see imageNameOf): an analyzer and a
 * responder of the same name, or two names that differ only in case, would be pushed to one image, each over the
 * other. Every definition of such a pair gets an error naming the others. Same kind and same spelling is one worker
 * in several versions (or a duplicate id, reported above): that is not a collision.
 */
export function checkImageNameCollisions(folders: FolderCheck[]): void {
  const byImage = new Map<string, Array<{ folder: FolderCheck; file: string; kind: string; name: string }>>();
  for (const folder of folders) {
    for (const check of folder.flavorChecks) {
      const name = check.flavor?.definition.name;
      if (typeof name !== 'string' || name === '') continue;
      const image = imageNameOf(name);
      byImage.set(image, [...(byImage.get(image) ?? []), { folder, file: check.file, kind: folder.worker.kind, name }]);
    }
  }
  for (const [image, owners] of byImage) {
    for (const owner of owners) {
      const others = owners.filter((other) => other.kind !== owner.kind || other.name !== owner.name);
      if (others.length === 0) continue;
      const locations = owner.folder.flavorChecks.find((check) => check.file === owner.file)?.locations;
      const place = locations
        ? { file: owner.file, pointer: '/name', locations }
        : { file: owner.file, pointer: '/name' };
      const named = others.map((other) => `${other.file} (${other.kind} \`${other.name}\`)`).join(', ');
      owner.folder.errors.push(
        createProblem(
          'DEF_IMAGE_NAME_COLLISION',
          place,
          `${owner.kind} \`${owner.name}\` and ${named} are both image \`${image}\``,
        ),
      );
      owner.folder.worker.errorCount++;
    }
  }
}
