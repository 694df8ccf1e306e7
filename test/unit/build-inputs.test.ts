import { describe, expect, it } from 'vitest';
import { rebuildReasons, type InputComponents } from '../../src/build/build-inputs.js';

const before: InputComponents = { template: 'python/3', dockerfile: 'd1', context: 'c1', base: 'b1', settings: 's1', definition: 'x1' };

describe('rebuild reasons', () => {
  it('name what moved: another package index changes the Dockerfile (it names the index) without blaming the template', () => {
    expect(rebuildReasons({ ...before, dockerfile: 'd2', settings: 's2' }, before)).toEqual(['settings']);
    expect(rebuildReasons({ ...before, dockerfile: 'd2', base: 'b2' }, before)).toEqual(['base-image']);
    expect(rebuildReasons({ ...before, dockerfile: 'd2' }, before)).toEqual(['template']);
    expect(rebuildReasons({ ...before, template: 'python/4', dockerfile: 'd2', settings: 's2' }, before)).toEqual(['settings', 'template']);
    expect(rebuildReasons(before, before)).toEqual([]);
    expect(rebuildReasons(before, undefined)).toEqual(['new']);
  });
});
