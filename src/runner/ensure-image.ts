import type Docker from 'dockerode';
import { EnvironmentError, UsageError } from '../errors/neurons-error.js';
import { parseImageReference } from '../images/reference.js';
import { pullImage } from './pull-image.js';
import { maskSecrets } from '../util/mask.js';

/**
 * Makes sure the engine has the image, pulling it (with the Docker client's credentials for its registry) when
 * it has not, as the engine does before a job. Returns whether it was pulled.
 */
export async function ensureImage(docker: Docker, image: string, env: NodeJS.ProcessEnv): Promise<boolean> {
  try {
    await docker.getImage(image).inspect();
    return false;
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode !== 404) {
      throw new EnvironmentError(
        {
          code: 'RUN_DOCKER',
          message: `the Docker engine cannot be used: ${(error as Error).message}`,
          hint: 'check that the engine runs (`neurons env up`) and DOCKER_HOST',
        },
        error,
      );
    }
  }
  const { host } = parseImageReference(image);
  try {
    await pullImage(docker, image, env);
  } catch (error) {
    throw new UsageError({
      code: 'RUN_IMAGE_UNAVAILABLE',
      message: `${image} is not on this engine and could not be pulled: ${maskSecrets((error as Error).message)}`,
      hint: `check the reference (\`docker pull ${image}\`), and that \`docker login ${host}\` was done`,
    });
  }
  return true;
}
