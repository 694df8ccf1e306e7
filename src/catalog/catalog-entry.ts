import type { Definition } from '../definitions/types.js';

export type CatalogVariant = 'default' | 'stable' | 'devel';

/** `responders*.json` holds responders; any other catalog, analyzers. */
export function catalogKind(file: string): 'analyzer' | 'responder' {
  return /^responders/i.test(file) ? 'responder' : 'analyzer';
}

/** The file name of a catalog: `analyzers.json`, `analyzers-stable.json`, `responders-devel.json`, ... */
export function catalogFileName(kind: 'analyzer' | 'responder', variant: CatalogVariant): string {
  return `${kind}s${variant === 'default' ? '' : `-${variant}`}.json`;
}

/**
 * A catalog entry is the definition as written, minus `command` (the engine drops entries that still have it when
 * it reads a catalog over HTTP), plus `dockerImage`: added last, or replaced where the definition had one.
 */
export function catalogEntry(definition: Definition, dockerImage: string): Record<string, unknown> {
  const entry: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(definition)) {
    if (field === 'command') continue;
    entry[field] = field === 'dockerImage' ? dockerImage : value;
  }
  if (!('dockerImage' in definition)) entry['dockerImage'] = dockerImage;
  return entry;
}
