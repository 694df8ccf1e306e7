import { describe, expect, it } from 'vitest';
import { buildIndex, serializeJson } from '../../../src/catalog/index-file.js';
import { generateSigningKeys, signBytes } from '../../../src/catalog/signing.js';
import { verifyIndex } from '../../../src/catalog/verify-index.js';

const keys = generateSigningKeys();
const catalogs = new Map([
  ['analyzers.json', serializeJson([{ name: 'A', dockerImage: 'r/n/a:1' }])],
  ['responders.json', serializeJson([])],
]);

function signedIndex(serial: number, now = new Date('2026-11-01T00:00:00Z'), days = 30) {
  const index = buildIndex({
    serial,
    signed: true,
    now,
    expiresInDays: days,
    registry: 'r/n',
    files: catalogs,
    entryCounts: new Map([
      ['analyzers.json', 1],
      ['responders.json', 0],
    ]),
    records: [],
    buildInputDigests: new Map(),
    revisions: new Map(),
    previous: [],
  });
  const bytes = serializeJson(index);
  return { bytes, signature: signBytes(bytes, keys.privateKeyPem, 'test') };
}

const check = (
  signed: { bytes: Buffer; signature: string },
  overrides: Partial<Parameters<typeof verifyIndex>[0]> = {},
) =>
  verifyIndex({
    indexBytes: signed.bytes,
    signature: signed.signature,
    publicKeyPem: keys.publicKeyPem,
    lastSerial: undefined,
    now: new Date('2026-11-02T00:00:00Z'),
    catalogs,
    source: 'index.json',
    ...overrides,
  });

describe('signed catalog index', () => {
  it('verifies with the public key, the serial and the catalogs it lists', () => {
    expect(check(signedIndex(5)).serial).toBe(5);
  });

  it('fails after any byte of the index changes', () => {
    const signed = signedIndex(5);
    for (const position of [0, Math.floor(signed.bytes.length / 2), signed.bytes.length - 2]) {
      const tampered = Buffer.from(signed.bytes);
      tampered[position] = (tampered[position] ?? 0) ^ 1;
      expect(() => check({ ...signed, bytes: tampered })).toThrow(
        expect.objectContaining({ code: 'INDEX_SIGNATURE_INVALID' }),
      );
    }
  });

  it('fails after any byte of a catalog changes', () => {
    const altered = new Map(catalogs);
    const bytes = Buffer.from(catalogs.get('analyzers.json') ?? '');
    bytes[10] = (bytes[10] ?? 0) ^ 1;
    altered.set('analyzers.json', bytes);
    expect(() => check(signedIndex(5), { catalogs: altered })).toThrow(
      expect.objectContaining({ code: 'CATALOG_HASH_MISMATCH' }),
    );
  });

  it('refuses another key, a replayed older serial, an expired index, a missing signature', () => {
    expect(() => check(signedIndex(5), { publicKeyPem: generateSigningKeys().publicKeyPem })).toThrow(
      expect.objectContaining({ code: 'INDEX_SIGNATURE_INVALID' }),
    );
    expect(() => check(signedIndex(4), { lastSerial: 5 })).toThrow(expect.objectContaining({ code: 'INDEX_ROLLBACK' }));
    expect(check(signedIndex(5), { lastSerial: 5 }).serial).toBe(5);
    expect(() => check(signedIndex(5, new Date('2026-09-01T00:00:00Z'), 30))).toThrow(
      expect.objectContaining({ code: 'INDEX_EXPIRED' }),
    );
    expect(() => check({ ...signedIndex(5), signature: '' })).toThrow(
      expect.objectContaining({ code: 'INDEX_UNSIGNED' }),
    );
  });

  it.each([
    ['no expiry', undefined],
    ['a date without a time', '2027-01-01'],
    ['words', 'never'],
    ['a number', 1_900_000_000_000],
    ['an impossible date', '2026-13-45T00:00:00Z'],
  ])('fails closed on an index with %s', (_what, expires) => {
    const index = JSON.parse(signedIndex(5).bytes.toString('utf8')) as Record<string, unknown>;
    if (expires === undefined) delete index['expires'];
    else index['expires'] = expires;
    const bytes = serializeJson(index);
    expect(() => check({ bytes, signature: signBytes(bytes, keys.privateKeyPem, 'test') })).toThrow(
      expect.objectContaining({ code: 'INDEX_EXPIRY_INVALID' }),
    );
  });
});
