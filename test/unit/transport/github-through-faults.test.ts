import { describe, expect, it } from 'vitest';
import { createCertificateAuthority } from '../../../src/ca/certificates.js';
import { listPullRequestChanges } from '../../../src/detect/github-changes.js';
import { trustedFetch } from '../../../src/transport/trusted-fetch.js';
import { startFaultProxy } from '../../helpers/fault-proxy.js';
import { startFakeGitHub } from '../detect/fake-github.js';

// The GitHub API (a local server speaking its endpoints) behind the fault proxy: Octokit's reads are retried too.
describe('GitHub reads through faults', () => {
  it('lists every file of a pull request through 500, 503, 429 and resets', async () => {
    const token = 'ghp_testTokenThatMustNeverBePrinted';
    const files = Array.from({ length: 250 }, (_, index) => ({
      filename: `analyzers/W${index}/w.py`,
      status: 'modified',
    }));
    const github = await startFakeGitHub(
      { owner: 'cortex', repo: 'neurons', number: 7, baseSha: 'a'.repeat(40), headSha: 'b'.repeat(40), files },
      token,
    );
    const ca = createCertificateAuthority({ commonName: 'fault proxy test CA', days: 1 });
    const proxy = await startFaultProxy({
      upstream: github.url,
      ca,
      seed: 5,
      rules: [
        { kind: '500', rate: 0.2, max: 2 },
        { kind: '503', rate: 0.2, max: 2 },
        { kind: '429', rate: 0.2, max: 2, retryAfterSeconds: 0 },
        { kind: 'reset', rate: 0.2, max: 2 },
      ],
    });
    try {
      const fetch = trustedFetch([ca.certificatePem], {});
      const changes = await listPullRequestChanges({
        owner: 'cortex',
        repo: 'neurons',
        pullNumber: 7,
        token,
        baseUrl: new URL(new URL(github.url).pathname, proxy.url).href,
        ...(fetch ? { fetch } : {}),
      });
      expect(changes.files).toHaveLength(250);
      expect(Object.values(proxy.counts.injected).reduce((sum, count) => sum + count, 0)).toBeGreaterThan(0);
    } finally {
      await proxy.close();
      await github.close();
    }
  });
});
