import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { crc32 } from 'node:zlib';

export interface WheelMeta {
  name: string;
  version: string;
  summary: string;
}

interface ZipEntry {
  name: string;
  data: Buffer;
}

/** A stored (uncompressed) zip archive: all a wheel needs, with fixed timestamps so the bytes are reproducible. */
export function zip(entries: ZipEntry[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  const dosTime = 0;
  const dosDate = ((1980 - 1980) << 9) | (1 << 5) | 1;
  for (const entry of entries) {
    const name = Buffer.from(entry.name, 'utf8');
    const crc = crc32(entry.data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x0800, 6); // UTF-8 names
    local.writeUInt16LE(0, 8); // stored
    local.writeUInt16LE(dosTime, 10);
    local.writeUInt16LE(dosDate, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(entry.data.length, 18);
    local.writeUInt32LE(entry.data.length, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(0, 28);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(0x031e, 4); // made by unix
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(0, 10);
    central.writeUInt16LE(dosTime, 12);
    central.writeUInt16LE(dosDate, 14);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(entry.data.length, 20);
    central.writeUInt32LE(entry.data.length, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE((0o100644 << 16) >>> 0, 38);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, entry.data);
    centrals.push(central, name);
    offset += local.length + name.length + entry.data.length;
  }
  const centralSize = centrals.reduce((sum, part) => sum + part.length, 0);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(centralSize, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, ...centrals, end]);
}

async function listFiles(root: string, relative = ''): Promise<string[]> {
  const entries = await readdir(path.join(root, relative), { withFileTypes: true });
  const files: string[] = [];
  for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    if (entry.name === '__pycache__') continue;
    const child = relative ? `${relative}/${entry.name}` : entry.name;
    if (entry.isDirectory()) files.push(...(await listFiles(root, child)));
    else if (entry.isFile()) files.push(child);
  }
  return files;
}

function recordHash(data: Buffer): string {
  return `sha256=${createHash('sha256').update(data).digest('base64url')}`;
}

/** Builds a pure-Python wheel (`py3-none-any`) from a folder of importable packages. */
export async function buildWheel(
  meta: WheelMeta,
  sourceDirectory: string,
): Promise<{ fileName: string; data: Buffer }> {
  const distribution = meta.name.replace(/[-.]+/g, '_');
  const distInfo = `${distribution}-${meta.version}.dist-info`;
  const entries: ZipEntry[] = [];
  for (const file of await listFiles(sourceDirectory))
    entries.push({ name: file, data: await readFile(path.join(sourceDirectory, file)) });
  entries.push({
    name: `${distInfo}/METADATA`,
    data: Buffer.from(
      `Metadata-Version: 2.1\nName: ${meta.name}\nVersion: ${meta.version}\nSummary: ${meta.summary}\n`,
    ),
  });
  entries.push({
    name: `${distInfo}/WHEEL`,
    data: Buffer.from('Wheel-Version: 1.0\nGenerator: neurons\nRoot-Is-Purelib: true\nTag: py3-none-any\n'),
  });
  const record = entries.map((entry) => `${entry.name},${recordHash(entry.data)},${entry.data.length}`).join('\n');
  entries.push({ name: `${distInfo}/RECORD`, data: Buffer.from(`${record}\n${distInfo}/RECORD,,\n`) });
  return { fileName: `${distribution}-${meta.version}-py3-none-any.whl`, data: zip(entries) };
}
