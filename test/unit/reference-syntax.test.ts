import { describe, expect, it } from 'vitest';
import { explainInvalidHost, explainInvalidPath, explainInvalidReference } from '../../src/images/reference-syntax.js';

const digest = `sha256:${'a'.repeat(64)}`;

describe('image reference grammar (distribution/reference)', () => {
  it.each([
    'python',
    'python:3.12-slim-bookworm',
    'library/python:3.12',
    'docker.io/library/python:3.12',
    'ghcr.io/thehive-project/cortex-analyzers/hashcalc:1.0.2',
    `localhost:5000/neurons/hash_calc:1@${digest}`,
    `127.0.0.1:35123/library/python:3.12-slim@${digest}`,
    `registry.example/ns/name@${digest}`,
    '[::1]:5000/neurons/hash:devel',
    'registry.example/a__b/c-d--e/f.g:latest',
    `registry.example/${'n'.repeat(200)}:${'t'.repeat(128)}`,
  ])('accepts %s', (reference) => {
    expect(explainInvalidReference(reference)).toBeUndefined();
  });

  it.each([
    ['a flag', '--privileged'],
    ['an empty string', ''],
    ['upper case in the path', 'Registry.example/Cortex/hash'],
    ['a tag over 128 characters', `python:${'t'.repeat(129)}`],
    ['a name over 255 characters', `registry.example/${'n'.repeat(239)}`],
    ['a double separator', 'registry.example/a..b'],
    ['a digest too short', 'python@sha256:abc'],
    ['whitespace', 'python 3'],
  ])('refuses %s', (_what, reference) => {
    expect(explainInvalidReference(reference)).toBeDefined();
  });

  it('tells hosts and paths apart', () => {
    expect(explainInvalidHost('registry.example:5000')).toBeUndefined();
    expect(explainInvalidHost('localhost')).toBeUndefined();
    expect(explainInvalidHost('registry.example/ns')).toBeDefined();
    expect(explainInvalidHost('https://registry.example')).toBeDefined();
    expect(explainInvalidPath('team/cortex')).toBeUndefined();
    expect(explainInvalidPath('watch-lx3k2a9f1')).toBeUndefined();
    expect(explainInvalidPath('Team')).toBeDefined();
    expect(explainInvalidPath('a//b')).toBeDefined();
  });

  it('quotes a hostile value short and on one line', () => {
    expect(explainInvalidReference(`x\n${'y'.repeat(10_000)}`)).toMatch(/^[^\n]{0,200}$/);
  });
});
