import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { EnvironmentState } from '../../src/state/environment-state.js';
import { RegistryClient } from '../../src/registry/client.js';
import {
  copyFixture,
  environmentState,
  environmentVariables,
  registryClient,
  runCli,
  uniqueNamespace,
} from '../helpers/environment.js';

async function editJson(file: string, edit: (value: Record<string, unknown>) => void): Promise<void> {
  const value = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
  edit(value);
  await writeFile(file, JSON.stringify(value, null, 2));
}

describe('failures are contained, coded, and never published', () => {
  let state: EnvironmentState;
  beforeAll(async () => {
    state = await environmentState();
  });

  it('builds the good workers, skips an invalid one, reports a failed build, and leaves both out of the catalogs', async () => {
    const repo = await copyFixture();
    const namespace = uniqueNamespace('fail');
    await editJson(
      path.join(repo, 'analyzers/FileTriage/FileTriage.json'),
      (definition) => delete definition['command'],
    );
    await writeFile(path.join(repo, 'responders/TagCase/requirements.txt'), 'no-such-package==9.9\n');
    const output = path.join(repo, 'out');
    const result = await runCli([
      'pipeline',
      '--repo',
      repo,
      '--output',
      output,
      '--namespace',
      namespace,
      '--only',
      'HashCalc',
      '--only',
      'FileTriage',
      '--only',
      'TagCase',
    ]);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/analyzers\/FileTriage\/FileTriage\.json.*DEF_REQUIRED_FIELD/);
    // The missing command also leaves the folder's runtime unknown: two errors, both reported.
    expect(result.stdout).toMatch(/analyzers\/FileTriage +skipped +2 validation error\(s\)/);
    expect(result.stdout).toMatch(/TagCase_1_0 +failed +new +responders\/TagCase: BUILD_FAILED/);
    expect(result.stdout).toMatch(/HashCalc_MD5_1_0 +pushed +new/);
    const analyzers = JSON.parse(await readFile(path.join(output, 'analyzers.json'), 'utf8')) as Array<{
      name: string;
    }>;
    const responders = JSON.parse(await readFile(path.join(output, 'responders.json'), 'utf8')) as Array<{
      name: string;
    }>;
    // Only the images that exist in this namespace: the three HashCalc flavors.
    expect(analyzers.map((entry) => entry.name)).toEqual(['HashCalc_MD5', 'HashCalc_SHA1', 'HashCalc_SHA256']);
    expect(responders).toEqual([]);
    expect(result.stdout).toMatch(/missing .*TagCase.*CATALOG_IMAGE_MISSING/);
    const client = registryClient(state);
    try {
      expect(await client.headManifest(`${namespace}/tagcase`, '1')).toBeUndefined();
      expect(await client.headManifest(`${namespace}/hashcalc_md5`, '1')).toBeDefined();
    } finally {
      await client.close();
    }
  });

  it('refuses a registry whose CA is not trusted, and names the hop', async () => {
    const client = new RegistryClient({
      host: state.registry.host,
      credentials: { username: state.registry.username, password: state.registry.password },
    });
    const error = await client.ping().catch((caught: unknown) => caught);
    expect(error).toMatchObject({
      code: 'TLS_UNTRUSTED',
      exitCode: 3,
      problem: { hint: expect.stringContaining(`neurons ca inspect https://${state.registry.host}`) },
    });
    // The hop, the host, and the certificate that was presented.
    expect((error as Error).message).toMatch(
      new RegExp(`registry ${state.registry.host.replaceAll('.', '\\.')}.*issued by .*neurons local environment CA`),
    );
    await client.close();
  });

  it('fails a push with refused credentials with exit 3, without printing them or publishing anything', async () => {
    const repo = await copyFixture();
    const output = path.join(repo, 'out');
    await writeFile(
      path.join(repo, 'neurons.json'),
      JSON.stringify({
        registries: [
          {
            host: state.registry.host,
            namespace: uniqueNamespace('auth'),
            username: state.registry.username,
            passwordEnv: 'WRONG_PASSWORD',
            ca: [state.caFile],
          },
        ],
      }),
    );
    const wrong = 'definitely-not-the-password';
    // Base images live in the same registry (given explicitly: a named registry takes none from the environment):
    // resolving them is the first thing refused.
    const early = await runCli(['pipeline', '--repo', repo, '--output', output, '--only', 'UrlInspect'], {
      ...environmentVariables(state),
      WRONG_PASSWORD: wrong,
    });
    expect(early.status).toBe(3);
    // The environment's registry delegates to a token service: that is what refused, and the error names it.
    expect(early.stderr).toMatch(
      new RegExp(
        `REGISTRY_AUTH: token service https://\\S+ .*of registry ${state.registry.host.replaceAll('.', '\\.')} answered 401`,
      ),
    );
    // Offline (bases by tag): the registry is still read before anything is built, and refuses.
    const result = await runCli(['pipeline', '--repo', repo, '--output', output, '--only', 'UrlInspect', '--offline'], {
      ...environmentVariables(state),
      WRONG_PASSWORD: wrong,
    });
    expect(result.status).toBe(3);
    expect(result.stderr).toContain('REGISTRY_AUTH');
    expect(result.stderr).not.toMatch(/^building/m);
    expect(`${result.stdout}${result.stderr}${early.stdout}${early.stderr}`).not.toContain(wrong);
    await expect(readFile(path.join(output, 'analyzers.json'))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
