import { chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  createCertificateAuthority,
  issueClientCertificate,
  issueServerCertificate,
} from '../../../src/ca/certificates.js';
import { runCli, temporaryDirectory } from './helpers.js';

const ca = createCertificateAuthority({ commonName: 'Registry CA', days: 30 });

async function caFolder(): Promise<{ directory: string; caFile: string }> {
  const directory = await temporaryDirectory();
  const caFile = path.join(directory, 'ca.crt');
  await writeFile(caFile, ca.certificatePem);
  return { directory, caFile };
}

describe('neurons ca trust-engine', () => {
  it('writes <certs-dir>/<host:port>/ca.crt once, then says it is already trusted', async () => {
    const { directory, caFile } = await caFolder();
    const certsDir = path.join(directory, 'certs.d');
    const args = ['ca', 'trust-engine', '--registry', 'registry.example:5443', '--ca', caFile, '--certs-dir', certsDir];
    const first = await runCli(args, directory);
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('now trusts registry.example:5443');
    const written = await readFile(path.join(certsDir, 'registry.example:5443', 'ca.crt'), 'utf8');
    expect(written.replace(/\r\n/g, '\n')).toBe(ca.certificatePem.replace(/\r\n/g, '\n'));
    const second = await runCli(args, directory);
    expect(second.code).toBe(0);
    expect(second.stdout).toContain('already trusted');
  });

  it('prints the command to run as root when the folder cannot be written (exit 2)', async () => {
    const { directory, caFile } = await caFolder();
    // Root may write anywhere: a path under a file fails for everyone (ENOTDIR).
    const blocked = path.join(directory, 'a-file');
    await writeFile(blocked, '');
    const result = await runCli(
      ['ca', 'trust-engine', '--registry', '127.0.0.1:5443', '--ca', 'ca.crt', '--certs-dir', blocked],
      directory,
    );
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('ENOTDIR');
    expect(result.stdout).toBe(`sudo install -D -m 0644 ${caFile} ${blocked}/127.0.0.1:5443/ca.crt\n`);
  });

  it.skipIf(process.getuid?.() === 0)('prints the command to run as root on EACCES', async () => {
    const { directory, caFile } = await caFolder();
    const readOnly = path.join(directory, 'read-only');
    await mkdir(readOnly, { mode: 0o555 });
    await chmod(readOnly, 0o555);
    const result = await runCli(
      ['ca', 'trust-engine', '--registry', 'registry.example', '--ca', caFile, '--certs-dir', readOnly],
      directory,
    );
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('EACCES');
    expect(result.stdout).toBe(`sudo install -D -m 0644 ${caFile} ${readOnly}/registry.example/ca.crt\n`);
  });

  it('refuses a server certificate as CA, a registry that is not HOST[:PORT], and a missing --ca', async () => {
    const { directory } = await caFolder();
    const leaf = path.join(directory, 'server.crt');
    await writeFile(leaf, issueServerCertificate(ca, { hosts: ['localhost'], ips: [], days: 1 }).certificatePem);
    const certsDir = path.join(directory, 'certs.d');
    const notCa = await runCli(
      ['ca', 'trust-engine', '--registry', 'localhost:5000', '--ca', leaf, '--certs-dir', certsDir],
      directory,
    );
    expect(notCa.code).toBe(2);
    expect(notCa.stderr).toContain('TRUST_CA_INVALID');
    const escape = await runCli(
      ['ca', 'trust-engine', '--registry', '../etc', '--ca', 'ca.crt', '--certs-dir', certsDir],
      directory,
    );
    expect(escape.code).toBe(2);
    expect(escape.stderr).toContain('CA_REGISTRY_INVALID');
    const noCa = await runCli(
      ['ca', 'trust-engine', '--registry', 'localhost:5000', '--certs-dir', certsDir],
      directory,
      { NEURONS_ENV_DIR: path.join(directory, 'no-env') },
    );
    expect(noCa.code).toBe(2);
  });

  it('writes client.cert and a 0600 client.key for a registry that requires mutual TLS, once', async () => {
    const { directory, caFile } = await caFolder();
    const pair = issueClientCertificate(ca, { commonName: 'engine', days: 10 });
    await writeFile(path.join(directory, 'client.crt'), pair.certificatePem);
    await writeFile(path.join(directory, 'client.key'), pair.keyPem, { mode: 0o600 });
    const certsDir = path.join(directory, 'certs.d');
    const args = [
      'ca',
      'trust-engine',
      '--registry',
      'mtls.example:5443',
      '--ca',
      caFile,
      '--client-cert',
      'client.crt',
      '--client-key',
      'client.key',
      '--certs-dir',
      certsDir,
    ];
    const first = await runCli(args, directory);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain('presents the client certificate');
    const folder = path.join(certsDir, 'mtls.example:5443');
    expect((await readFile(path.join(folder, 'client.cert'), 'utf8')).replace(/\r\n/g, '\n')).toBe(
      pair.certificatePem.replace(/\r\n/g, '\n'),
    );
    expect(await readFile(path.join(folder, 'client.key'), 'utf8')).toBe(pair.keyPem);
    expect((await stat(path.join(folder, 'client.key'))).mode & 0o777).toBe(0o600);
    expect((await stat(path.join(folder, 'ca.crt'))).mode & 0o777).toBe(0o644);
    expect((await runCli(args, directory)).stdout).toContain('already trusted');
  });

  it("refuses a key that is not the certificate's, a CA as client certificate, and half a pair", async () => {
    const { directory, caFile } = await caFolder();
    const pair = issueClientCertificate(ca, { commonName: 'engine', days: 10 });
    const other = issueClientCertificate(ca, { commonName: 'other', days: 10 });
    await writeFile(path.join(directory, 'client.crt'), pair.certificatePem);
    await writeFile(path.join(directory, 'other.key'), other.keyPem);
    const certsDir = path.join(directory, 'certs.d');
    const base = ['ca', 'trust-engine', '--registry', 'mtls.example', '--ca', caFile, '--certs-dir', certsDir];
    const mismatch = await runCli([...base, '--client-cert', 'client.crt', '--client-key', 'other.key'], directory);
    expect(mismatch.code).toBe(2);
    expect(mismatch.stderr).toContain('TRUST_CLIENT_KEY_MISMATCH');
    expect(mismatch.stderr).not.toContain('PRIVATE KEY');
    const caAsClient = await runCli([...base, '--client-cert', caFile, '--client-key', 'other.key'], directory);
    expect(caAsClient.code).toBe(2);
    expect(caAsClient.stderr).toContain('TRUST_CLIENT_INVALID');
    const half = await runCli([...base, '--client-cert', 'client.crt'], directory);
    expect(half.code).toBe(2);
    expect(half.stderr).toContain('--client-cert and --client-key go together');
    // Nothing was written by the refused runs.
    await expect(stat(path.join(certsDir, 'mtls.example'))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
