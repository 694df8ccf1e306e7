import { constants, gzipSync } from 'node:zlib';
import { createTar, type TarEntry } from './tar.js';
import { digestOf } from '../registry/client.js';

export const layerMediaType = 'application/vnd.oci.image.layer.v1.tar+gzip';

/** A layer whose bytes are known before anything is sent: its digest goes into the manifest, its diffId into the config. */
export interface BuiltLayer {
  mediaType: typeof layerMediaType;
  /** Digest of the compressed bytes (what the registry stores). */
  digest: string;
  size: number;
  /** Digest of the uncompressed tar (what the image configuration's `rootfs.diff_ids` lists). */
  diffId: string;
  bytes: Buffer;
}

/**
 * Fixed so that the same entries give the same digest on every run: a changed level would change every digest
 * and push every layer again. (A new zlib in a new Node could in principle too; the tar's diffId would not change.)
 */
const compressionLevel = 6;
/** Byte 9 of a gzip header names the operating system; zlib fills it in at compile time. Unix, whoever compresses. */
const gzipOsByte = 9;
const unixOs = 3;

/** A gzip layer of the entries, in their order, with the deterministic tar of `oci/tar.ts` (owner 0, times 0). */
export function buildLayer(entries: TarEntry[]): BuiltLayer {
  const tar = createTar(entries);
  // Node's gzip writes no file name and a modification time of 0: the header depends on nothing but the level.
  const bytes = gzipSync(tar, { level: compressionLevel, strategy: constants.Z_DEFAULT_STRATEGY });
  bytes[gzipOsByte] = unixOs;
  return { mediaType: layerMediaType, digest: digestOf(bytes), size: bytes.length, diffId: digestOf(tar), bytes };
}
