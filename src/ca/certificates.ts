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

/** How long a certificate is valid: from five minutes ago for `days` days, unless the bounds are given. */
export interface Validity {
  days: number;
  /** Tests set both bounds in the past (or the future) to get an expired (or not yet valid) certificate. */
  notBefore?: Date;
  notAfter?: Date;
}

export interface ServerCertificateOptions extends Validity {
  hosts: string[];
  ips: string[];
}

export interface ClientCertificateOptions extends Validity {
  /** The client's name (subject CN), what a server doing mutual TLS sees. */
  commonName: string;
}

// Key generation uses Node's native crypto (node-forge's pure-JS RSA takes seconds); node-forge signs the certificates.
function generateKeys(): { privateKey: forge.pki.rsa.PrivateKey; publicKey: forge.pki.rsa.PublicKey; keyPem: string } {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const keyPem = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
  const forgeKey = forge.pki.privateKeyFromPem(keyPem) as forge.pki.rsa.PrivateKey;
  const publicKey = forge.pki.setRsaPublicKey(forgeKey.n, forgeKey.e);
  return { privateKey: forgeKey, publicKey, keyPem };
}

/**
 * A random positive serial in minimal DER: 16 bytes whose first is 0x01-0x7f (127 random bits). A leading 00 byte
 * is only legal before a byte >= 0x80: forge drops one of ours, so a random part starting with 00 then a byte below
 * 0x80 (1 certificate in 512) was encoded with illegal padding, and OpenSSL refused to parse it.
 */
export function serialNumber(bytes: Buffer = randomBytes(16)): string {
  const serial = Buffer.from(bytes);
  serial[0] = (serial[0] ?? 0) & 0x7f || 0x01;
  return serial.toString('hex');
}

function newCertificate(publicKey: forge.pki.PublicKey, validity: Validity): forge.pki.Certificate {
  const certificate = forge.pki.createCertificate();
  certificate.publicKey = publicKey;
  certificate.serialNumber = serialNumber();
  const now = new Date();
  certificate.validity.notBefore = validity.notBefore ?? new Date(now.getTime() - 5 * 60 * 1000);
  certificate.validity.notAfter = validity.notAfter ?? new Date(now.getTime() + validity.days * 24 * 60 * 60 * 1000);
  return certificate;
}

export function createCertificateAuthority(options: CertificateAuthorityOptions): KeyAndCertificate {
  const { privateKey, publicKey, keyPem } = generateKeys();
  const certificate = newCertificate(publicKey, options);
  const subject = [
    { name: 'commonName', value: options.commonName },
    { name: 'organizationName', value: 'neurons' },
  ];
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

/** Signs a leaf certificate (not a CA) for `commonName` with the CA's key; `extensions` say what it is for. */
function issueLeaf(
  ca: KeyAndCertificate,
  commonName: string,
  validity: Validity,
  extensions: object[],
): KeyAndCertificate {
  const caCertificate = forge.pki.certificateFromPem(ca.certificatePem);
  const caKey = forge.pki.privateKeyFromPem(ca.keyPem);
  const { publicKey, keyPem } = generateKeys();
  const certificate = newCertificate(publicKey, validity);
  certificate.setSubject([{ name: 'commonName', value: commonName }]);
  certificate.setIssuer(caCertificate.subject.attributes);
  certificate.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    ...extensions,
    { name: 'authorityKeyIdentifier', keyIdentifier: caCertificate.generateSubjectKeyIdentifier().getBytes() },
  ]);
  certificate.sign(caKey, forge.md.sha256.create());
  return { certificatePem: forge.pki.certificateToPem(certificate), keyPem };
}

export function issueServerCertificate(ca: KeyAndCertificate, options: ServerCertificateOptions): KeyAndCertificate {
  return issueLeaf(ca, options.hosts[0] ?? options.ips[0] ?? 'localhost', options, [
    { name: 'extKeyUsage', serverAuth: true },
    {
      name: 'subjectAltName',
      altNames: [...options.hosts.map((value) => ({ type: 2, value })), ...options.ips.map((ip) => ({ type: 7, ip }))],
    },
  ]);
}

/** A client certificate for mutual TLS: a server that asks for one (`requestCert`) checks it against the CA. */
export function issueClientCertificate(ca: KeyAndCertificate, options: ClientCertificateOptions): KeyAndCertificate {
  return issueLeaf(ca, options.commonName, options, [{ name: 'extKeyUsage', clientAuth: true }]);
}

/** Days left before the certificate expires (negative when expired). */
export function daysUntilExpiry(certificatePem: string, now = new Date()): number {
  const certificate = new X509Certificate(certificatePem);
  return (new Date(certificate.validTo).getTime() - now.getTime()) / (24 * 60 * 60 * 1000);
}
