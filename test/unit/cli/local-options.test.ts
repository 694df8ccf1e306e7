import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../../src/cli/main.js';
import { memoryStream } from '../../helpers/memory-io.js';

async function neurons(args: string[]): Promise<{ code: number; stderr: string }> {
  const stdout = memoryStream();
  const stderr = memoryStream();
  const cwd = await mkdtemp(path.join(tmpdir(), 'neurons-local-cli-'));
  const code = await main(args, { cwd, env: { NEURONS_ENV_DIR: cwd }, stdout, stderr });
  return { code, stderr: stderr.text() };
}

describe('--local and --save on the command line', () => {
  it('refuses --registry with --local, and --save without --local, before anything runs', async () => {
    const registry = await neurons(['build', '--local', '--registry', 'registry.example:5000']);
    expect(registry.code).toBe(2);
    expect(registry.stderr).toContain('--registry does not apply');
    const save = await neurons(['pipeline', '--save', 'archives']);
    expect(save.code).toBe(2);
    expect(save.stderr).toContain('add --local');
  });

  it('is not an option of push, which would push nothing', async () => {
    const push = await neurons(['push', '--local']);
    expect(push.code).toBe(2);
  });
});
