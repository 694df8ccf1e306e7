import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { TarEntry } from '../../../src/oci/tar.js';
import { buildLayer } from '../../../src/oci/layer.js';

const sha256 = (bytes: Buffer): string => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
const entries = (): TarEntry[] => [
  { name: 'app', type: 'directory', mode: 0o755 },
  { name: 'app/hello.txt', type: 'file', mode: 0o644, data: Buffer.from('hello\n') },
  { name: 'app/run', type: 'symlink', mode: 0o777, linkTarget: 'hello.txt' },
];

describe('layers', () => {
  it('gives the same bytes and digests for the same entries, and other digests for other entries', () => {
    const first = buildLayer(entries());
    const second = buildLayer(entries());
    expect(second.bytes.equals(first.bytes)).toBe(true);
    expect(second.digest).toBe(first.digest);
    const changed = entries();
    changed[1] = { name: 'app/hello.txt', type: 'file', mode: 0o644, data: Buffer.from('hello!\n') };
    expect(buildLayer(changed).digest).not.toBe(first.digest);
    expect(buildLayer(changed).diffId).not.toBe(first.diffId);
  });

  it('describes its bytes: digest and size of the gzip, diffId of the tar inside', () => {
    const layer = buildLayer(entries());
    expect(layer.mediaType).toBe('application/vnd.oci.image.layer.v1.tar+gzip');
    expect(layer.digest).toBe(sha256(layer.bytes));
    expect(layer.size).toBe(layer.bytes.length);
    const tar = gunzipSync(layer.bytes);
    expect(layer.diffId).toBe(sha256(tar));
    // A gzip header with no name, no time, and the Unix OS byte: nothing of the machine or the moment.
    expect([...layer.bytes.subarray(0, 10)]).toEqual([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]);
    // GNU tar reads it as the files given.
    const listing = execFileSync('tar', ['-tvzf', '-'], { input: layer.bytes }).toString();
    expect(listing).toMatch(/hello\.txt/);
    expect(listing).toMatch(/app\/run -> hello\.txt/);
  });
});
