import type Docker from 'dockerode';
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { NeuronsError } from '../errors/neurons-error.js';
import { parseImageReference } from '../images/reference.js';
import { maskSecrets } from '../util/mask.js';

/** `filetriage_1.0.tar` for `localhost/local/filetriage:1.0`: the image's last path component and its exact tag. */
export function savedImageFileName(reference: string): string {
  const { repository, tag } = parseImageReference(reference);
  return `${repository.split('/').pop() ?? repository}_${tag ?? 'latest'}.tar`;
}

/**
 * `docker save` of one image with all its tags into DIR (`--save`, a backup that `docker load` restores, tags
 * included), streamed aside and renamed into place: DIR holds whole archives or none. Returns the archive's path.
 */
export async function saveImage(
  docker: Docker,
  references: string[],
  directory: string,
  file: string,
): Promise<string> {
  const [first = ''] = references;
  const target = path.join(directory, savedImageFileName(first));
  const temporary = path.join(
    directory,
    `.${path.basename(target)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`,
  );
  try {
    await mkdir(directory, { recursive: true });
    // `GET /images/get?names=...` (dockerode's getImages, missing from its types): one archive naming every tag.
    const stream = await (
      docker as unknown as { getImages(options: { names: string[] }): Promise<NodeJS.ReadableStream> }
    ).getImages({ names: references });
    await pipeline(stream, createWriteStream(temporary, { flags: 'wx', mode: 0o644 }));
    await rename(temporary, target);
    return target;
  } catch (error) {
    await unlink(temporary).catch(() => undefined);
    throw new NeuronsError({
      code: 'SAVE_FAILED',
      file,
      message: `cannot save ${first} into ${directory}: ${maskSecrets((error as Error).message)}`,
      hint: 'check that DIR can be written and has room for the image',
    });
  }
}
