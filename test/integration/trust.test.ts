import { cp, mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCertificateAuthority, issueServerCertificate } from '../../src/ca/certificates.js';
import type { EnvironmentState } from '../../src/state/environment-state.js';
import { environmentState, fixture, runCli, uniqueNamespace } from '../helpers/environment.js';

// A worker that calls an HTTPS service at run time, as most analyzers do. The service's certificate comes from a CA
// that is in no system store, as under TLS inspection.
const worker = `import json, os, sys, urllib.request
job = sys.argv[1] if len(sys.argv) > 1 else '/job'
config = json.load(open(os.path.join(job, 'input', 'input.json')))['config']
os.makedirs(os.path.join(job, 'output'), exist_ok=True)
try:
    body = json.load(urllib.request.urlopen(config['url'], timeout=10))
    report = {'success': True, 'summary': {'taxonomies': []}, 'full': body, 'artifacts': []}
except Exception as error:
    report = {'success': False, 'errorMessage': str(error)}
json.dump(report, open(os.path.join(job, 'output', 'output.json'), 'w'))
`;

describe('one trust setting reaches the images: build stages always, run time when asked', () => {
  let state: EnvironmentState;
  let server: Server;
  let caFile: string;
  let url: string;

  async function repository(trust: object | undefined, extra: object = {}): Promise<string> {
    const repo = await mkdtemp(path.join(tmpdir(), 'neurons-trust-'));
    const folder = path.join(repo, 'analyzers', 'Fetch');
    await mkdir(path.join(folder, 'tests', 'call', 'input'), { recursive: true });
    await writeFile(path.join(folder, 'fetch.py'), worker);
    await writeFile(path.join(folder, 'README.md'), '# Fetch\n');
    const definition = {
      name: 'Fetch',
      version: '1.0',
      author: 'test',
      url: 'https://example.org',
      license: 'AGPL-V3',
      description: 'Calls an HTTPS service',
      dataTypeList: ['other'],
      command: 'Fetch/fetch.py',
      baseConfig: 'Fetch',
      config: { url },
    };
    await writeFile(path.join(folder, 'Fetch.json'), JSON.stringify(definition, null, 2));
    await writeFile(
      path.join(folder, 'tests', 'call', 'input', 'input.json'),
      JSON.stringify({ data: 'x', dataType: 'other', tlp: 2, pap: 2, config: {} }),
    );
    // The worker calls a service on this machine: its smoke test needs the network.
    await writeFile(
      path.join(repo, 'neurons.json'),
      JSON.stringify({ ...(trust ? { trust } : {}), workers: { Fetch: { smoke: { network: true } } }, ...extra }),
    );
    return repo;
  }

  beforeAll(async () => {
    state = await environmentState();
    const ca = createCertificateAuthority({ commonName: 'Inspection Proxy Test CA', days: 2 });
    const certificate = issueServerCertificate(ca, { hosts: ['localhost'], ips: ['127.0.0.1'], days: 1 });
    caFile = path.join(await mkdtemp(path.join(tmpdir(), 'neurons-trust-ca-')), 'ca.pem');
    await writeFile(caFile, ca.certificatePem);
    server = createServer({ cert: certificate.certificatePem, key: certificate.keyPem }, (_request, response) =>
      response.end('{"answer":42}'),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  afterAll(() => void server.close());

  it('without run-time trust the worker cannot reach the service, and the image is not pushed', async () => {
    const repo = await repository({ ca: [caFile] });
    const result = await runCli(['push', '--repo', repo, '--namespace', uniqueNamespace('trust-off'), '--json']);
    expect(result.status).toBe(1);
    const summary = JSON.parse(result.stdout.trim().split('\n').at(-1) ?? '{}') as {
      outcomes: Array<{ status: string; problem?: { code: string; message: string } }>;
    };
    expect(summary.outcomes[0]).toMatchObject({
      status: 'failed',
      problem: { code: 'SMOKE_FAILED', message: expect.stringContaining('CERTIFICATE_VERIFY_FAILED') },
    });
  });

  it('with trust.runtime the same worker reaches it, and is pushed', async () => {
    const repo = await repository({ ca: [caFile], runtime: true });
    const result = await runCli(['push', '--repo', repo, '--namespace', uniqueNamespace('trust-on')]);
    expect(result.stdout).toMatch(/Fetch_1_0 +pushed/);
    expect(result.status).toBe(0);
  });

  it('the package index inside a build fails without its CA, and works with it', async () => {
    const withIndex = async (ca: string | undefined): Promise<string> => {
      const repo = await repository(undefined, {
        packageIndex: {
          url: state.packageIndex.url,
          usernameEnv: 'TEST_INDEX_USER',
          passwordEnv: 'TEST_INDEX_PASSWORD',
          ...(ca ? { ca } : {}),
        },
      });
      await cp(path.join(fixture, 'analyzers', 'HashCalc'), path.join(repo, 'analyzers', 'HashCalc'), {
        recursive: true,
      });
      return repo;
    };
    const env = { TEST_INDEX_USER: state.packageIndex.username, TEST_INDEX_PASSWORD: state.packageIndex.password };
    const untrusted = await runCli(
      ['push', '--repo', await withIndex(undefined), '--only', 'HashCalc', '--namespace', uniqueNamespace('index-off')],
      env,
    );
    expect(untrusted.status).toBe(1);
    expect(untrusted.stdout).toMatch(
      /HashCalc_MD5_1_0 +failed .*DEPS_INDEX_UNREACHABLE: package index https:\/\/127\.0\.0\.1:\d+\/simple\/cortexlite\/ cannot be reached: self-signed certificate/,
    );
    const trusted = await runCli(
      [
        'push',
        '--repo',
        await withIndex(state.caFile),
        '--only',
        'HashCalc',
        '--namespace',
        uniqueNamespace('index-on'),
      ],
      env,
    );
    expect(trusted.stdout).toMatch(/HashCalc_MD5_1_0 +pushed/);
    expect(trusted.status).toBe(0);
    expect(`${untrusted.stdout}${untrusted.stderr}${trusted.stdout}${trusted.stderr}`).not.toContain(
      state.packageIndex.password,
    );
  });
});
