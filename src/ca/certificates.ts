import { generateKeyPairSync, randomBytes, X509Certificate } from 'node:crypto';
import forge from 'node-forge';

export interface KeyAndCertificate {
  certificatePem: string;
  keyPem: string;
}

export interface CertificateAuthorityOptions {
  commonName: string;
  days: number;
}

export interface ServerCertificateOptions {
  hosts: string[];
  ips: string[];
  days: number;
}

// Key generation uses Node's native crypto (node-forge's pure-JS RSA takes seconds); node-forge signs the certificates.
function generateKeys(): { privateKey: forge.pki.rsa.PrivateKey; publicKey: forge.pki.rsa.PublicKey; keyPem: string } {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const keyPem = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
  const forgeKey = forge.pki.privateKeyFromPem(keyPem) as forge.pki.rsa.PrivateKey;
  const publicKey = forge.pki.setRsaPublicKey(forgeKey.n, forgeKey.e);
  return { privateKey: forgeKey, publicKey, keyPem };
}

function newCertificate(publicKey: forge.pki.PublicKey, days: number): forge.pki.Certificate {
  const certificate = forge.pki.createCertificate();
  certificate.publicKey = publicKey;
  // Positive 128-bit serial (a leading 00 byte keeps it positive in DER).
  certificate.serialNumber = `00${randomBytes(16).toString('hex')}`;
  const now = new Date();
  certificate.validity.notBefore = new Date(now.getTime() - 5 * 60 * 1000);
  certificate.validity.notAfter = new Date(now.getTime() + days * 24 * 60 * 60 * 1000);
  return certificate;
}

export function createCertificateAuthority(options: CertificateAuthorityOptions): KeyAndCertificate {
  const { privateKey, publicKey, keyPem } = generateKeys();
  const certificate = newCertificate(publicKey, options.days);
  const subject = [{ name: 'commonName', value: options.commonName }, { name: 'organizationName', value: 'neurons' }];
  certificate.setSubject(subject);
  certificate.setIssuer(subject);
  certificate.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true, pathLenConstraint: 0 },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  certificate.sign(privateKey, forge.md.sha256.create());
  return { certificatePem: forge.pki.certificateToPem(certificate), keyPem };
}

export function issueServerCertificate(ca: KeyAndCertificate, options: ServerCertificateOptions): KeyAndCertificate {
  const caCertificate = forge.pki.certificateFromPem(ca.certificatePem);
  const caKey = forge.pki.privateKeyFromPem(ca.keyPem);
  const { publicKey, keyPem } = generateKeys();
  const certificate = newCertificate(publicKey, options.days);
  certificate.setSubject([{ name: 'commonName', value: options.hosts[0] ?? options.ips[0] ?? 'localhost' }]);
  certificate.setIssuer(caCertificate.subject.attributes);
  certificate.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    {
      name: 'subjectAltName',
      altNames: [...options.hosts.map((value) => ({ type: 2, value })), ...options.ips.map((ip) => ({ type: 7, ip }))],
    },
    { name: 'authorityKeyIdentifier', keyIdentifier: caCertificate.generateSubjectKeyIdentifier().getBytes() },
  ]);
  certificate.sign(caKey, forge.md.sha256.create());
  return { certificatePem: forge.pki.certificateToPem(certificate), keyPem };
}

/** Days left before the certificate expires (negative when expired). */
export function daysUntilExpiry(certificatePem: string, now = new Date()): number {
  const certificate = new X509Certificate(certificatePem);
  return (new Date(certificate.validTo).getTime() - now.getTime()) / (24 * 60 * 60 * 1000);
}
