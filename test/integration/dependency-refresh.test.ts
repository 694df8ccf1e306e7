import { randomBytes } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, readdir, writeFile } from 'node:fs/promises';
import type { Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCertificateAuthority, issueServerCertificate } from '../../src/ca/certificates.js';
import { startPackageIndex } from '../../src/environment/package-index-server.js';
import type { EnvironmentState } from '../../src/state/environment-state.js';
import { buildWheel } from '../../src/environment/wheel.js';
import {
  copyFixture,
  environmentState,
  registryClient,
  root,
  runCli,
  uniqueNamespace,
} from '../helpers/environment.js';

interface Summary {
  type: string;
  outcomes: Array<{ id: string; status: string; reasons: string[] }>;
}

const summaryOf = (stdout: string): Summary => JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as Summary;

describe('a dependency released after publishing', () => {
  const password = `refresh-${randomBytes(12).toString('base64url')}`;
  let state: EnvironmentState;
  let server: Server;
  let wheels: string;
  let repo: string;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    state = await environmentState();
    // An index of this test's own (the environment's wheels copied), so publishing into it leaves the shared one alone.
    const ca = createCertificateAuthority({ commonName: 'neurons refresh test index', days: 1 });
    const certificate = issueServerCertificate(ca, { hosts: ['localhost'], ips: ['127.0.0.1'], days: 1 });
    const directory = await mkdtemp(path.join(tmpdir(), 'neurons-refresh-'));
    wheels = path.join(directory, 'packages');
    await mkdir(wheels);
    for (const file of await readdir(path.join(state.directory, 'package-index', 'packages')))
      await copyFile(path.join(state.directory, 'package-index', 'packages', file), path.join(wheels, file));
    await writeFile(path.join(directory, 'ca.pem'), ca.certificatePem);
    server = await startPackageIndex({
      root: wheels,
      host: '127.0.0.1',
      port: 0,
      certificatePem: `${certificate.certificatePem}${ca.certificatePem}`,
      keyPem: certificate.keyPem,
      username: 'refresh',
      password,
    });
    const { port } = server.address() as AddressInfo;
    repo = await copyFixture();
    // HashCalc takes whatever cortexlite is newest; TagCase keeps its pin.
    await writeFile(path.join(repo, 'analyzers', 'HashCalc', 'requirements.txt'), 'cortexlite\n');
    env = {
      NEURONS_NAMESPACE: uniqueNamespace('refresh'),
      NEURONS_PIP_INDEX_URL: `https://127.0.0.1:${port}/simple/`,
      NEURONS_PIP_INDEX_USERNAME: 'refresh',
      NEURONS_PIP_INDEX_PASSWORD: password,
      NEURONS_PIP_INDEX_CA: path.join(directory, 'ca.pem'),
      NEURONS_CACHE_DIR: path.join(directory, 'cache'),
    };
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  const pipeline = (): ReturnType<typeof runCli> =>
    runCli(
      [
        'push',
        '--repo',
        repo,
        '--only',
        'HashCalc',
        '--only',
        'TagCase',
        '--all',
        '--platform',
        'linux/amd64',
        '--json',
      ],
      env,
    );

  async function recorded(name: string): Promise<string | undefined> {
    const client = registryClient(state);
    try {
      return (await client.getImageConfig(`${env['NEURONS_NAMESPACE']}/${name}`, '1'))?.config.config?.Labels?.[
        'io.neurons.dependencies'
      ];
    } finally {
      await client.close();
    }
  }

  it('rebuilds exactly the images that resolve it, and records the new version', async () => {
    const first = await pipeline();
    expect(first.status, first.stderr).toBe(0);
    expect(await recorded('hashcalc_md5')).toBe('["cortexlite==1.0.0"]');
    const unchanged = await pipeline();
    expect(unchanged.status, unchanged.stderr).toBe(0);
    expect(summaryOf(unchanged.stdout).outcomes.map((outcome) => outcome.status)).toEqual([
      'unchanged',
      'unchanged',
      'unchanged',
      'unchanged',
    ]);
    // The answer was remembered: no pip run when no page of the index changed.
    expect(unchanged.stderr).not.toMatch(/package\(s\) installed/);

    const newer = await buildWheel(
      { name: 'cortexlite', version: '1.1.0', summary: 'a newer release' },
      path.join(root, 'test', 'index-packages', 'cortexlite', 'src'),
    );
    await writeFile(path.join(wheels, newer.fileName), newer.data);
    const refreshed = await pipeline();
    expect(refreshed.status, refreshed.stderr).toBe(0);
    const outcomes = summaryOf(refreshed.stdout).outcomes;
    expect(
      outcomes
        .filter((outcome) => outcome.status === 'pushed')
        .map((outcome) => outcome.id)
        .sort(),
    ).toEqual(['HashCalc_MD5_1_0', 'HashCalc_SHA1_1_0', 'HashCalc_SHA256_1_1']);
    for (const outcome of outcomes.filter((item) => item.status === 'pushed'))
      expect(outcome.reasons).toEqual(['dependencies']);
    expect(outcomes.find((outcome) => outcome.id === 'TagCase_1_0')?.status).toBe('unchanged');
    expect(await recorded('hashcalc_md5')).toBe('["cortexlite==1.1.0"]');
    expect(await recorded('tagcase')).toBe('["cortexlite==1.0.0"]');
    expect(refreshed.stderr).not.toContain(password);
  });
});
