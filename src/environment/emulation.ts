import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { EnvironmentError } from '../errors/neurons-error.js';

/**
 * Where the kernel's binfmt_misc interface and qemu-user-static's registrations live, and what this process may do
 * there: a parameter so that tests can stand a temporary folder in for /proc/sys/fs/binfmt_misc.
 */
export interface BinfmtHost {
  /** binfmt_misc's mount point: holds `register`, `status` and one file per registered format. */
  binfmtDirectory: string;
  /** qemu-user-static's `<name>.conf` files, one registration line each (systemd-binfmt's format). */
  configurationDirectory: string;
  isRoot: boolean;
  /** Mounts binfmt_misc on `binfmtDirectory`; returns false when the kernel refused. */
  mount: (directory: string) => boolean;
}

export function systemBinfmtHost(): BinfmtHost {
  return {
    binfmtDirectory: '/proc/sys/fs/binfmt_misc',
    configurationDirectory: '/usr/lib/binfmt.d',
    isRoot: process.getuid?.() === 0,
    mount: (directory) =>
      spawnSync('mount', ['-t', 'binfmt_misc', 'binfmt_misc', directory], { stdio: 'ignore' }).status === 0,
  };
}

/** The emulators the environment registers: arm64 base images run their maintainer scripts and tests under QEMU. */
export const emulators = ['qemu-aarch64'];

/** The registration line of a binfmt.d file: its first line that is neither empty nor a comment. */
export function registrationLine(configuration: string): string | undefined {
  return configuration
    .split('\n')
    .map((line) => line.trim())
    .find((line) => line !== '' && !line.startsWith('#') && !line.startsWith(';'));
}

/**
 * The line with the F flag ("fix binary"): the kernel opens the interpreter once, at registration, so that it runs
 * inside containers and chroots, whose file systems do not have it (mmdebstrap's chroot, `docker run --platform`).
 */
export function withFixBinaryFlag(line: string): string {
  const fields = line.split(':');
  const flags = fields.at(-1) ?? '';
  return flags.includes('F') ? line : [...fields.slice(0, -1), `${flags}F`].join(':');
}

/** The flags of a registered format, from its file under binfmt_misc (`flags: POF`). */
const registeredFlags = (text: string): string => /^flags:\s*(\S*)/m.exec(text)?.[1] ?? '';

const notRoot = (what: string, command: string): EnvironmentError =>
  new EnvironmentError({
    code: 'ENV_EMULATION_NOT_ROOT',
    message: `arm64 emulation: ${what} needs root`,
    hint: `run \`neurons env up\` as root, or once as root: ${command}`,
  });

/**
 * Makes foreign binaries run through QEMU, idempotently: mounts binfmt_misc when it is not, and registers each
 * emulator of qemu-user-static that is not registered yet (or registered without the F flag). Returns what it did,
 * per emulator: `present` or `registered`.
 */
export async function ensureEmulation(
  host: BinfmtHost,
  log: (line: string) => void,
): Promise<Record<string, 'present' | 'registered'>> {
  const { binfmtDirectory } = host;
  const register = path.join(binfmtDirectory, 'register');
  if (!existsSync(register)) {
    if (!host.isRoot)
      throw notRoot(
        `mounting binfmt_misc on ${binfmtDirectory}`,
        `mount -t binfmt_misc binfmt_misc ${binfmtDirectory}`,
      );
    if (!host.mount(binfmtDirectory) || !existsSync(register)) {
      throw new EnvironmentError({
        code: 'ENV_BINFMT_UNAVAILABLE',
        message: `arm64 emulation: binfmt_misc is not mounted on ${binfmtDirectory} and could not be`,
        hint: 'the kernel needs binfmt_misc (CONFIG_BINFMT_MISC); in a container, run it privileged or register qemu-user-static on the host',
      });
    }
    log(`binfmt_misc: mounted on ${binfmtDirectory}`);
  }
  const outcome: Record<string, 'present' | 'registered'> = {};
  for (const name of emulators) {
    const entry = path.join(binfmtDirectory, name);
    const current = existsSync(entry) ? await readFile(entry, 'utf8') : undefined;
    if (current !== undefined && current.startsWith('enabled') && registeredFlags(current).includes('F')) {
      outcome[name] = 'present';
      continue;
    }
    const configurationFile = path.join(host.configurationDirectory, `${name}.conf`);
    if (!existsSync(configurationFile)) {
      throw new EnvironmentError({
        code: 'ENV_QEMU_MISSING',
        file: configurationFile,
        message: `arm64 emulation: no ${configurationFile}`,
        hint: 'apt-get install -y qemu-user-static',
      });
    }
    const line = registrationLine(await readFile(configurationFile, 'utf8'));
    if (!line)
      throw new EnvironmentError({
        code: 'ENV_QEMU_MISSING',
        file: configurationFile,
        message: `arm64 emulation: ${configurationFile} holds no registration line`,
        hint: 'apt-get install --reinstall -y qemu-user-static',
      });
    if (!host.isRoot) throw notRoot(`registering ${name}`, `grep -v '^#' ${configurationFile} > ${register}`);
    try {
      // A disabled entry, or one without F, is removed first: the kernel refuses a second entry of the same name.
      if (current !== undefined) await writeFile(entry, '-1');
      await writeFile(register, withFixBinaryFlag(line));
    } catch (error) {
      throw new EnvironmentError(
        {
          code: 'ENV_BINFMT_UNAVAILABLE',
          file: register,
          message: `arm64 emulation: the kernel refused to register ${name}: ${(error as Error).message}`,
          hint: `check that the interpreter named in ${configurationFile} exists (apt-get install --reinstall -y qemu-user-static)`,
        },
        error,
      );
    }
    outcome[name] = 'registered';
  }
  log(
    `arm64 emulation: ${Object.entries(outcome)
      .map(([name, state]) => `${name} ${state}`)
      .join(', ')}`,
  );
  return outcome;
}
