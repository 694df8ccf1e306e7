import { X509Certificate } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { splitCertificates } from '../../../src/trust/pem.js';
import { runCli, temporaryDirectory } from './helpers.js';

const mode = async (file: string): Promise<number> => (await stat(file)).mode & 0o777;

describe('neurons ca init', () => {
  it('creates ca.crt and a 0600 ca.key, and refuses to overwrite them without --force', async () => {
    const out = path.join(await temporaryDirectory(), 'ca');
    const first = await runCli(['ca', 'init', '--out', out, '--name', 'Acme Test CA', '--days', '30'], '/');
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('CN=Acme Test CA');
    const certificate = new X509Certificate(await readFile(path.join(out, 'ca.crt')));
    expect(certificate.ca).toBe(true);
    expect(certificate.subject).toContain('CN=Acme Test CA');
    expect(await mode(path.join(out, 'ca.key'))).toBe(0o600);

    const again = await runCli(['ca', 'init', '--out', out], '/');
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('CA_EXISTS');
    expect(new X509Certificate(await readFile(path.join(out, 'ca.crt'))).fingerprint256).toBe(
      certificate.fingerprint256,
    );

    expect((await runCli(['ca', 'init', '--out', out, '--force'], '/')).code).toBe(0);
    expect(new X509Certificate(await readFile(path.join(out, 'ca.crt'))).fingerprint256).not.toBe(
      certificate.fingerprint256,
    );
    expect(await mode(path.join(out, 'ca.key'))).toBe(0o600);
  });

  it('rejects bad usage with exit 2', async () => {
    const cwd = await temporaryDirectory();
    expect((await runCli(['ca'], cwd)).code).toBe(2);
    expect((await runCli(['ca', 'sign'], cwd)).code).toBe(2);
    expect((await runCli(['ca', 'init', '--days', 'ten'], cwd)).code).toBe(2);
    const foreign = await runCli(['ca', 'init', '--host', 'x.example'], cwd);
    expect(foreign.code).toBe(2);
    expect(foreign.stderr).toContain('--host is not an option of `ca init`');
  });
});

describe('neurons ca issue', () => {
  it('issues a server certificate (leaf + CA chain, 0600 key) for the names and addresses asked', async () => {
    const cwd = await temporaryDirectory();
    expect((await runCli(['ca', 'init', '--out', 'ca'], cwd)).code).toBe(0);
    const result = await runCli(
      [
        'ca',
        'issue',
        '--ca',
        'ca',
        '--host',
        'registry.example',
        '--host',
        'localhost',
        '--ip',
        '127.0.0.1',
        '--out',
        'tls',
        '--days',
        '10',
      ],
      cwd,
    );
    expect(result.code).toBe(0);
    const [leafPem, chainPem, ...rest] = splitCertificates(await readFile(path.join(cwd, 'tls', 'server.crt'), 'utf8'));
    expect(rest).toEqual([]);
    const leaf = new X509Certificate(leafPem ?? '');
    const ca = new X509Certificate(await readFile(path.join(cwd, 'ca', 'ca.crt')));
    expect(new X509Certificate(chainPem ?? '').fingerprint256).toBe(ca.fingerprint256);
    expect(leaf.verify(ca.publicKey)).toBe(true);
    expect(leaf.subjectAltName).toBe('DNS:registry.example, DNS:localhost, IP Address:127.0.0.1');
    expect(leaf.keyUsage).toEqual(['1.3.6.1.5.5.7.3.1']);
    expect(await mode(path.join(cwd, 'tls', 'server.key'))).toBe(0o600);
  });

  it('issues a client certificate for mutual TLS with --client --name', async () => {
    const cwd = await temporaryDirectory();
    await runCli(['ca', 'init', '--out', '.'], cwd);
    expect((await runCli(['ca', 'issue', '--ca', '.', '--client', '--name', 'ci-runner'], cwd)).code).toBe(0);
    const leaf = new X509Certificate(await readFile(path.join(cwd, 'client.crt')));
    expect(leaf.subject).toBe('CN=ci-runner');
    expect(leaf.keyUsage).toEqual(['1.3.6.1.5.5.7.3.2']);
    expect(await mode(path.join(cwd, 'client.key'))).toBe(0o600);
  });

  it('exits 2 without a CA folder, a host, or with --client and --host', async () => {
    const cwd = await temporaryDirectory();
    expect((await runCli(['ca', 'issue', '--host', 'a.example'], cwd)).code).toBe(2);
    const missing = await runCli(['ca', 'issue', '--ca', 'nowhere', '--host', 'a.example'], cwd);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('CA_NOT_FOUND');
    await runCli(['ca', 'init'], cwd);
    expect((await runCli(['ca', 'issue', '--ca', '.'], cwd)).code).toBe(2);
    expect((await runCli(['ca', 'issue', '--ca', '.', '--host', 'bad name'], cwd)).code).toBe(2);
    expect((await runCli(['ca', 'issue', '--ca', '.', '--ip', '300.1.1.1'], cwd)).code).toBe(2);
    expect(
      (await runCli(['ca', 'issue', '--ca', '.', '--client', '--name', 'x', '--host', 'a.example'], cwd)).code,
    ).toBe(2);
  });
});
