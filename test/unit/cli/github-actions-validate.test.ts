import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runMain } from '../../helpers/memory-io.js';
import { definitionText, pythonWorker, writeTree } from '../definitions/fixture.js';

describe('neurons validate in a GitHub Actions job', () => {
  it('annotates every problem with its file, line and column, and writes the job summary', async () => {
    const repo = await writeTree({
      ...pythonWorker('Echo', {
        'Echo.json': definitionText({ version: 'latest, really', serviceHomepage: 'https://example.org' }),
      }),
      'job/summary.md': '# earlier step\n',
    });
    const summary = path.join(repo, 'job', 'summary.md');
    const result = await runMain(['validate', '--repo', repo], '/', {
      GITHUB_ACTIONS: 'true',
      GITHUB_STEP_SUMMARY: summary,
    });
    expect(result.code).toBe(1);
    const commands = result.stdout.split('\n').filter((line) => line.startsWith('::'));
    expect(commands).toEqual([
      // In the data, only %, \r and \n are escaped: the comma of the version stays.
      expect.stringMatching(
        /^::error file=analyzers\/Echo\/Echo\.json,line=3,col=14,title=DEF_VERSION_INVALID::[^\n]*`latest, really`/,
      ),
      expect.stringMatching(/^::warning file=analyzers\/Echo\/Echo\.json,line=23,col=3,title=DEF_W_MISSPELLED_FIELD::/),
    ]);
    // The hint is on a line of its own in the annotation: escaped, so the command stays one line.
    expect(commands[0]).toContain('%0Ahint: ');
    const written = await readFile(summary, 'utf8');
    expect(written.startsWith('# earlier step\n### neurons validate')).toBe(true);
    expect(written).toContain('1 error(s), 1 warning(s)');
    expect(written).toMatch(/\| error \| analyzers\/Echo\/Echo\.json \| 3:14 \| DEF_VERSION_INVALID \|/);
  });

  it('keeps standard output a JSON document with --json: the annotations go to standard error', async () => {
    const repo = await writeTree(pythonWorker('Echo', { 'Echo.json': definitionText({ version: 'latest' }) }));
    const result = await runMain(['validate', '--repo', repo, '--json'], '/', { GITHUB_ACTIONS: 'true' });
    expect(JSON.parse(result.stdout)).toMatchObject({ errors: [{ code: 'DEF_VERSION_INVALID' }] });
    expect(result.stderr).toMatch(
      /^::error file=analyzers\/Echo\/Echo\.json,line=3,col=14,title=DEF_VERSION_INVALID::/m,
    );
  });

  it('prints no workflow command outside GitHub Actions (Drone included)', async () => {
    const repo = await writeTree(pythonWorker('Echo', { 'Echo.json': definitionText({ version: 'latest' }) }));
    const result = await runMain(['validate', '--repo', repo], '/', { DRONE: 'true', CI: 'true' });
    expect(result.code).toBe(1);
    expect(`${result.stdout}${result.stderr}`).not.toContain('::error');
  });
});
