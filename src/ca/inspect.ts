import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import path from 'node:path';
import { rootCertificates } from 'node:tls';
import { UsageError } from '../errors/neurons-error.js';
import { summarizeCertificate, validityDates, type CertificateSummary } from '../trust/certificate-summary.js';
import { fetchPeerChain } from '../trust/peer-chain.js';
import { parseCertificates, splitCertificates } from '../trust/pem.js';
import { systemCertificates } from '../trust/trust-store.js';
import { verifyChain } from '../trust/verify-chain.js';

export type InspectTarget = { kind: 'url'; host: string; port: number } | { kind: 'file'; file: string };

export interface InspectionReport {
  target: string;
  /** The host name checked against the leaf (URLs only). */
  host: string | null;
  /** Leaf first, as presented. */
  certificates: CertificateSummary[];
  trust: {
    /** Node's bundled roots alone: what every machine trusts. */
    public: boolean;
    /** The bundled roots plus NODE_EXTRA_CA_CERTS: what this machine trusts. */
    system: boolean;
    /** The CAs given with --ca; null when none were given. */
    given: boolean | null;
    /** Subject of the CA the chain leads to, when it leads to one. */
    anchor: string | null;
  };
  /** Whether the leaf names the URL's host; null for a file. */
  hostMatches: boolean | null;
  outOfDate: Array<{ subject: string; problem: 'expired' | 'not yet valid' }>;
  inspection: { flagged: boolean; product: string | null; signs: string[] };
  /** The server refused a handshake without a client certificate (mutual TLS). */
  clientCertificateRequired: boolean;
  /** Trusted (system store or given CAs), in date, and for the URL's host. */
  ok: boolean;
}

/** Products that re-sign TLS traffic with their own CA; their names show in the issuer of what they forge. */
const inspectionProducts = [
  'Zscaler',
  'Fortinet',
  'FortiGate',
  'Palo Alto',
  'Blue Coat',
  'Netskope',
  'Cisco Umbrella',
  'Sophos',
  'Forcepoint',
  'Check Point',
  'mitmproxy',
  'Fiddler',
];
const productPatterns = inspectionProducts.map((product) => ({
  product,
  pattern: new RegExp(product.replace(/\s+/g, '[\\s-]*'), 'i'),
}));

export function inspectionProduct(name: string): string | undefined {
  return productPatterns.find(({ pattern }) => pattern.test(name))?.product;
}

/** `https://host[:port][/...]` or a PEM file (relative to `cwd`). */
export function parseInspectTarget(target: string, cwd: string): InspectTarget {
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(target)) return { kind: 'file', file: path.resolve(cwd, target) };
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    throw new UsageError({
      code: 'CA_INSPECT_TARGET',
      message: `'${target}' is not a valid URL`,
      hint: 'give https://HOST[:PORT] or a PEM file',
    });
  }
  if (url.protocol !== 'https:') {
    throw new UsageError({
      code: 'CA_INSPECT_TARGET',
      message: `'${target}' is not an https URL`,
      hint: 'give https://HOST[:PORT] or a PEM file',
    });
  }
  return { kind: 'url', host: url.hostname.replace(/^\[|\]$/g, ''), port: url.port ? Number(url.port) : 443 };
}

/** The chain to inspect: from the server (unverified, no client certificate) or from the file. */
export async function loadTargetChain(
  target: InspectTarget,
): Promise<{ certificates: X509Certificate[]; clientCertificateRequired: boolean }> {
  if (target.kind === 'url') return fetchPeerChain({ host: target.host, port: target.port });
  let text: string;
  try {
    text = await readFile(target.file, 'utf8');
  } catch (error) {
    throw new UsageError({
      code: 'CA_INSPECT_TARGET',
      file: target.file,
      message: `cannot read ${target.file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
      hint: 'give https://HOST[:PORT] or a PEM file',
    });
  }
  const certificates = parseCertificates(splitCertificates(text));
  if (certificates.length === 0) {
    throw new UsageError({
      code: 'CA_INSPECT_TARGET',
      file: target.file,
      message: `${target.file} holds no PEM certificate`,
      hint: 'a PEM file holds "-----BEGIN CERTIFICATE-----" blocks, leaf first',
    });
  }
  return { certificates, clientCertificateRequired: false };
}

/** Judges a chain (pure but for reading NODE_EXTRA_CA_CERTS from `env`). */
export function inspectChain(
  certificates: X509Certificate[],
  options: {
    target: string;
    host: string | undefined;
    givenCas: string[];
    env: NodeJS.ProcessEnv;
    now: Date;
    clientCertificateRequired: boolean;
  },
): InspectionReport {
  const [leaf] = certificates;
  const publicAnchor = verifyChain(certificates, parseCertificates(rootCertificates.flatMap(splitCertificates)));
  const systemAnchor = publicAnchor ?? verifyChain(certificates, parseCertificates(systemCertificates(options.env)));
  const givenAnchor =
    options.givenCas.length > 0 ? verifyChain(certificates, parseCertificates(options.givenCas)) : undefined;
  const anchor = systemAnchor ?? givenAnchor;
  const trust = {
    public: publicAnchor !== undefined,
    system: systemAnchor !== undefined,
    given: options.givenCas.length > 0 ? givenAnchor !== undefined : null,
    anchor: anchor ? summarizeCertificate(anchor, options.now).subject : null,
  };
  const host = options.host;
  const hostMatches =
    host === undefined || !leaf ? null : (isIP(host) ? leaf.checkIP(host) : leaf.checkHost(host)) !== undefined;
  const outOfDate: InspectionReport['outOfDate'] = [];
  for (const certificate of certificates) {
    const { notBefore, notAfter } = validityDates(certificate);
    const subject = summarizeCertificate(certificate, options.now).subject;
    if (notAfter < options.now) outOfDate.push({ subject, problem: 'expired' });
    else if (notBefore > options.now) outOfDate.push({ subject, problem: 'not yet valid' });
  }
  const summaries = certificates.map((certificate) => summarizeCertificate(certificate, options.now));
  const product = summaries.map((summary) => inspectionProduct(summary.issuer)).find((name) => name !== undefined);
  const signs: string[] = [];
  if (product)
    signs.push(
      `the issuer ${summaries.find((summary) => inspectionProduct(summary.issuer))?.issuer ?? ''} looks like ${product}, a TLS inspection product`,
    );
  // A private CA the user trusts (given with --ca or configured) is expected, not a sign.
  if (!trust.public && trust.given !== true)
    signs.push(
      "the chain does not lead to a root of Node's public store: a private CA, or a proxy that re-signs traffic",
    );
  return {
    target: options.target,
    host: host ?? null,
    certificates: summaries,
    trust,
    hostMatches,
    outOfDate,
    // A private CA the user named with --ca is expected; an unknown one, or a product's name, is not.
    inspection: {
      flagged: product !== undefined || (!trust.public && trust.given !== true),
      product: product ?? null,
      signs,
    },
    clientCertificateRequired: options.clientCertificateRequired,
    ok: (trust.system || trust.given === true) && outOfDate.length === 0 && hostMatches !== false,
  };
}

const yesNo = (value: boolean): string => (value ? 'yes' : 'no');

export function formatInspection(report: InspectionReport): string {
  const lines = [report.target];
  for (const [index, certificate] of report.certificates.entries()) {
    lines.push(
      `certificate ${index + 1}${index === 0 ? ' (leaf)' : ''}`,
      `  subject:  ${certificate.subject}`,
      `  issuer:   ${certificate.issuer}${certificate.selfSigned ? ' (self-signed)' : ''}`,
      `  valid:    ${certificate.notBefore} -> ${certificate.notAfter} (${certificate.daysLeft} days left)`,
      `  names:    ${certificate.subjectAltNames.join(', ') || '(none)'}`,
      `  sha256:   ${certificate.fingerprint256}`,
      `  CA:       ${yesNo(certificate.isCa)}`,
    );
  }
  lines.push(
    `verifies with the system store: ${yesNo(report.trust.system)}${report.trust.system && !report.trust.public ? ' (through NODE_EXTRA_CA_CERTS)' : ''}`,
  );
  lines.push(
    `verifies with the given CAs: ${report.trust.given === null ? '(none given)' : yesNo(report.trust.given)}`,
  );
  if (report.trust.anchor) lines.push(`trusted root: ${report.trust.anchor}`);
  if (report.hostMatches !== null)
    lines.push(`host name ${report.host ?? ''}: ${report.hostMatches ? 'matches' : 'does NOT match the certificate'}`);
  lines.push(
    report.outOfDate.length === 0
      ? 'dates: in date'
      : `dates: ${report.outOfDate.map((item) => `${item.subject} ${item.problem}`).join('; ')}`,
  );
  if (report.clientCertificateRequired) lines.push('client certificate: the server requires one (mutual TLS)');
  lines.push(`TLS inspection: ${report.inspection.flagged ? 'SIGNS FOUND' : 'no signs'}`);
  for (const sign of report.inspection.signs) lines.push(`  - ${sign}`);
  lines.push(`result: ${report.ok ? 'OK' : 'NOT OK'}`);
  return `${lines.join('\n')}\n`;
}
