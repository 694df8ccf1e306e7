import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { commands } from '../../../src/cli/commands.js';
import { commandHelp, main, parseInvocation } from '../../../src/cli/main.js';
import { root } from '../../helpers/environment.js';

async function cli(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const chunks = { stdout: [] as Buffer[], stderr: [] as Buffer[] };
  stdout.on('data', (chunk: Buffer) => chunks.stdout.push(chunk));
  stderr.on('data', (chunk: Buffer) => chunks.stderr.push(chunk));
  const code = await main(argv, { cwd: root, env: {}, stdout, stderr });
  return { code, stdout: Buffer.concat(chunks.stdout).toString(), stderr: Buffer.concat(chunks.stderr).toString() };
}

/** The README's section of one command: from its `### \`neurons NAME` heading to the next heading. */
function readmeSection(readme: string, name: string): string {
  const sections = readme.split(/\n(?=#{2,3} )/);
  const section = sections.find((text) => new RegExp(`^### .*\`neurons ${name}[\\s\`|]`).test(text));
  expect(section, `a README section for neurons ${name}`).toBeDefined();
  return section ?? '';
}

describe('the CLI says what it accepts', () => {
  it('help describes every option of every command, and the README section of each command names it', async () => {
    const readme = await readFile(path.join(root, 'README.md'), 'utf8');
    for (const [name, load] of Object.entries(commands)) {
      const command = await load();
      const help = commandHelp(command);
      const section = readmeSection(readme, name);
      for (const [option, spec] of Object.entries(command.options)) {
        expect(spec.description.length, `${name} --${option} has a description`).toBeGreaterThan(5);
        expect(help, `help ${name} lists --${option}`).toContain(`--${option}`);
        expect(section, `README section of neurons ${name} names --${option}`).toContain(`--${option}`);
        if (spec.default) expect(help).toContain(`default: ${spec.default}`);
      }
    }
  });

  it('every option the usage line offers is accepted, and none it leaves out is listed', async () => {
    for (const [name, load] of Object.entries(commands)) {
      const command = await load();
      const offered = new Set([...command.usage.matchAll(/--([a-z][a-z-]*)/g)].map((match) => match[1] ?? ''));
      for (const option of offered)
        expect(Object.keys(command.options), `usage of ${name} offers --${option}`).toContain(option);
    }
  });

  it('pipeline offers no --shard and refuses it; push takes it', async () => {
    const pipeline = await commands['pipeline']?.();
    expect(pipeline && commandHelp(pipeline)).not.toContain('--shard');
    expect(await parseInvocation(['pipeline', '--shard', '1/2'])).toHaveProperty('error');
    expect(await parseInvocation(['push', '--shard', '1/2'])).not.toHaveProperty('error');
  });

  it('an older option name is the same option: its value under the new name; both at once is a usage error', async () => {
    const parsed = await parseInvocation(['generate', '--out', 'x']);
    expect('values' in parsed && parsed.values['output']).toBe('x');
    expect(await parseInvocation(['generate', '--out', 'x', '--output', 'y'])).toEqual(
      expect.objectContaining({ error: expect.stringContaining('same option') }),
    );
  });

  it('help on an unknown command is a usage error (exit 2); --version is the package version', async () => {
    const unknown = await cli(['help', 'bogus']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("no command 'bogus'");
    const manifest = JSON.parse(await readFile(path.join(root, 'package.json'), 'utf8')) as { version: string };
    expect((await cli(['--version'])).stdout.trim()).toBe(`neurons ${manifest.version}`);
    const known = await cli(['help', 'validate']);
    expect(known.code).toBe(0);
    expect(known.stdout).toContain('--definitions-only');
  });
});
