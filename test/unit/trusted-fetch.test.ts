import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { createCertificateAuthority, issueServerCertificate } from '../../src/ca/certificates.js';
import { listPullRequestChanges } from '../../src/detect/github-changes.js';
import { trustedFetch } from '../../src/transport/trusted-fetch.js';

describe('GitHub Enterprise behind a private CA', () => {
  it('is reached through the configured CA, and refused without it', async () => {
    const ca = createCertificateAuthority({ commonName: 'Enterprise CA', days: 1 });
    const certificate = issueServerCertificate(ca, { hosts: ['localhost'], ips: ['127.0.0.1'], days: 1 });
    const server = createServer({ cert: certificate.certificatePem, key: certificate.keyPem }, (request, response) => {
      response.setHeader('content-type', 'application/json');
      if (request.url?.startsWith('/api/v3/repos/org/workers/pulls/3/files'))
        return void response.end(JSON.stringify([{ filename: 'analyzers/A/a.py', status: 'modified' }]));
      if (request.url?.startsWith('/api/v3/repos/org/workers/pulls/3'))
        return void response.end(
          JSON.stringify({ base: { sha: 'a'.repeat(40) }, head: { sha: 'b'.repeat(40) }, changed_files: 1 }),
        );
      response.writeHead(404).end('{}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const baseUrl = `https://127.0.0.1:${(server.address() as AddressInfo).port}/api/v3`;
    try {
      expect(trustedFetch([], {})).toBeUndefined();
      const fetch = trustedFetch([ca.certificatePem], {});
      const changes = await listPullRequestChanges({
        owner: 'org',
        repo: 'workers',
        pullNumber: 3,
        baseUrl,
        ...(fetch ? { fetch } : {}),
      });
      expect(changes.files).toEqual([{ status: 'modified', path: 'analyzers/A/a.py' }]);
      await expect(
        listPullRequestChanges({ owner: 'org', repo: 'workers', pullNumber: 3, baseUrl }),
      ).rejects.toMatchObject({ code: 'GITHUB_API' });
    } finally {
      server.close();
    }
  });
});
