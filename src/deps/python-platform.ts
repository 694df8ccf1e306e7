import type { Platform } from '../oci/platform.js';

/** The machine names wheels use for the architectures images are built for (`uname -m` inside the image). */
const machines: Record<string, string> = {
  amd64: 'x86_64',
  arm64: 'aarch64',
  '386': 'i686',
  ppc64le: 'ppc64le',
  s390x: 's390x',
};

/** `aarch64` for linux/arm64; undefined for a platform wheels are not chosen for here (the engine builds those). */
export function wheelMachine(platform: Platform): string | undefined {
  if (platform.os !== 'linux') return undefined;
  if (platform.architecture === 'arm' && platform.variant === 'v7') return 'armv7l';
  return machines[platform.architecture];
}

/**
 * The glibc the base image is assumed to have at least: a wheel built for a newer one would install and then fail to
 * load. 2.28 (Debian 10, RHEL 8) takes the manylinux_2_28 wheels most projects publish today, and every Debian
 * based python image has it.
 */
export const defaultGlibc = '2.28';

/**
 * The platform tags pip accepts for the target (`--platform`, once each), newest first: every manylinux_2_N from the
 * base's glibc down to 2.17, the legacy aliases, and `linux_<machine>` as the image's own pip would. Pure-Python wheels
 * (`py3-none-any`) match whatever is given: pip adds `any` itself.
 */
export function platformTags(machine: string, glibc = defaultGlibc): string[] {
  const minor = Number(glibc.split('.')[1] ?? '17');
  const tags: string[] = [];
  for (let n = minor; n >= 17; n -= 1) tags.push(`manylinux_2_${n}_${machine}`);
  tags.push(`manylinux2014_${machine}`);
  if (machine === 'x86_64' || machine === 'i686')
    tags.push(
      `manylinux_2_12_${machine}`,
      `manylinux2010_${machine}`,
      `manylinux_2_5_${machine}`,
      `manylinux1_${machine}`,
    );
  tags.push(`linux_${machine}`);
  return tags;
}

/** pip's arguments that choose wheels for the target instead of the host. */
export function targetArguments(machine: string, pythonVersion: string): string[] {
  const compact = pythonVersion.replace('.', '');
  return [
    '--only-binary=:all:',
    ...platformTags(machine).flatMap((tag) => ['--platform', tag]),
    '--python-version',
    pythonVersion,
    '--implementation',
    'cp',
    '--abi',
    `cp${compact}`,
  ];
}

/** The part of an image configuration read here. */
export interface BaseImageConfig {
  config?: { Env?: string[] | null | undefined; Labels?: Record<string, string> | null | undefined } | null | undefined;
}

/**
 * `X.Y` of the base image's Python: the label `io.neurons.python-version`, else `PYTHON_VERSION` as the official
 * python images set it (`3.11.9` -> `3.11`). Undefined when neither says: the caller lets the engine build.
 */
export function pythonVersionOf(baseConfig: BaseImageConfig): string | undefined {
  const label = baseConfig.config?.Labels?.['io.neurons.python-version'];
  const variable = baseConfig.config?.Env?.find((entry) => entry.startsWith('PYTHON_VERSION='))?.slice(
    'PYTHON_VERSION='.length,
  );
  const match = /^(\d+)\.(\d+)(?:\.|$|[a-z])/.exec((label ?? variable ?? '').trim());
  return match ? `${match[1]}.${match[2]}` : undefined;
}

/**
 * The folder of the base image's `python3`, which the venv links to: the label `io.neurons.python-home`, else
 * /usr/local/bin where `PYTHON_VERSION` says an official python image (built from source there; its /usr/bin may hold
 * Debian's own, other Python, or none), else /usr/bin (a distribution's package, as in the neurons bases).
 */
export function pythonHomeOf(baseConfig: BaseImageConfig): string {
  const label = baseConfig.config?.Labels?.['io.neurons.python-home'];
  if (label?.startsWith('/')) return label.replace(/\/+$/, '');
  return baseConfig.config?.Env?.some((entry) => entry.startsWith('PYTHON_VERSION=')) ? '/usr/local/bin' : '/usr/bin';
}
