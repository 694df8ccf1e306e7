import { describe, expect, it } from 'vitest';
import { pipelineSummaryMarkdown, validateSummaryMarkdown } from '../../../src/cli/github-summary.js';
import type { WorkerFolder } from '../../../src/definitions/types.js';
import { markdownCell } from '../../../src/github-actions/markdown.js';
import type { FlavorOutcome, PipelineReport } from '../../../src/pipeline.js';
import { imageMetadata, pushedDigests } from '../../../src/push/image-metadata.js';

const worker = { path: 'analyzers/Echo', flavors: [] } as unknown as WorkerFolder;
const buildFailure = {
  code: 'BUILD_FAILED',
  file: 'analyzers/Echo',
  message: 'pip failed | exit 1',
  hint: 'read the <log>',
};

function outcome(id: string, status: FlavorOutcome['status'], extra: Partial<FlavorOutcome> = {}): FlavorOutcome {
  return {
    id,
    file: `analyzers/Echo/${id}.json`,
    worker: 'analyzers/Echo',
    status,
    reasons: [],
    images: [],
    buildInputDigest: '',
    ...extra,
  };
}

function report(outcomes: FlavorOutcome[]): PipelineReport {
  return {
    discovery: { workers: [], deprecated: [], errors: [], warnings: [], reportTemplates: { state: 'absent' } },
    excluded: [
      {
        worker,
        file: 'analyzers/Echo/Broken.json',
        id: undefined,
        problems: [{ code: 'DEF_JSON', file: 'analyzers/Echo/Broken.json', line: 3, column: 1, message: 'not JSON' }],
      },
    ],
    plan: { units: [], skipped: [{ worker: { ...worker, path: 'analyzers/Old' }, reason: 'no Dockerfile' }] },
    outcomes,
    folderBuilds: 2,
    catalogFiles: [],
    missing: [],
    kept: [],
  };
}

const pushed = outcome('Echo_1_0', 'pushed', {
  images: [
    {
      reference: 'registry.test/ns/echo:1.0',
      digest: 'sha256:aaa',
      platforms: [{ platform: 'linux/amd64', digest: 'sha256:a64' }],
    },
  ],
});

describe('job summary of a pipeline run', () => {
  it('tables every flavor with its status, images and digests, then each cause once, then the counts', () => {
    const text = pipelineSummaryMarkdown(
      'push',
      report([
        pushed,
        outcome('Echo_2_0', 'failed', { problem: buildFailure }),
        outcome('Echo_3_0', 'failed', { problem: buildFailure }),
        outcome('Echo_4_0', 'unchanged'),
      ]),
      false,
    );
    expect(text).toContain('### neurons push');
    expect(text).toContain(
      '2 folder build(s); 1 pushed, 0 built, 1 unchanged, 0 planned, 2 failed, 1 skipped, 1 invalid',
    );
    expect(text).toContain('| Echo_1_0 | pushed | registry.test/ns/echo:1.0<br>sha256:aaa |');
    expect(text).toContain('| analyzers/Old | skipped | no Dockerfile |');
    expect(text).toContain(
      '| analyzers/Echo/Broken.json | invalid | analyzers/Echo/Broken.json:3:1: DEF_JSON: not JSON |',
    );
    // The failure's cause, escaped so neither the pipe nor the angle brackets break the table, given once for both flavors.
    expect(text).toContain(
      '| Echo_2_0<br>Echo_3_0 | analyzers/Echo: BUILD_FAILED: pip failed \\| exit 1<br>    hint: read the &lt;log&gt; |',
    );
    expect(text.match(/BUILD_FAILED/g)).toHaveLength(3);
  });

  it('says a dry run built nothing', () => {
    expect(pipelineSummaryMarkdown('pipeline', report([]), true)).toContain(
      '### neurons pipeline (dry run: nothing built, pushed or written)',
    );
  });
});

describe('job summary of validate', () => {
  it('counts and tables every problem with its position', () => {
    const text = validateSummaryMarkdown({
      workers: [],
      deprecated: [],
      errors: [
        {
          code: 'DEF_NAME_INVALID',
          file: 'analyzers/Echo/Echo.json',
          line: 2,
          column: 11,
          pointer: '/name',
          message: 'invalid name',
        },
      ],
      warnings: [
        {
          code: 'DEF_W_MISSPELLED_FIELD',
          file: 'analyzers/Echo/Echo.json',
          line: 23,
          column: 3,
          message: 'unknown field',
        },
      ],
      reportTemplates: { state: 'absent' },
    });
    expect(text).toContain('0 worker folder(s), 0 flavor(s); 1 error(s), 1 warning(s)');
    expect(text).toContain('| error | analyzers/Echo/Echo.json | 2:11 | DEF_NAME_INVALID | invalid name (/name) |');
    expect(text).toContain('| warning | analyzers/Echo/Echo.json | 23:3 | DEF_W_MISSPELLED_FIELD | unknown field |');
  });
});

describe('markdown cells', () => {
  it('escape what would break a table row or open HTML', () => {
    expect(markdownCell('a|b\r\nc <script>&')).toBe('a\\|b<br>c &lt;script&gt;&amp;');
  });
});

describe('image metadata', () => {
  it('lists what was pushed, also beside a failure, and is marked incomplete then', () => {
    const partial = outcome('Echo_2_0', 'failed', {
      problem: buildFailure,
      images: [{ reference: 'registry.test/ns/echo2:2.0', digest: 'sha256:bbb' }],
    });
    const metadata = imageMetadata([
      pushed,
      partial,
      outcome('Echo_3_0', 'built', { images: [{ reference: 'ns/echo3:3.0', digest: '' }] }),
    ]);
    expect(metadata).toEqual({
      version: 1,
      complete: false,
      images: [
        {
          reference: 'registry.test/ns/echo:1.0',
          digest: 'sha256:aaa',
          flavor: 'Echo_1_0',
          platforms: [{ platform: 'linux/amd64', digest: 'sha256:a64' }],
        },
        { reference: 'registry.test/ns/echo2:2.0', digest: 'sha256:bbb', flavor: 'Echo_2_0', platforms: [] },
      ],
    });
    expect(pushedDigests([pushed])).toEqual({ 'registry.test/ns/echo:1.0': 'sha256:aaa' });
    expect(imageMetadata([pushed]).complete).toBe(true);
  });
});
