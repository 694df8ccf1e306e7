import { deflateRawSync } from 'node:zlib';

export interface ZipEntry {
  /** The path inside the archive, `/`-separated, without a leading `/`. */
  name: string;
  bytes: Buffer;
}

/** The limits of an archive without ZIP64 records: neurons never writes one that large. */
const maxEntries = 0xffff;
const maxSize = 0xffffffff;

/** 1980-01-01 00:00:00, the first instant MS-DOS dates can name: every entry has it, so the bytes depend on content only. */
const dosTime = 0;
const dosDate = (0 << 9) | (1 << 5) | 1;
/** Made by Unix (3) with version 2.0 of the format; 2.0 needed to extract (deflate). */
const versionMadeBy = (3 << 8) | 20;
const versionNeeded = 20;
/** General purpose flag 11: the name is UTF-8 (set only when it is not ASCII, as Info-ZIP does). */
const utf8Flag = 0x0800;
/** A regular file, mode 0644, in the high half of the external attributes (Unix). */
const regularFileAttributes = (0o100644 << 16) >>> 0;

/**
 * A ZIP archive (PKWARE APPNOTE 6.3) of `entries`, in name order, deterministic: a fixed timestamp and mode, no
 * extra fields, deflate at level 9 unless storing is smaller. The same entries give the same bytes, so an unchanged
 * archive keeps its hash and is not published again.
 */
export function writeZip(entries: ZipEntry[]): Buffer {
  if (entries.length > maxEntries)
    throw new RangeError(`a ZIP archive without ZIP64 holds at most ${maxEntries} entries, not ${entries.length}`);
  const sorted = [...entries].sort((a, b) => Buffer.compare(Buffer.from(a.name), Buffer.from(b.name)));
  const local: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const entry of sorted) {
    if (
      !entry.name ||
      entry.name.startsWith('/') ||
      entry.name.split('/').some((part) => part === '' || part === '.' || part === '..')
    )
      throw new RangeError(`not a relative path inside an archive: ${JSON.stringify(entry.name)}`);
    const name = Buffer.from(entry.name, 'utf8');
    const deflated = deflateRawSync(entry.bytes, { level: 9 });
    const stored = deflated.length >= entry.bytes.length;
    const data = stored ? entry.bytes : deflated;
    const crc = crc32(entry.bytes);
    const flags = /^[\x20-\x7e]*$/.test(entry.name) ? 0 : utf8Flag;
    const method = stored ? 0 : 8;
    const fields = { flags, method, crc, compressed: data.length, size: entry.bytes.length, nameLength: name.length };
    const header = Buffer.alloc(30);
    header.writeUInt32LE(0x04034b50, 0);
    writeEntryFields(header, 4, fields);
    // Extra field length: none.
    header.writeUInt16LE(0, 28);
    const record = Buffer.alloc(46);
    record.writeUInt32LE(0x02014b50, 0);
    record.writeUInt16LE(versionMadeBy, 4);
    writeEntryFields(record, 6, fields);
    // Extra field, comment, disk number, internal attributes: none.
    record.writeUInt32LE(regularFileAttributes, 38);
    record.writeUInt32LE(offset, 42);
    local.push(header, name, data);
    central.push(record, name);
    offset += header.length + name.length + data.length;
    if (offset > maxSize) throw new RangeError('a ZIP archive without ZIP64 is at most 4 GiB');
  }
  const directory = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(sorted.length, 8);
  end.writeUInt16LE(sorted.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...local, directory, end]);
}

/**
 * The fields the local header and the central directory record share, in the same order from `offset`: version needed,
 * flags, method, time, date, CRC-32, compressed and uncompressed sizes, name length.
 */
function writeEntryFields(
  buffer: Buffer,
  offset: number,
  fields: { flags: number; method: number; crc: number; compressed: number; size: number; nameLength: number },
): void {
  buffer.writeUInt16LE(versionNeeded, offset);
  buffer.writeUInt16LE(fields.flags, offset + 2);
  buffer.writeUInt16LE(fields.method, offset + 4);
  buffer.writeUInt16LE(dosTime, offset + 6);
  buffer.writeUInt16LE(dosDate, offset + 8);
  buffer.writeUInt32LE(fields.crc, offset + 10);
  buffer.writeUInt32LE(fields.compressed, offset + 14);
  buffer.writeUInt32LE(fields.size, offset + 18);
  buffer.writeUInt16LE(fields.nameLength, offset + 22);
}

let table: Uint32Array | undefined;

/** CRC-32 (ISO 3309, the polynomial ZIP uses). */
export function crc32(bytes: Buffer): number {
  table ??= Uint32Array.from({ length: 256 }, (_, index) => {
    let value = index;
    for (let bit = 0; bit < 8; bit += 1) value = value & 1 ? 0xedb88320 ^ (value >>> 1) : value >>> 1;
    return value >>> 0;
  });
  let crc = 0xffffffff;
  for (const byte of bytes) crc = (table[(crc ^ byte) & 0xff] as number) ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}
