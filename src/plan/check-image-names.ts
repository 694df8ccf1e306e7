import type { ResolvedRegistry } from '../config/load-config.js';
import { createProblem } from '../definitions/codes.js';
import type { Discovery } from '../definitions/types.js';
import { imageRepository } from '../images/image-name.js';
import { maxNameLength } from '../images/reference-syntax.js';

/**
 * A worker's image name (registry, namespace and worker name) must fit the 255 characters of a reference. Only
 * known once the registries are: validation checks the name alone. A flavor whose name does not fit is an error of
 * its definition, so its folder is not built; before, the registry refused the push with an anonymous 500.
 */
export function checkImageNameLengths(discovery: Discovery, registries: ResolvedRegistry[]): void {
  for (const worker of discovery.workers) {
    for (const flavor of worker.flavors) {
      const name = flavor.definition.name;
      if (typeof name !== 'string') continue;
      const tooLong = registries
        .map((registry) => imageRepository(registry, name))
        .find((repository) => repository.length > maxNameLength);
      if (!tooLong) continue;
      discovery.errors.push(
        createProblem(
          'DEF_NAME_INVALID',
          { file: flavor.file, pointer: '/name' },
          `the image name ${tooLong.slice(0, 60)}... has ${tooLong.length} characters, more than ${maxNameLength}: shorten the name or the namespace`,
        ),
      );
      worker.errorCount++;
    }
  }
}
