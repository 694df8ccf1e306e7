export interface TarEntry {
  /** Path inside the archive, forward slashes, no leading slash. Directories end without a slash. */
  name: string;
  type: 'file' | 'directory' | 'symlink';
  mode: number;
  data?: Buffer;
  linkTarget?: string;
}

function octal(value: number, width: number): string {
  return `${value.toString(8).padStart(width - 1, '0')}\0`;
}

function header(name: string, entry: TarEntry, size: number, typeFlag: string): Buffer {
  const block = Buffer.alloc(512);
  block.write(name, 0, 100, 'utf8');
  block.write(octal(entry.mode & 0o7777, 8), 100);
  block.write(octal(0, 8), 108); // uid
  block.write(octal(0, 8), 116); // gid
  block.write(octal(size, 12), 124);
  block.write(octal(0, 12), 136); // mtime: fixed, so the same inputs give the same bytes
  block.write('        ', 148); // checksum placeholder
  block.write(typeFlag, 156);
  if (entry.linkTarget) block.write(entry.linkTarget, 157, 100, 'utf8');
  block.write('ustar\0', 257);
  block.write('00', 263);
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  return block;
}

function padding(size: number): Buffer {
  return Buffer.alloc((512 - (size % 512)) % 512);
}

/**
 * One PAX record, `<length> <key>=<value>\n`, where the length counts bytes of the whole record, its own digits
 * included (POSIX pax). Counting UTF-16 units instead made GNU tar refuse archives with non-ASCII long names.
 */
function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  const bodyBytes = Buffer.byteLength(body);
  let length = bodyBytes + 1;
  while (String(length).length + bodyBytes !== length) length += 1;
  return `${length}${body}`;
}

/** The longest start of `name` that fits `maxBytes` in UTF-8 without cutting a character (for ASCII: a slice). */
function utf8Prefix(name: string, maxBytes: number): string {
  let bytes = 0;
  let end = 0;
  for (const char of name) {
    const size = Buffer.byteLength(char);
    if (bytes + size > maxBytes) break;
    bytes += size;
    end += char.length;
  }
  return name.slice(0, end);
}

/**
 * A deterministic tar archive (fixed owner and times; PAX headers for long names) in the order given.
 * Written by hand: the build context must be exactly the files we checked, in a reproducible form.
 */
export function createTar(entries: TarEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const entry of entries) {
    const name = entry.type === 'directory' ? `${entry.name}/` : entry.name;
    const needsPax = Buffer.byteLength(name) > 100 || Buffer.byteLength(entry.linkTarget ?? '') > 100;
    if (needsPax) {
      const records = Buffer.from(
        paxRecord('path', name) + (entry.linkTarget ? paxRecord('linkpath', entry.linkTarget) : ''),
      );
      parts.push(header('PaxHeader', { ...entry, mode: 0o644 }, records.length, 'x'), records, padding(records.length));
    }
    const size = entry.type === 'file' ? (entry.data?.length ?? 0) : 0;
    const typeFlag = entry.type === 'file' ? '0' : entry.type === 'directory' ? '5' : '2';
    // The ustar field keeps a readable start of the name; readers take the PAX path.
    parts.push(header(needsPax ? utf8Prefix(name, 99) : name, entry, size, typeFlag));
    if (entry.type === 'file' && entry.data) parts.push(entry.data, padding(entry.data.length));
  }
  parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}
