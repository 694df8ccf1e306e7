import Docker from 'dockerode';
import path from 'node:path';
import { EnvironmentError } from '../errors/neurons-error.js';
import { commandExists, startDetached, waitFor } from './processes.js';

async function answers(docker: Docker): Promise<boolean> {
  try {
    await docker.ping();
    return true;
  } catch {
    return false;
  }
}

/**
 * Makes sure a Docker engine answers on the default socket (or DOCKER_HOST). Starts `dockerd` without a bridge
 * when none runs: containers and builds here use the host network.
 */
export async function ensureDockerEngine(directory: string, log: (line: string) => void): Promise<number | undefined> {
  const docker = new Docker();
  if (await answers(docker)) {
    log('docker engine: running');
    return undefined;
  }
  if (process.env['DOCKER_HOST']) {
    throw new EnvironmentError({
      code: 'ENV_DOCKER_UNREACHABLE',
      message: `the Docker engine at DOCKER_HOST=${process.env['DOCKER_HOST']} does not answer`,
      hint: 'start that engine, or unset DOCKER_HOST to use a local one',
    });
  }
  if (!commandExists('dockerd')) {
    throw new EnvironmentError({
      code: 'ENV_DOCKER_MISSING',
      message: 'no Docker engine (dockerd) installed',
      hint: 'apt-get install -y docker.io',
    });
  }
  const pid = startDetached(
    'dockerd',
    ['--bridge=none', '--iptables=false', '--ip-masq=false'],
    path.join(directory, 'dockerd.log'),
  );
  await waitFor('docker engine', () => answers(docker), 60_000, `see ${path.join(directory, 'dockerd.log')}`);
  log(`docker engine: started (pid ${pid})`);
  return pid;
}
