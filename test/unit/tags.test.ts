import { describe, expect, it } from 'vitest';
import { catalogTag, tagsForVersion } from '../../src/images/tags.js';
import { imageRepository, registryPath } from '../../src/images/image-name.js';

describe('tags from versions', () => {
  it('gives X.Y and X for a two-part version on the stable channel', () => {
    expect(tagsForVersion('2.0', 'stable')).toEqual(['2.0', '2']);
  });
  it('adds X.Y.Z for a three-part version', () => {
    expect(tagsForVersion('1.2.3', 'stable')).toEqual(['1.2.3', '1.2', '1']);
  });
  it('adds latest only when configured, and never on devel', () => {
    expect(tagsForVersion('1.2.3', 'stable', true)).toEqual(['1.2.3', '1.2', '1', 'latest']);
    expect(tagsForVersion('1.2.3', 'devel', true)).toEqual(['devel']);
  });

  it('gives only devel on the devel channel', () => {
    expect(tagsForVersion('1.2.3', 'devel')).toEqual(['devel']);
  });
  it('points catalogs at the major, the full version, or devel', () => {
    expect(catalogTag('3.1', 'default')).toBe('3');
    expect(catalogTag('3.1', 'stable')).toBe('3.1');
    expect(catalogTag('3.1', 'devel')).toBe('devel');
  });
});

describe('image names', () => {
  it('lower-cases the worker name under registry and namespace', () => {
    expect(imageRepository({ host: 'registry.example:5000', namespace: 'cortex' }, 'HashCalc_MD5')).toBe(
      'registry.example:5000/cortex/hashcalc_md5',
    );
    expect(registryPath({ namespace: 'cortex' }, 'HashCalc_MD5')).toBe('cortex/hashcalc_md5');
  });
  it('uses the Docker Hub short form for docker.io', () => {
    expect(imageRepository({ host: 'docker.io', namespace: 'cortexneurons' }, 'Abuse_Finder')).toBe(
      'cortexneurons/abuse_finder',
    );
  });
});
