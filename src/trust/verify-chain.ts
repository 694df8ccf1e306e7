import type { X509Certificate } from 'node:crypto';

/** Whether `parent` signed `child`: the names chain and the signature checks. */
function signedBy(child: X509Certificate, parent: X509Certificate): boolean {
  return child.checkIssued(parent) && child.verify(parent.publicKey);
}

/**
 * Builds a path from the leaf (first certificate) through the presented intermediates to one of the trust anchors,
 * checking each signature, as a TLS client does; dates and names are checked apart. Returns the anchor reached.
 * An anchor is trusted as given (old roots lack basicConstraints); intermediates must be CAs.
 */
export function verifyChain(
  presented: readonly X509Certificate[],
  anchors: readonly X509Certificate[],
): X509Certificate | undefined {
  let current = presented[0];
  const used = new Set<string>();
  while (current && !used.has(current.fingerprint256)) {
    used.add(current.fingerprint256);
    const child: X509Certificate = current;
    const anchor = anchors.find(
      (candidate) => candidate.fingerprint256 === child.fingerprint256 || signedBy(child, candidate),
    );
    if (anchor) return anchor;
    current = presented.find(
      (candidate) => candidate.ca && !used.has(candidate.fingerprint256) && signedBy(child, candidate),
    );
  }
  return undefined;
}
