import type { Flavor, WorkerFolder } from '../definitions/types.js';
import type { SourceInfo } from '../render/source-info.js';
import { flavorEntrypoint } from '../render/render-dockerfile.js';

/** The environment of a generated image, as its template writes it. */
export function runtimeEnvironment(runtime: 'python' | 'node'): string[] {
  return runtime === 'python'
    ? [
        'PATH=/opt/venv/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
        'PYTHONUNBUFFERED=1',
        'PYTHONDONTWRITEBYTECODE=1',
      ]
    : ['NODE_ENV=production'];
}

/**
 * The labels of a flavor image: exactly those `templates/partials/labels.hbs` writes, so the catalog stage reads the
 * same claim from an assembled image as from a built one.
 */
export function flavorLabels(
  worker: WorkerFolder,
  flavor: Flavor,
  source: SourceInfo,
  templateId: string,
): Record<string, string> {
  const { definition } = flavor;
  const text = (value: unknown): string => (value === undefined || value === null ? '' : String(value));
  return {
    'org.opencontainers.image.title': text(definition.name),
    'org.opencontainers.image.description': text(definition.description),
    'org.opencontainers.image.version': text(definition.version),
    ...(source.revision ? { 'org.opencontainers.image.revision': source.revision } : {}),
    ...(source.url ? { 'org.opencontainers.image.source': source.url } : {}),
    ...(source.created ? { 'org.opencontainers.image.created': source.created } : {}),
    'org.opencontainers.image.url': text(definition.url),
    'org.opencontainers.image.vendor': text(definition.author),
    'org.opencontainers.image.licenses': text(definition.license),
    'io.neurons.worker-id': flavor.id,
    'io.neurons.worker-kind': worker.kind,
    'io.neurons.template': templateId,
  };
}

/** Annotations of the index and manifests, as docker/metadata-action writes them: the same facts as the labels. */
export function flavorAnnotations(labels: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(labels).filter(([key, value]) => key.startsWith('org.opencontainers.image.') && value !== ''),
  );
}

export function flavorEntrypointArray(worker: WorkerFolder, flavor: Flavor): string[] {
  const json = flavorEntrypoint(worker.runtime, flavor, false);
  return json ? (JSON.parse(json) as string[]) : [];
}

/**
 * The `created` time of an assembled image: SOURCE_DATE_EPOCH when set, else the folder's last commit, else the Unix
 * epoch. Never the clock: the same inputs give the same digests.
 */
export function createdTime(env: NodeJS.ProcessEnv, source: SourceInfo): string {
  const epoch = env['SOURCE_DATE_EPOCH'];
  if (epoch && /^\d+$/.test(epoch)) return new Date(Number(epoch) * 1000).toISOString().replace('.000Z', 'Z');
  if (source.created) return source.created;
  return '1970-01-01T00:00:00Z';
}
