import { UsageError } from '../errors/neurons-error.js';
import type { Platform } from '../registry/manifest.js';

export type { Platform } from '../registry/manifest.js';

/** Architectures whose variant the OCI image index spec says is implied when absent (`arm64` means `arm64/v8`). */
const defaultVariants: Record<string, string> = { arm64: 'v8' };
const segment = /^[a-z0-9][a-z0-9_.-]*$/;

/** `linux/amd64`, `linux/arm64/v8`, `linux/arm/v7`: the `os/architecture[/variant]` form Docker and the OCI tools use. */
export function parsePlatform(text: string, file?: string, pointer?: string): Platform {
  const parts = text.trim().split('/');
  const [os = '', architecture = '', variant] = parts;
  if (
    parts.length < 2 ||
    parts.length > 3 ||
    ![os, architecture, ...(variant === undefined ? [] : [variant])].every((part) => segment.test(part))
  ) {
    throw new UsageError({
      code: 'PLATFORM_INVALID',
      ...(file === undefined ? {} : { file }),
      ...(pointer === undefined ? {} : { pointer }),
      message: `'${text}' is not a platform`,
      hint: 'write a platform as os/architecture or os/architecture/variant in lower case, e.g. linux/amd64, linux/arm64 or linux/arm/v7',
    });
  }
  return { os, architecture, ...(variant === undefined ? {} : { variant }) };
}

export function formatPlatform(platform: Platform): string {
  return [platform.os, platform.architecture, ...(platform.variant ? [platform.variant] : [])].join('/');
}

const variantOf = (platform: Platform): string => platform.variant || defaultVariants[platform.architecture] || '';

/** The same platform, an implied variant counting as given: `linux/arm64` is `linux/arm64/v8`. */
export function samePlatform(a: Platform, b: Platform): boolean {
  return a.os === b.os && a.architecture === b.architecture && variantOf(a) === variantOf(b);
}

/** Node's `process.arch` in Go's (and so the registries') architecture names. */
const architectures: Record<string, string> = {
  x64: 'amd64',
  arm64: 'arm64',
  arm: 'arm',
  ia32: '386',
  ppc64: 'ppc64le',
  s390x: 's390x',
  riscv64: 'riscv64',
};

/** The platform this process runs on: the one a local engine runs without emulation. */
export const hostPlatform = (): Platform => ({
  os: 'linux',
  architecture: architectures[process.arch] ?? process.arch,
});

/** Platforms without duplicates, in the order given. */
export function uniquePlatforms(platforms: Platform[]): Platform[] {
  return platforms.filter((platform, index) => platforms.findIndex((other) => samePlatform(other, platform)) === index);
}

/** Images are built for both by default, as TheHive's own are: Cortex runs on x86 servers and on ARM ones. */
export const defaultPlatforms: Platform[] = [
  { os: 'linux', architecture: 'amd64' },
  { os: 'linux', architecture: 'arm64' },
];
