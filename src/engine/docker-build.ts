import type Docker from 'dockerode';
import { Readable } from 'node:stream';
import { EnvironmentError, NeuronsError } from '../errors/neurons-error.js';
import { maskSecrets } from '../util/mask.js';
import { printable } from '../util/printable.js';

interface BuildEvent {
  stream?: string;
  error?: string;
  errorDetail?: { message?: string };
  aux?: { ID?: string };
}

/** Credentials per registry host (the engine's X-Registry-Config), for pulling base images during a build. */
export type RegistryAuth = Record<string, { username: string; password: string }>;

export interface BuildResult {
  imageId: string;
  /** The build's output, secrets masked. */
  log: string[];
}

/** Follows a Docker progress stream to its end, collecting every event. */
export function followProgress<T>(docker: Docker, stream: NodeJS.ReadableStream): Promise<T[]> {
  return new Promise((resolve, reject) => {
    docker.modem.followProgress(stream, (error: Error | null, events: T[]) =>
      error ? reject(error) : resolve(events),
    );
  });
}

/**
 * Builds an image from a tar context through the engine API (host network: builds reach services on loopback,
 * such as a private package index). Throws with the build's last lines when it fails.
 */
export async function buildImage(
  docker: Docker,
  context: Buffer,
  options: {
    tag: string;
    dockerfile: string;
    buildArgs: Record<string, string>;
    labels: Record<string, string>;
    registryAuth: RegistryAuth;
    file: string;
  },
): Promise<BuildResult> {
  let events: BuildEvent[];
  try {
    const stream = await docker.buildImage(Readable.from([context]), {
      t: options.tag,
      dockerfile: options.dockerfile,
      buildargs: options.buildArgs,
      labels: options.labels,
      registryconfig: options.registryAuth,
      networkmode: 'host',
      rm: true,
      forcerm: true,
    });
    events = await followProgress<BuildEvent>(docker, stream);
  } catch (error) {
    throw new EnvironmentError(
      {
        code: 'BUILD_ENGINE',
        file: options.file,
        message: `the Docker engine refused the build: ${maskSecrets((error as Error).message)}`,
        hint: 'check that the engine runs (`neurons env up`) and DOCKER_HOST',
      },
      error,
    );
  }
  // Colours of the tools run by the build (pip, npm) are dropped: the log is read in CI logs and JSON, not a terminal.
  const log = events.flatMap((event) =>
    event.stream
      ? printable(event.stream)
          .split('\n')
          .map((line) => line.trimEnd())
          .filter(Boolean)
      : [],
  );
  const failure = events.find((event) => event.error);
  if (failure) {
    const message = printable(failure.errorDetail?.message ?? failure.error ?? 'unknown error');
    throw new NeuronsError({
      code: 'BUILD_FAILED',
      file: options.file,
      message: `image build failed: ${message}\n${log
        .slice(-20)
        .map((line) => `      | ${line}`)
        .join('\n')}`,
      hint: 'run the failing step by hand from the generated Dockerfile (`neurons pipeline --dry-run` shows it)',
    });
  }
  const imageId =
    [...events].reverse().find((event) => event.aux?.ID)?.aux?.ID ?? (await docker.getImage(options.tag).inspect()).Id;
  return { imageId, log };
}
