import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InspectionReport } from '../../../src/ca/inspect.js';
import { createCertificateAuthority, issueServerCertificate } from '../../../src/ca/certificates.js';
import { runCli, startHttpsServer, temporaryDirectory, type LocalServer } from './helpers.js';

const day = 24 * 60 * 60 * 1000;
const privateCa = createCertificateAuthority({ commonName: 'Acme Private CA', days: 30 });
const proxyCa = createCertificateAuthority({ commonName: 'Zscaler Root CA', days: 30 });
const loopback = { hosts: ['localhost'], ips: ['127.0.0.1'], days: 10 };

async function serve(
  ca: typeof privateCa,
  options: Parameters<typeof issueServerCertificate>[1],
): Promise<LocalServer> {
  const leaf = issueServerCertificate(ca, options);
  return startHttpsServer({ cert: `${leaf.certificatePem}${ca.certificatePem}`, key: leaf.keyPem });
}

async function inspect(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number; report: InspectionReport }> {
  const result = await runCli(['ca', 'inspect', ...args, '--json'], directory, env);
  return { code: result.code, report: JSON.parse(result.stdout) as InspectionReport };
}

let directory = '';
let caFile = '';
const servers: Record<'good' | 'proxied' | 'expired' | 'otherHost', LocalServer | undefined> = {
  good: undefined,
  proxied: undefined,
  expired: undefined,
  otherHost: undefined,
};
const url = (name: keyof typeof servers): string => servers[name]?.url ?? '';

beforeAll(async () => {
  directory = await temporaryDirectory();
  caFile = path.join(directory, 'ca.crt');
  await writeFile(caFile, privateCa.certificatePem);
  servers.good = await serve(privateCa, loopback);
  servers.proxied = await serve(proxyCa, loopback);
  servers.expired = await serve(privateCa, {
    ...loopback,
    notBefore: new Date(Date.now() - 20 * day),
    notAfter: new Date(Date.now() - 2 * day),
  });
  servers.otherHost = await serve(privateCa, { hosts: ['other.example'], ips: [], days: 10 });
});
afterAll(async () => {
  for (const server of Object.values(servers)) await server?.close();
});

describe('neurons ca inspect', () => {
  it('prints the chain of a live server: verifies with --ca, not with the system store', async () => {
    const trusted = await inspect([url('good'), '--ca', caFile]);
    expect(trusted.code).toBe(0);
    expect(trusted.report.trust).toEqual({
      public: false,
      system: false,
      given: true,
      anchor: 'CN=Acme Private CA, O=neurons',
    });
    expect(trusted.report.hostMatches).toBe(true);
    expect(trusted.report.certificates.map((certificate) => [certificate.subject, certificate.isCa])).toEqual([
      ['CN=localhost', false],
      ['CN=Acme Private CA, O=neurons', true],
    ]);
    expect(trusted.report.certificates[0]).toMatchObject({
      issuer: 'CN=Acme Private CA, O=neurons',
      subjectAltNames: ['DNS:localhost', 'IP Address:127.0.0.1'],
      daysLeft: 9,
    });
    expect(trusted.report.inspection.flagged).toBe(false);

    const untrusted = await inspect([url('good')]);
    expect(untrusted.code).toBe(1);
    expect(untrusted.report.trust.system).toBe(false);
    expect(untrusted.report.inspection.flagged).toBe(true);

    const human = await runCli(['ca', 'inspect', url('good'), '--ca', caFile], directory);
    expect(human.stdout).toContain('verifies with the system store: no\nverifies with the given CAs: yes');
    expect(human.stdout).toContain('host name 127.0.0.1: matches');
  });

  it('trusts what the configuration trusts: trust.ca, and the ca of the registry of that host only', async () => {
    const repo = await temporaryDirectory();
    await mkdir(path.join(repo, 'certs'));
    await writeFile(path.join(repo, 'certs', 'private.crt'), privateCa.certificatePem);
    const host = new URL(url('good')).host;
    const write = (config: unknown): Promise<void> =>
      writeFile(path.join(repo, 'neurons.json'), JSON.stringify(config));
    // A registry needing a password that is not set: its CAs are still read, nothing else is resolved.
    await write({
      registries: [
        { host, namespace: 'acme', username: 'ci', passwordEnv: 'UNSET_PASSWORD', ca: ['certs/private.crt'] },
      ],
    });
    const registryCa = await inspect([url('good'), '--repo', repo]);
    expect(registryCa.code).toBe(0);
    expect(registryCa.report.trust.given).toBe(true);
    await write({ registries: [{ host: 'elsewhere.example', namespace: 'acme', ca: ['certs/private.crt'] }] });
    expect((await inspect([url('good'), '--repo', repo])).report.trust.given).toBeNull();
    await write({ trust: { ca: ['certs/private.crt'] } });
    const trusted = await inspect([url('good'), '--config', path.join(repo, 'neurons.json')]);
    expect(trusted.report.trust.given).toBe(true);
    // A private CA the configuration trusts is expected: no sign of TLS inspection.
    expect(trusted.report.inspection).toMatchObject({ flagged: false, signs: [] });
    // The package index's CA, for the package index's host only.
    await write({ packageIndex: { url: `https://${host}/simple/`, ca: 'certs/private.crt' } });
    expect((await inspect([url('good'), '--repo', repo])).report.trust.given).toBe(true);
    await write({ packageIndex: { url: 'https://pypi.internal.example/simple/', ca: 'certs/private.crt' } });
    expect((await inspect([url('good'), '--repo', repo])).report.trust.given).toBeNull();
    const missing = await runCli(['ca', 'inspect', url('good'), '--config', path.join(repo, 'nope.json')], directory);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('CONFIG_NOT_FOUND');
  });

  it('counts NODE_EXTRA_CA_CERTS as part of the system store', async () => {
    const { code, report } = await inspect([url('good')], { NODE_EXTRA_CA_CERTS: caFile });
    expect(code).toBe(0);
    expect(report.trust).toMatchObject({ public: false, system: true, given: null });
  });

  it('flags TLS inspection when the issuer looks like a known product, even when trusted', async () => {
    const proxyCaFile = path.join(directory, 'zscaler.crt');
    await writeFile(proxyCaFile, proxyCa.certificatePem);
    const { code, report } = await inspect([url('proxied'), '--ca', proxyCaFile]);
    expect(code).toBe(0);
    expect(report.inspection).toMatchObject({ flagged: true, product: 'Zscaler' });
    expect(report.inspection.signs[0]).toContain('Zscaler Root CA');
  });

  it('exits 1 for an expired certificate and for another host name', async () => {
    const expired = await inspect([url('expired'), '--ca', caFile]);
    expect(expired.code).toBe(1);
    expect(expired.report.trust.given).toBe(true);
    expect(expired.report.outOfDate).toEqual([{ subject: 'CN=localhost', problem: 'expired' }]);
    expect(expired.report.certificates[0]?.daysLeft).toBeLessThan(0);

    const otherHost = await inspect([url('otherHost'), '--ca', caFile]);
    expect(otherHost.code).toBe(1);
    expect(otherHost.report.hostMatches).toBe(false);
    expect(otherHost.report.certificates[0]?.subjectAltNames).toEqual(['DNS:other.example']);
  });

  it('inspects a PEM file', async () => {
    const file = path.join(directory, 'server.crt');
    await writeFile(file, issueServerCertificate(privateCa, loopback).certificatePem);
    const alone = await inspect([file]);
    expect(alone.code).toBe(1);
    expect(alone.report.hostMatches).toBeNull();
    expect(alone.report.certificates).toHaveLength(1);
    expect((await inspect([file, '--ca', caFile])).code).toBe(0);
  });

  it('exits 2 for a bad target and 3 for a server that does not answer', async () => {
    expect((await runCli(['ca', 'inspect'], directory)).code).toBe(2);
    expect((await runCli(['ca', 'inspect', 'http://127.0.0.1:1/'], directory)).code).toBe(2);
    expect((await runCli(['ca', 'inspect', 'missing.pem'], directory)).code).toBe(2);
    expect((await runCli(['ca', 'inspect', url('good'), '--ca', 'missing.pem'], directory)).code).toBe(2);
    const closed = await runCli(['ca', 'inspect', 'https://127.0.0.1:1/'], directory);
    expect(closed.code).toBe(3);
    expect(closed.stderr).toContain('CA_INSPECT_UNREACHABLE');
  });
});
