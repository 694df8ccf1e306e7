import type Docker from 'dockerode';
import path from 'node:path';
import { demuxLogs } from './container-logs.js';
import { stripTerminalEscapes } from '../util/printable.js';

export interface ContainerRun {
  /** Undefined when the container did not finish in time (it was killed). */
  exitCode: number | undefined;
  timedOut: boolean;
  /** stdout and stderr, interleaved as the engine recorded them. */
  logs: string;
}

/**
 * Runs an image once with an optional entry point override and bind-mounted job folder, killing it after
 * `timeoutMs`. The container is removed whatever happens; a container that cannot start (entry point not
 * found) throws the engine's error.
 */
export async function runContainer(
  docker: Docker,
  options: {
    image: string;
    entrypoint?: string[];
    cmd: string[];
    jobDirectory?: string;
    /** More bind mounts (`host:container`) besides the job folder's. */
    extraBinds?: string[];
    network: string;
    timeoutMs: number;
    env?: string[];
    /**
     * Watches the running container with a way to kill it (before `timeoutMs` runs out); the function it returns is
     * called when the container has ended.
     */
    supervise?: (kill: () => void) => () => void;
  },
): Promise<ContainerRun> {
  const binds = [
    ...(options.jobDirectory ? [`${path.resolve(options.jobDirectory)}:/job`] : []),
    ...(options.extraBinds ?? []),
  ];
  const container = await docker.createContainer({
    Image: options.image,
    ...(options.entrypoint ? { Entrypoint: options.entrypoint } : {}),
    Cmd: options.cmd,
    ...(options.env && options.env.length > 0 ? { Env: options.env } : {}),
    HostConfig: {
      NetworkMode: options.network,
      ...(binds.length > 0 ? { Binds: binds } : {}),
    },
  });
  try {
    await container.start();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      void container.kill().catch(() => undefined);
    }, options.timeoutMs);
    const unwatch = options.supervise?.(() => void container.kill().catch(() => undefined));
    const result = (await container.wait().finally(() => {
      clearTimeout(timer);
      unwatch?.();
    })) as { StatusCode: number };
    const logs = demuxLogs(await container.logs({ stdout: true, stderr: true }));
    return { exitCode: timedOut ? undefined : result.StatusCode, timedOut, logs };
  } finally {
    await container.remove({ force: true }).catch(() => undefined);
  }
}

/** A frame of a Node or Java stack trace (`    at fn (file:1:2)`). */
const stackFrame = /^\s+at\s/;

/**
 * The last non-empty lines of a log, for a one-look failure message. A run of stack frames is folded to its first
 * frame: Node and Java print the error above their frames, and eight frames would push it out of sight.
 */
export function lastLines(logs: string, count = 8): string {
  const lines = stripTerminalEscapes(logs.replace(/\r\n/g, '\n'))
    .split('\n')
    .map((line) => line.trimEnd())
    .filter(Boolean);
  const folded: string[] = [];
  let frames = 0;
  for (const line of lines) {
    if (stackFrame.test(line)) {
      frames += 1;
      if (frames === 1) folded.push(line);
      continue;
    }
    if (frames > 1) folded.push(`    ... ${frames - 1} more frame(s)`);
    frames = 0;
    folded.push(line);
  }
  if (frames > 1) folded.push(`    ... ${frames - 1} more frame(s)`);
  return folded.slice(-count).join('\n');
}

/** `; last log lines:` and the tail, or nothing when the container printed nothing. */
export function logTail(logs: string): string {
  const tail = lastLines(logs);
  return tail ? `; last log lines:\n${tail}` : '';
}
