import { describe, expect, it } from 'vitest';
import { judgeReport } from '../../../src/smoke/judge-report.js';

const text = (value: unknown): string => JSON.stringify(value);
const analyzerReport = {
  success: true,
  summary: { taxonomies: [{ level: 'info', namespace: 'Test', predicate: 'Hits', value: 2 }] },
  full: { hits: 2 },
  artifacts: [{ dataType: 'ip', data: '198.51.100.7' }],
  operations: [],
};

describe('judging a smoke job report as the engine reads it', () => {
  it('accepts an analyzer report and a responder report, and says what the analyzer found', () => {
    expect(judgeReport(text(analyzerReport), 'success')).toEqual({ passed: true, detail: 'success; Test:Hits=2' });
    expect(
      judgeReport(
        text({ success: true, full: { message: 'tagged' }, operations: [{ type: 'AddTagToCase', tag: 'x' }] }),
        'success',
      ),
    ).toEqual({ passed: true, detail: 'success' });
    expect(judgeReport(text(analyzerReport), 'report').passed).toBe(true);
  });

  it('refuses what is no report: no file, empty, not JSON, not an object', () => {
    expect(judgeReport(undefined, 'report')).toEqual({ passed: false, detail: 'no output/output.json' });
    expect(judgeReport(' \n', 'report')).toEqual({ passed: false, detail: 'output/output.json is empty' });
    expect(judgeReport('{"success": tru', 'report').detail).toMatch(/^output\/output\.json is not valid JSON \(/);
    expect(judgeReport('[1,2]', 'report').detail).toBe('output/output.json is [1,2], not a JSON object');
    expect(judgeReport('null', 'report').passed).toBe(false);
  });

  it('refuses a success that is not a boolean, even one the worker meant as true', () => {
    for (const success of ['true', 1, null, undefined]) {
      const verdict = judgeReport(text({ success, full: {} }), 'report');
      expect(verdict.passed, String(success)).toBe(false);
      expect(verdict.detail).toContain('not a boolean');
    }
  });

  it('refuses a success without a full report, or with parts the engine would drop', () => {
    expect(judgeReport(text({ success: true }), 'report').detail).toBe(
      'success is true but full is missing, not an object (the engine needs the full report)',
    );
    expect(judgeReport(text({ success: true, full: 'text' }), 'report').passed).toBe(false);
    expect(judgeReport(text({ success: true, full: {}, summary: [] }), 'report').detail).toBe(
      'summary is [], not an object',
    );
    expect(judgeReport(text({ success: true, full: {}, artifacts: {} }), 'report').detail).toBe(
      'artifacts is {}, not an array',
    );
    expect(judgeReport(text({ success: true, full: {}, operations: [{}, 'x'] }), 'report').detail).toBe(
      'operations[1] is "x", not an object',
    );
  });

  it('counts a clean failure (an errorMessage string) as a report, and only a clean one', () => {
    expect(judgeReport(text({ success: false, errorMessage: 'Missing dataType' }), 'report')).toEqual({
      passed: true,
      detail: 'failed cleanly: Missing dataType',
    });
    expect(judgeReport(text({ success: false, errorMessage: 'crc32 unknown' }), 'failure')).toEqual({
      passed: true,
      detail: 'failed as expected: crc32 unknown',
    });
    expect(judgeReport(text({ success: false }), 'report').detail).toBe(
      'success is false without an errorMessage string (errorMessage is missing)',
    );
    expect(judgeReport(text({ success: false, errorMessage: { text: 'x' } }), 'report').passed).toBe(false);
    expect(judgeReport(text({ success: false, errorMessage: '  ' }), 'failure').passed).toBe(false);
  });

  it('holds each sample job to what it expects', () => {
    expect(judgeReport(text({ success: false, errorMessage: 'quota exceeded' }), 'success')).toEqual({
      passed: false,
      detail: 'the worker reported a failure: quota exceeded',
    });
    expect(judgeReport(text(analyzerReport), 'failure').detail).toBe(
      'expect.json expects a failure with an errorMessage, the worker reported success: true',
    );
  });

  it('keeps long values short in its messages', () => {
    const detail = judgeReport(text({ success: 'x'.repeat(500) }), 'report').detail;
    expect(detail.length).toBeLessThan(120);
  });
});
