import { EnvironmentError } from '../errors/neurons-error.js';
import { commandExists, run } from './processes.js';

/** Commands the environment needs, and the Debian package that brings each. */
const requiredCommands: Record<string, string> = {
  dockerd: 'docker.io',
  docker: 'docker.io',
  'docker-registry': 'docker-registry',
  htpasswd: 'apache2-utils',
  mmdebstrap: 'mmdebstrap',
  // arm64 base images: mmdebstrap runs their maintainer scripts under QEMU (binfmt_misc, `emulation.ts`), and asks
  // arch-test whether the foreign architecture runs before it starts.
  'qemu-aarch64-static': 'qemu-user-static',
  'arch-test': 'arch-test',
  // The tests read the base images' indexes with a client independent of ours.
  skopeo: 'skopeo',
  // The catalog page is tested in a real browser.
  chromium: 'chromium',
};

/** Installs the Debian packages whose commands are missing (as root); says exactly what to install otherwise. */
export function ensureSystemPackages(log: (line: string) => void): void {
  const missing = [
    ...new Set(
      Object.entries(requiredCommands)
        .filter(([command]) => !commandExists(command))
        .map(([, pkg]) => pkg),
    ),
  ];
  if (missing.length === 0) return;
  if (process.getuid?.() !== 0) {
    throw new EnvironmentError({
      code: 'ENV_PACKAGES_MISSING',
      message: `missing Debian packages: ${missing.join(', ')}`,
      hint: `run as root: apt-get install -y ${missing.join(' ')}`,
    });
  }
  log(`installing ${missing.join(', ')} (apt-get)`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  run('apt-get', ['update'], { what: 'apt-get update', env });
  run('apt-get', ['install', '-y', '--no-install-recommends', ...missing], { what: 'apt-get install', env });
}
