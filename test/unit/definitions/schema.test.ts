import { describe, it, expect } from 'vitest';
import { definitionSchema } from '../../../src/definitions/schema.js';
import type { Definition } from '../../../src/definitions/types.js';
import { definitionCodes } from '../../../src/definitions/codes.js';
import { compareWorkerVersions, coerceWorkerVersion, createWorkerId } from '../../../src/definitions/version.js';

type Declared = keyof { [K in keyof Definition as string extends K ? never : K]: Definition[K] };
type Required = { [K in Declared]-?: undefined extends Definition[K] ? never : K }[Declared];

// Exhaustive by type: adding a required field to Definition without listing it here fails `npm run typecheck`.
const requiredByType: Record<Required, true> = {
  name: true,
  version: true,
  author: true,
  url: true,
  license: true,
  description: true,
  dataTypeList: true,
  command: true,
  baseConfig: true,
};

describe('definition schema', () => {
  it('requires exactly the required fields of the Definition type', () => {
    expect([...definitionSchema.required].sort()).toEqual(Object.keys(requiredByType).sort());
  });

  it('declares the optional fields of the format', () => {
    expect(Object.keys(definitionSchema.properties)).toEqual(
      expect.arrayContaining([
        'config',
        'configurationItems',
        'registration_required',
        'subscription_required',
        'free_subscription',
        'service_homepage',
        'service_logo',
        'screenshots',
        'integration_type',
        'requirements',
        'dockerImage',
      ]),
    );
  });
});

describe('codes', () => {
  it('gives every code a message and a hint, warnings prefixed DEF_W_', () => {
    for (const [code, entry] of Object.entries(definitionCodes)) {
      expect(code).toMatch(/^DEF_(W_)?[A-Z_]+$/);
      expect(entry.message.length).toBeGreaterThan(0);
      expect(entry.hint.length).toBeGreaterThan(0);
    }
  });
});

describe('versions', () => {
  it('coerces X.Y to semver and orders numerically', () => {
    expect(coerceWorkerVersion('2.0')).toBe('2.0.0');
    expect(['1.10', '1.9', '2.0', '1.9.1'].sort(compareWorkerVersions)).toEqual(['1.9', '1.9.1', '1.10', '2.0']);
  });

  it('builds the engine id', () => {
    expect(createWorkerId('Abuse.IPDB', '2.0.1')).toBe('Abuse_IPDB_2_0_1');
  });
});
