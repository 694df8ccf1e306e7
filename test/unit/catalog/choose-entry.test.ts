import { describe, expect, it } from 'vitest';
import {
  chooseEntry,
  findPreviousEntry,
  type EntrySlot,
  type PreviousEntry,
} from '../../../src/catalog/choose-entry.js';
import type { ImageFacts } from '../../../src/catalog/image-facts.js';

const image = 'registry.example/ns/hashcalc_md5';
const slot: EntrySlot = {
  file: 'analyzers.json',
  flavorFile: 'analyzers/HashCalc/HashCalc_MD5.json',
  name: 'HashCalc_MD5',
  identity: { id: 'HashCalc_MD5_1_1', kind: 'analyzer', version: '1.1' },
  reference: `${image}:1`,
  workerPath: 'analyzers/HashCalc',
};
const labelled = (
  id: string | undefined,
  version: string | undefined,
  digest = 'sha256:aa',
  kind: string | undefined = 'analyzer',
): ImageFacts => ({ state: 'labelled', digest, claim: { id, kind, version } });
const previousEntry = { name: 'HashCalc_MD5', version: '1.0', dockerImage: `${image}:1` };
const previous = (facts: ImageFacts, entry: Record<string, unknown> = previousEntry): PreviousEntry => ({
  entry,
  image: String(entry['dockerImage']),
  identity: { id: 'HashCalc_MD5_1_0', kind: 'analyzer', version: '1.0' },
  facts,
});

describe('which entry a catalog file gets, from what the registry says', () => {
  it('writes the definition when its image says it is this flavor at this version, and records the digest read', () => {
    const choice = chooseEntry(
      slot,
      labelled('HashCalc_MD5_1_1', '1.1', 'sha256:11'),
      previous(labelled('HashCalc_MD5_1_0', '1.0')),
    );
    expect(choice).toEqual({
      write: 'current',
      problem: undefined,
      record: {
        catalog: 'analyzers.json',
        id: 'HashCalc_MD5_1_1',
        kind: 'analyzer',
        name: 'HashCalc_MD5',
        version: '1.1',
        image: `${image}:1`,
        digest: 'sha256:11',
        verified: true,
        kept: false,
        workerPath: 'analyzers/HashCalc',
      },
    });
  });

  it('keeps the previous entry, under its own id and digest, when the tag still names the previous version', () => {
    // The red team's case: 1.1 failed, the major tag `1` still names the 1.0 image.
    const choice = chooseEntry(
      slot,
      labelled('HashCalc_MD5_1_0', '1.0', 'sha256:10'),
      previous(labelled('HashCalc_MD5_1_0', '1.0', 'sha256:10')),
    );
    expect(choice.write).toBe('previous');
    expect(choice.record).toMatchObject({
      id: 'HashCalc_MD5_1_0',
      version: '1.0',
      image: `${image}:1`,
      digest: 'sha256:10',
      verified: true,
      kept: true,
      workerPath: undefined,
    });
    expect(choice.problem).toMatchObject({ code: 'CATALOG_KEPT_PREVIOUS', file: slot.flavorFile });
    expect(choice.problem?.message).toBe(
      `${image}:1 is HashCalc_MD5_1_0 (analyzer, version 1.0) by its labels, not HashCalc_MD5_1_1 (analyzer, version 1.1): analyzers.json keeps the previous entry, HashCalc_MD5_1_0 (analyzer, version 1.0) at ${image}:1 (its labels checked)`,
    );
  });

  it('keeps the previous entry when the new image is missing', () => {
    const stable = { ...slot, file: 'analyzers-stable.json', reference: `${image}:1.1` };
    const choice = chooseEntry(
      stable,
      { state: 'missing' },
      previous(labelled('HashCalc_MD5_1_0', '1.0'), { ...previousEntry, dockerImage: `${image}:1.0` }),
    );
    expect(choice).toMatchObject({
      write: 'previous',
      record: { image: `${image}:1.0`, id: 'HashCalc_MD5_1_0' },
      problem: {
        code: 'CATALOG_KEPT_PREVIOUS',
        message: expect.stringMatching(/^\S+:1\.1 is not in the registry: analyzers-stable\.json keeps/),
      },
    });
  });

  it("leaves the entry out when the previous image is not the previous entry's own either, and says what each image is", () => {
    const other = chooseEntry(
      slot,
      labelled('HashCalc_SHA1_1_1', '1.1'),
      previous(labelled('HashCalc_MD5_0_9', '0.9')),
    );
    expect(other).toMatchObject({
      write: 'none',
      record: undefined,
      problem: { code: 'CATALOG_IMAGE_MISMATCH', file: slot.flavorFile },
    });
    expect(other.problem?.message).toBe(
      `${image}:1 is HashCalc_SHA1_1_1 (analyzer, version 1.1) by its labels, not HashCalc_MD5_1_1 (analyzer, version 1.1): left out of analyzers.json; the previous entry was not kept: ${image}:1 is HashCalc_MD5_0_9 (analyzer, version 0.9) by its labels, not HashCalc_MD5_1_0 (analyzer, version 1.0)`,
    );
    // Same id and version but another kind is not this flavor.
    expect(
      chooseEntry(slot, labelled('HashCalc_MD5_1_1', '1.1', 'sha256:aa', 'responder'), undefined).problem?.code,
    ).toBe('CATALOG_IMAGE_MISMATCH');
    expect(
      chooseEntry(
        slot,
        { state: 'labelled', digest: 'sha256:aa', claim: { id: undefined, kind: undefined, version: undefined } },
        undefined,
      ).problem?.message,
    ).toMatch(/:1 has no worker labels, not HashCalc_MD5_1_1/);
    expect(chooseEntry(slot, labelled(undefined, '1.1'), undefined).problem?.message).toMatch(
      /:1 is no worker id \(analyzer, version 1\.1\) by its labels/,
    );
    expect(
      chooseEntry(slot, { state: 'unreadable', digest: 'sha256:aa', reason: 'its platforms disagree: ...' }, undefined)
        .problem,
    ).toMatchObject({
      code: 'CATALOG_IMAGE_MISMATCH',
      message: expect.stringContaining('cannot be verified (its platforms disagree'),
    });
  });

  it('leaves a missing image out with CATALOG_IMAGE_MISSING, and never keeps an image it cannot read', () => {
    expect(chooseEntry(slot, { state: 'missing' }, undefined)).toMatchObject({
      write: 'none',
      problem: {
        code: 'CATALOG_IMAGE_MISSING',
        message: `${image}:1 is not in the registry: left out of analyzers.json`,
      },
    });
    const elsewhere = chooseEntry(
      slot,
      { state: 'missing' },
      previous({ state: 'elsewhere' }, { ...previousEntry, dockerImage: 'ghcr.io/old/hashcalc_md5:1' }),
    );
    expect(elsewhere).toMatchObject({
      write: 'none',
      problem: {
        code: 'CATALOG_IMAGE_MISSING',
        message: expect.stringContaining('ghcr.io/old/hashcalc_md5:1 is on another registry'),
      },
    });
    const nameless = { ...previous(labelled('HashCalc_MD5_1_0', '1.0')), identity: undefined };
    expect(chooseEntry(slot, { state: 'missing' }, nameless).write).toBe('none');
  });
});

describe('the previous entry of a worker', () => {
  const entries = [
    { name: 'HashCalc_MD5', version: '2.0', dockerImage: `${image}:2` },
    { name: 'HashCalc_MD5', version: '1.0', dockerImage: `${image}:1` },
    { name: 'HashCalc_SHA1', version: '1.0', dockerImage: 'registry.example/ns/hashcalc_sha1:1' },
    { name: 'HashCalc_MD5', dockerImage: 42 },
  ];

  it('is the entry of the same name at the same image, else the first of that name', () => {
    expect(findPreviousEntry(entries, slot, new Set(), new Set())).toMatchObject({
      image: `${image}:1`,
      identity: { id: 'HashCalc_MD5_1_0', kind: 'analyzer', version: '1.0' },
    });
    expect(findPreviousEntry(entries, { ...slot, reference: `${image}:1.1` }, new Set(), new Set())?.image).toBe(
      `${image}:2`,
    );
    expect(findPreviousEntry(undefined, slot, new Set(), new Set())).toBeUndefined();
  });

  it('is never an entry that another definition of this run writes under its own id', () => {
    expect(
      findPreviousEntry(entries, { ...slot, reference: `${image}:1.1` }, new Set(['HashCalc_MD5_2_0']), new Set())
        ?.image,
    ).toBe(`${image}:1`);
    expect(
      findPreviousEntry(entries, slot, new Set(['HashCalc_MD5_2_0', 'HashCalc_MD5_1_0']), new Set()),
    ).toBeUndefined();
  });

  it('is never given to two slots', () => {
    expect(
      findPreviousEntry(entries, slot, new Set(), new Set<Record<string, unknown>>(entries.slice(1, 2)))?.image,
    ).toBe(`${image}:2`);
  });
});
