import { mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { guessContentType, prepareJobFolder, type JobRequest } from '../../../src/runner/prepare-job.js';

const base: JobRequest = {
  dataType: 'domain',
  observable: { data: 'example.org' },
  tlp: 2,
  pap: 2,
  message: '',
  parameters: {},
  config: { max_tlp: 2 },
};

async function prepared(
  request: JobRequest,
): Promise<{ job: string; input: Record<string, unknown>; files: string[] }> {
  const job = await mkdtemp(path.join(tmpdir(), 'neurons-prepare-'));
  await prepareJobFolder(job, request);
  const input = JSON.parse(await readFile(path.join(job, 'input', 'input.json'), 'utf8')) as Record<string, unknown>;
  return { job, input, files: (await readdir(path.join(job, 'input'))).sort() };
}

describe('job folder preparation', () => {
  it("writes input.json with the engine's fields in its order, and an empty output folder", async () => {
    const { job, input, files } = await prepared({ ...base, message: 'hello', parameters: { user: 'me' } });
    expect(Object.keys(input)).toEqual(['data', 'dataType', 'tlp', 'pap', 'message', 'parameters', 'config']);
    expect(input).toEqual({
      data: 'example.org',
      dataType: 'domain',
      tlp: 2,
      pap: 2,
      message: 'hello',
      parameters: { user: 'me' },
      config: { max_tlp: 2 },
    });
    expect(files).toEqual(['input.json']);
    expect(await readdir(path.join(job, 'output'))).toEqual([]);
  });

  it('copies a file observable into input/ under the attachment name, with its original name and content type', async () => {
    const source = path.join(await mkdtemp(path.join(tmpdir(), 'neurons-src-')), 'Invoice 2024.PDF');
    await writeFile(source, '%PDF-1.7');
    const { job, input, files } = await prepared({ ...base, dataType: 'file', observable: { file: source } });
    expect(input).toMatchObject({
      file: 'attachment',
      filename: 'Invoice 2024.PDF',
      contentType: 'application/pdf',
      dataType: 'file',
    });
    expect(input['data']).toBeUndefined();
    expect(files).toEqual(['attachment', 'input.json']);
    expect(await readFile(path.join(job, 'input', 'attachment'), 'utf8')).toBe('%PDF-1.7');
  });

  it("keeps a responder's entity as an object", async () => {
    const { input } = await prepared({
      ...base,
      dataType: 'thehive:case',
      observable: { data: { _type: 'case', title: 't' } },
    });
    expect(input['data']).toEqual({ _type: 'case', title: 't' });
  });

  it('writes input/cacerts only when there is a CA', async () => {
    const pem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
    const { job, files } = await prepared({ ...base, caCertificates: pem });
    expect(files).toEqual(['cacerts', 'input.json']);
    expect(await readFile(path.join(job, 'input', 'cacerts'), 'utf8')).toBe(pem);
    expect((await prepared({ ...base, caCertificates: '  ' })).files).toEqual(['input.json']);
  });

  it('guesses content types from the extension, octet-stream otherwise', () => {
    expect(guessContentType('mail.eml')).toBe('message/rfc822');
    expect(guessContentType('a.tar.GZ')).toBe('application/gzip');
    expect(guessContentType('sample')).toBe('application/octet-stream');
    expect(guessContentType('x.unknown')).toBe('application/octet-stream');
  });
});
