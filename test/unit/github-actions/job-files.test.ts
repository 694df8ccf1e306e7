import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  appendStepOutputs,
  appendStepSummary,
  limitSummary,
  outputEntry,
} from '../../../src/github-actions/job-files.js';
import { registerSecret } from '../../../src/util/mask.js';
import { parseStepOutputs } from '../../helpers/github-job.js';

describe('job files', () => {
  it('writes a value with newlines, and one holding a delimiter-like line, intact', () => {
    const value = 'first\nghadelimiter_x\nlast';
    expect(parseStepOutputs(outputEntry('notes', value))).toEqual({ notes: value });
  });

  it('appends outputs and the summary to the files the runner names, secrets masked', async () => {
    const folder = await mkdtemp(path.join(tmpdir(), 'neurons-gh-'));
    const output = path.join(folder, 'output');
    const summary = path.join(folder, 'summary');
    await writeFile(output, 'earlier=1\n');
    registerSecret('hunter2-very-secret');
    const env = { GITHUB_OUTPUT: output, GITHUB_STEP_SUMMARY: summary };
    await appendStepOutputs(env, { digests: '{"a":"sha256:1"}', note: 'token hunter2-very-secret' });
    await appendStepSummary(env, '### title\n');
    const written = await readFile(output, 'utf8');
    expect(written.startsWith('earlier=1\n')).toBe(true);
    expect(parseStepOutputs(written)).toEqual({
      digests: '{"a":"sha256:1"}',
      note: expect.not.stringContaining('hunter2'),
    });
    expect(await readFile(summary, 'utf8')).toBe('### title\n\n');
  });

  it('cuts a summary too large for GitHub at a line end, and says so', () => {
    const rows = Array.from({ length: 100 }, (_, index) => `| row ${index} | ${'é'.repeat(20)} |`).join('\n');
    const cut = limitSummary(rows, 1000);
    expect(Buffer.byteLength(cut)).toBeLessThanOrEqual(1000);
    expect(cut).toMatch(/\|\n\n_Summary cut: .*_\n$/);
    expect(limitSummary('small', 1000)).toBe('small');
  });

  it('writes nothing when the variables are not set', async () => {
    await expect(appendStepOutputs({}, { a: 'b' })).resolves.toBeUndefined();
    await expect(appendStepSummary({}, 'x')).resolves.toBeUndefined();
  });
});
