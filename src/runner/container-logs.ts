/**
 * Container logs without a TTY come in frames: a byte for the stream, three zero bytes, a 32-bit big-endian
 * length, then the payload. Anything that does not parse as frames is returned as text unchanged.
 */
export function demuxLogs(raw: Buffer): string {
  const parts: Buffer[] = [];
  let offset = 0;
  while (offset + 8 <= raw.length) {
    const stream = raw[offset];
    if ((stream !== 0 && stream !== 1 && stream !== 2) || raw.readUIntBE(offset + 1, 3) !== 0)
      return raw.toString('utf8');
    const size = raw.readUInt32BE(offset + 4);
    parts.push(raw.subarray(offset + 8, offset + 8 + size));
    offset += 8 + size;
  }
  return offset === raw.length ? Buffer.concat(parts).toString('utf8') : raw.toString('utf8');
}
