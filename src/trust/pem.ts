import { X509Certificate } from 'node:crypto';

const certificateBlock = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** The certificates of a PEM text (a bundle, a chain, a file that also holds a key), one PEM block each. */
export function splitCertificates(text: string): string[] {
  return [...text.matchAll(certificateBlock)].map((match) => `${match[0].replace(/\r\n/g, '\n')}\n`);
}

/** Two PEM blocks of the same certificate get the same key, whatever their line breaks. */
export function certificateKey(pem: string): string {
  return pem.replace(/-----[A-Z ]+-----|\s/g, '');
}

/** Same certificates once each, first occurrence kept. */
export function uniqueCertificates(pems: Iterable<string>): string[] {
  const seen = new Map<string, string>();
  for (const pem of pems) {
    const key = certificateKey(pem);
    if (!seen.has(key)) seen.set(key, pem);
  }
  return [...seen.values()];
}

const parsed = new Map<string, X509Certificate | null>();
/** Parsed once per process: the system store alone is ~150 certificates. Unparsable blocks are left out. */
export function parseCertificates(pems: readonly string[]): X509Certificate[] {
  const certificates: X509Certificate[] = [];
  for (const pem of pems) {
    if (!parsed.has(pem)) {
      try {
        parsed.set(pem, new X509Certificate(pem));
      } catch {
        parsed.set(pem, null);
      }
    }
    const certificate = parsed.get(pem);
    if (certificate) certificates.push(certificate);
  }
  return certificates;
}
