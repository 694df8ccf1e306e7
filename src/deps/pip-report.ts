import { byName, type ResolvedPackage } from './types.js';

/** The part of pip's installation report (`--report`, format version 1) read here. */
interface PipReport {
  install?: Array<{
    download_info?: { url?: string; archive_info?: { hash?: string; hashes?: Record<string, string> } };
    is_direct?: boolean;
    metadata?: { name?: string; version?: string; requires_dist?: string[] };
  }>;
  environment?: { platform_machine?: string; python_version?: string; sys_platform?: string };
}

/** A URL without its userinfo: what may be returned, logged or kept. */
export function stripCredentials(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.username = '';
    parsed.password = '';
    return parsed.toString();
  } catch {
    return url.replace(/\/\/[^/@]*@/, '//');
  }
}

/** The packages pip would install, sorted by name, and the dependency markers it evaluated on the way. */
export function parsePipReport(text: string): {
  packages: ResolvedPackage[];
  markers: string[];
  direct: string[];
  host: MarkerEnvironment;
} {
  const report = JSON.parse(text) as PipReport;
  const packages: ResolvedPackage[] = [];
  const markers: string[] = [];
  const direct: string[] = [];
  for (const item of report.install ?? []) {
    const name = item.metadata?.name;
    const version = item.metadata?.version;
    if (!name || !version)
      throw new Error(`pip report entry without a name or version: ${JSON.stringify(item.metadata ?? {})}`);
    const archive = item.download_info?.archive_info;
    const sha256 =
      archive?.hashes?.['sha256'] ??
      (archive?.hash?.startsWith('sha256=') ? archive.hash.slice('sha256='.length) : undefined);
    const url = item.download_info?.url;
    if (item.is_direct) direct.push(name);
    packages.push({ name, version, ...(sha256 ? { sha256 } : {}), ...(url ? { url: stripCredentials(url) } : {}) });
    for (const requirement of item.metadata?.requires_dist ?? [])
      if (requirement.includes(';')) markers.push(`${name}: ${requirement}`);
  }
  const environment = report.environment ?? {};
  const host = {
    machine: environment.platform_machine ?? '',
    pythonVersion: environment.python_version ?? '',
    os: environment.sys_platform ?? '',
  };
  return { packages: packages.sort(byName), markers, direct, host };
}

export interface MarkerEnvironment {
  machine: string;
  pythonVersion: string;
  os: string;
}

/**
 * pip evaluates environment markers (`; platform_machine == "aarch64"`) against the host even with `--platform` and
 * `--python-version`: a marker on a variable whose value differs between the host and the target would choose the
 * host's packages. Returns the first such marker, so the caller leaves the resolution to the engine.
 */
export function markerDifferingFromTarget(
  markers: string[],
  host: MarkerEnvironment,
  target: MarkerEnvironment,
): string | undefined {
  const differing = ['platform_release', 'platform_version', 'python_full_version', 'implementation_version'];
  if (host.machine !== target.machine) differing.push('platform_machine');
  if (host.pythonVersion !== target.pythonVersion) differing.push('python_version');
  if (host.os !== target.os) differing.push('sys_platform', 'os_name', 'platform_system');
  const pattern = new RegExp(`\\b(${differing.join('|')})\\b`);
  return markers.find((marker) => pattern.test(marker.slice(marker.indexOf(';'))));
}

/**
 * An option of a requirements file that says where packages come from (`--index-url`, `--find-links`...): the install
 * step reads a list of pins, not that file, so it would look elsewhere. The engine builds those.
 */
export function sourceOption(text: string): string | undefined {
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .find((line) => /^(-i\b|-f\b|--index-url|--extra-index-url|--find-links|--no-index|--trusted-host)/.test(line))
    ?.split(/[\s=]/)[0];
}

/** The lines of a requirements file that carry a marker (comments dropped). */
export function requirementMarkers(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((line) => line.replace(/(^|\s)#.*$/, '').trim())
    .filter((line) => line.includes(';'));
}
