import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { appendStepOutputs, appendStepSummary, outputEntry } from '../../../src/github-actions/job-files.js';
import { registerSecret } from '../../../src/util/mask.js';

/** Reads a GITHUB_OUTPUT file as the runner does: `name=value` lines and `name<<DELIMITER` blocks. */
function parseOutputs(text: string): Record<string, string> {
  const outputs: Record<string, string> = {};
  const lines = text.split('\n');
  for (let index = 0; index < lines.length; index += 1) {
    const line = lines[index] ?? '';
    const block = /^([^=<]+)<<(.+)$/.exec(line);
    if (!block) continue;
    const end = lines.indexOf(block[2] ?? '', index + 1);
    outputs[block[1] ?? ''] = lines.slice(index + 1, end).join('\n');
    index = end;
  }
  return outputs;
}

describe('job files', () => {
  it('writes a value with newlines, and one holding a delimiter-like line, intact', () => {
    const value = 'first\nghadelimiter_x\nlast';
    expect(parseOutputs(outputEntry('notes', value))).toEqual({ notes: value });
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
    expect(parseOutputs(written)).toEqual({ digests: '{"a":"sha256:1"}', note: expect.not.stringContaining('hunter2') });
    expect(await readFile(summary, 'utf8')).toBe('### title\n\n');
  });

  it('writes nothing when the variables are not set', async () => {
    await expect(appendStepOutputs({}, { a: 'b' })).resolves.toBeUndefined();
    await expect(appendStepSummary({}, 'x')).resolves.toBeUndefined();
  });
});
