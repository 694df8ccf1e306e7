import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify } from 'node:crypto';
import { UsageError } from '../errors/neurons-error.js';

export interface KeyPair {
  privateKeyPem: string;
  publicKeyPem: string;
}

/** An Ed25519 key pair for signing catalog indexes. */
export function generateSigningKeys(): KeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

/** A detached signature (base64) over the exact bytes of the index. */
export function signBytes(bytes: Buffer, privateKeyPem: string, origin: string): string {
  let key;
  try {
    key = createPrivateKey(privateKeyPem);
  } catch (error) {
    throw new UsageError({
      code: 'SIGN_KEY_INVALID',
      file: origin,
      message: `not a private key: ${(error as Error).message}`,
      hint: 'make one with `neurons keys generate`',
    });
  }
  return sign(null, bytes, key).toString('base64');
}

export function verifyBytes(bytes: Buffer, signatureBase64: string, publicKeyPem: string): boolean {
  try {
    return verify(null, bytes, createPublicKey(publicKeyPem), Buffer.from(signatureBase64.trim(), 'base64'));
  } catch {
    return false;
  }
}
