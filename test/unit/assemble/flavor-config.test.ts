import { describe, expect, it } from 'vitest';
import {
  createdTime,
  flavorAnnotations,
  flavorEntrypointArray,
  flavorLabels,
} from '../../../src/assemble/flavor-config.js';
import type { Flavor, WorkerFolder } from '../../../src/definitions/types.js';
import { renderFlavor } from '../../../src/render/render-dockerfile.js';
import { TemplateSet } from '../../../src/render/templates.js';

const flavor: Flavor = {
  file: 'analyzers/HashCalc/HashCalc_MD5.json',
  id: 'HashCalc_MD5_1_0',
  definition: {
    name: 'HashCalc_MD5',
    version: '1.0',
    author: 'Someone "quoted"',
    url: 'https://example.org/x',
    license: 'AGPL-V3',
    description: 'Line one\nline $two',
    dataTypeList: ['file'],
    command: 'HashCalc/hashcalc.py',
    baseConfig: 'HashCalc',
  } as Flavor['definition'],
};
const worker: WorkerFolder = {
  kind: 'analyzer',
  directory: 'HashCalc',
  path: 'analyzers/HashCalc',
  runtime: 'python',
  flavors: [flavor],
  definitionFiles: [flavor.file],
  errorCount: 0,
};
const source = { revision: 'abc123', created: '2026-11-01T10:00:00Z', url: 'https://git.example/repo' };

/** The LABEL instruction of a rendered flavor Dockerfile, read back as the engine would store it. */
function labelsOf(dockerfile: string): Record<string, string> {
  const instruction = dockerfile.split('\n').reduce<{ text: string; open: boolean }>(
    (state, line) => {
      if (line.startsWith('LABEL ')) return { text: line.slice(6), open: line.endsWith('\\') };
      if (state.open) return { text: `${state.text.replace(/\\$/, '')} ${line.trim()}`, open: line.endsWith('\\') };
      return state;
    },
    { text: '', open: false },
  ).text;
  const labels: Record<string, string> = {};
  for (const match of instruction.matchAll(/([\w.-]+)="((?:[^"\\]|\\.)*)"/g)) {
    labels[match[1] ?? ''] = (match[2] ?? '').replace(/\\n/g, '\n').replace(/\\r/g, '\r').replace(/\\(.)/g, '$1');
  }
  return labels;
}

describe('the configuration of an assembled flavor image', () => {
  it('carries exactly the labels the flavor template writes, so the catalog reads the same claim either way', () => {
    const rendered = renderFlavor(new TemplateSet(), {
      folderImage: 'neurons.local/x:1',
      worker,
      flavor,
      source,
      templateId: 'python/3',
      stdio: false,
    });
    expect(flavorLabels(worker, flavor, source, 'python/3')).toEqual(labelsOf(rendered));
  });

  it('has the template entry point, and annotations for the non-empty OCI labels only', () => {
    expect(flavorEntrypointArray(worker, flavor)).toEqual(['python3', 'HashCalc/hashcalc.py']);
    const annotations = flavorAnnotations({
      ...flavorLabels(worker, flavor, source, 'python/3'),
      'org.opencontainers.image.url': '',
    });
    expect(Object.keys(annotations).every((key) => key.startsWith('org.opencontainers.image.'))).toBe(true);
    expect(annotations).not.toHaveProperty('org.opencontainers.image.url');
    expect(annotations['org.opencontainers.image.revision']).toBe('abc123');
  });

  it('takes its creation time from SOURCE_DATE_EPOCH, else the commit, else the epoch: never the clock', () => {
    expect(createdTime({ SOURCE_DATE_EPOCH: '1700000000' }, source)).toBe('2023-11-14T22:13:20Z');
    expect(createdTime({}, source)).toBe('2026-11-01T10:00:00Z');
    expect(createdTime({}, { revision: undefined, created: undefined, url: undefined })).toBe('1970-01-01T00:00:00Z');
  });
});
