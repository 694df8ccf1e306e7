import type { X509Certificate } from 'node:crypto';

/** What a person needs to recognise a certificate: printed by `neurons ca inspect`, named in TLS problems. */
export interface CertificateSummary {
  subject: string;
  issuer: string;
  /** ISO 8601. */
  notBefore: string;
  notAfter: string;
  /** Whole days left before `notAfter` (negative once expired). */
  daysLeft: number;
  /** `DNS:name` and `IP Address:addr` entries, as OpenSSL prints them. */
  subjectAltNames: string[];
  /** SHA-256 of the DER, colon-separated hex. */
  fingerprint256: string;
  isCa: boolean;
  selfSigned: boolean;
}

const day = 24 * 60 * 60 * 1000;

/** `CN=name, O=org`: Node gives one attribute a line. */
export function distinguishedName(name: string): string {
  return name.split('\n').filter(Boolean).join(', ');
}

export function validityDates(certificate: X509Certificate): { notBefore: Date; notAfter: Date } {
  return { notBefore: new Date(certificate.validFrom), notAfter: new Date(certificate.validTo) };
}

export function summarizeCertificate(certificate: X509Certificate, now: Date): CertificateSummary {
  const { notBefore, notAfter } = validityDates(certificate);
  return {
    subject: distinguishedName(certificate.subject),
    issuer: distinguishedName(certificate.issuer),
    notBefore: notBefore.toISOString(),
    notAfter: notAfter.toISOString(),
    daysLeft: Math.floor((notAfter.getTime() - now.getTime()) / day),
    subjectAltNames: certificate.subjectAltName ? certificate.subjectAltName.split(', ') : [],
    fingerprint256: certificate.fingerprint256,
    isCa: certificate.ca,
    selfSigned: certificate.subject === certificate.issuer && certificate.verify(certificate.publicKey),
  };
}
