import { describe, expect, it } from 'vitest';
import { generateJob, sampleFile } from '../../../src/smoke/generated-job.js';
import { attachmentName } from '../../../src/runner/prepare-job.js';

const config = { check_tlp: true, max_tlp: 2 };

describe('a job made up for a flavor without sample jobs', () => {
  it('gives an analyzer an observable of its first data type, in the engine layout of input.json', () => {
    const job = generateJob('analyzer', { dataTypeList: ['ip', 'domain'] }, config);
    expect(job?.name).toBe('generated job (ip)');
    expect(job?.input).toEqual({
      data: '198.51.100.7',
      dataType: 'ip',
      tlp: 2,
      pap: 2,
      message: 'neurons smoke test',
      parameters: {},
      config,
    });
    expect(Object.keys(job?.input ?? {})).toEqual([
      'data',
      'dataType',
      'tlp',
      'pap',
      'message',
      'parameters',
      'config',
    ]);
    expect(job?.attachment).toBeUndefined();
  });

  it('has a plausible value for every observable type of the engine, and a plain word for others', () => {
    const values = Object.fromEntries(
      [
        'domain',
        'fqdn',
        'hostname',
        'url',
        'uri_path',
        'mail',
        'mail_subject',
        'filename',
        'hash',
        'registry',
        'user-agent',
        'autonomous-system',
        'regexp',
        'other',
        'my-own-type',
      ].map((type) => [type, generateJob('analyzer', { dataTypeList: [type] }, {})?.input['data']]),
    );
    expect(values).toMatchObject({
      domain: 'example.org',
      url: expect.stringMatching(/^http:\/\/[^/]*example\.org\//),
      mail: expect.stringContaining('@example.org'),
      hash: expect.stringMatching(/^[0-9a-f]{32}$/),
      'my-own-type': 'example',
    });
    for (const [type, value] of Object.entries(values))
      expect(typeof value === 'string' && value !== '', type).toBe(true);
  });

  it('gives a file job a small file under input/, named as the engine names attachments, with its name and type', () => {
    const job = generateJob('analyzer', { dataTypeList: ['file'] }, {});
    expect(job).toMatchObject({
      name: 'generated job (file)',
      dataType: 'file',
      attachment: { name: attachmentName, content: sampleFile.content },
    });
    expect(job?.input).toMatchObject({
      file: attachmentName,
      filename: 'sample.txt',
      contentType: 'text/plain',
      dataType: 'file',
    });
    expect(job?.input).not.toHaveProperty('data');
  });

  it('gives a responder an object of its first TheHive type as data', () => {
    const job = generateJob('responder', { dataTypeList: ['thehive:case', 'thehive:alert'] }, {});
    expect(job?.name).toBe('generated job (thehive:case)');
    expect(job?.input['data']).toMatchObject({ _type: 'case', title: expect.any(String), tlp: 2, pap: 2, tags: [] });
    expect(generateJob('responder', { dataTypeList: ['thehive:alert'] }, {})?.input['data']).toMatchObject({
      _type: 'alert',
      sourceRef: expect.any(String),
    });
    expect(generateJob('responder', { dataTypeList: ['thehive:case_task'] }, {})?.input['data']).toMatchObject({
      _type: 'case_task',
    });
    expect(generateJob('responder', { dataTypeList: ['thehive:case_artifact'] }, {})?.input['data']).toMatchObject({
      _type: 'case_artifact',
      dataType: 'domain',
    });
    expect(generateJob('responder', { dataTypeList: ['thehive:something_new'] }, {})?.input['data']).toMatchObject({
      _type: 'something_new',
    });
  });

  it('makes nothing up for a flavor that lists no data type', () => {
    expect(generateJob('analyzer', { dataTypeList: [] }, {})).toBeUndefined();
    expect(generateJob('responder', { dataTypeList: [''] }, {})).toBeUndefined();
    expect(generateJob('analyzer', { dataTypeList: undefined as unknown as string[] }, {})).toBeUndefined();
  });
});
