/** A target platform as OCI image indexes name it (`os`, `architecture`, optional `variant`). */
export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

/** `linux/arm64`, `linux/arm/v7`: the form Docker prints and accepts. */
export function formatPlatform(platform: Platform): string {
  return [platform.os, platform.architecture, ...(platform.variant ? [platform.variant] : [])].join('/');
}
