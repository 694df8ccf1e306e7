import type Docker from 'dockerode';
import { followProgress } from '../engine/docker-build.js';
import { parseImageReference } from '../images/reference.js';
import { readDockerCredentials } from '../registry/docker-credentials.js';

/**
 * Pulls an image through the engine with the credentials the Docker client stored for its registry, as
 * `docker pull` would. Throws the engine's error when the pull fails.
 */
export async function pullImage(docker: Docker, image: string, env: NodeJS.ProcessEnv): Promise<void> {
  const { host } = parseImageReference(image);
  const credentials = await readDockerCredentials(host, env);
  const stream = (await docker.pull(
    image,
    credentials ? { authconfig: { ...credentials, serveraddress: host } } : {},
  )) as NodeJS.ReadableStream;
  const events = await followProgress<{ error?: string }>(docker, stream);
  const failure = events.find((event) => event.error);
  if (failure) throw new Error(failure.error);
}
