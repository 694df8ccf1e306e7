import { NeuronsError } from '../errors/neurons-error.js';

const safePath = /^[A-Za-z0-9._+@-]+(?:\/[A-Za-z0-9._+@-]+)*$/;

/**
 * Paths from definitions and folder names end up in Dockerfile instructions. Validation already refuses escapes;
 * this refuses anything that could change an instruction (spaces, quotes, `$`, line breaks), whatever the caller.
 */
export function assertSafePath(value: string, field: string, file: string): string {
  if (!safePath.test(value) || value.split('/').includes('..')) {
    throw new NeuronsError({
      code: 'RENDER_UNSAFE_VALUE',
      file,
      pointer: `/${field}`,
      message: `${field} ${JSON.stringify(value)} cannot be used in a Dockerfile`,
      hint: 'use letters, digits, and . _ - + @ / only',
    });
  }
  return value;
}
