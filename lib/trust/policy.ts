/** The algorithm and chain policy, as data (DESIGN.md §3 "weak algorithms"; RFC 9580 §9.5, §12.7). */
import { type Certificate, type HashName, type KeyAlgorithm, KEY_FLAG, type PublicKeyAlgorithm } from '../model';

export interface Policy {
  /** The only hashes accepted anywhere in a chain: self-signatures, bindings and certifications. */
  acceptHashes: ReadonlySet<HashName>;
  /** The only public-key algorithms accepted for keys in a chain. */
  acceptAlgorithms: ReadonlySet<PublicKeyAlgorithm>;
  /** The only curves accepted for elliptic-curve keys (ECDSA, EdDSA), by OpenPGP.js' names. */
  acceptCurves: ReadonlySet<string>;
  minRSABits: number;
  /** Intermediates allowed between an anchor and a signing key. */
  maxDelegationDepth: number;
  /** Trust amount a trust signature needs to delegate (RFC 9580 §5.2.3.21: 120 is complete trust). */
  minTrustAmount: number;
  /** How far in the future a creation time may lie before it is refused. */
  clockSkewSeconds: number;
  /** How many distinct anchors must each vouch for a key, k of the n given (lib/trust/threshold.ts). */
  anchorThreshold: number;
}

/** Allow-lists, so that an algorithm nobody thought of is refused: no MD5, SHA-1, RIPEMD-160, SHA-224, DSA, ElGamal. */
export const DEFAULT_POLICY: Policy = Object.freeze({
  acceptHashes: new Set(['sha256', 'sha384', 'sha512', 'sha3_256', 'sha3_512']),
  acceptAlgorithms: new Set<PublicKeyAlgorithm>(['rsa', 'eddsa', 'ed25519', 'ed448', 'ecdsa']),
  // Those OpenPGP.js verifies here: brainpool and secp256k1 need a module it does not ship with.
  acceptCurves: new Set(['ed25519Legacy', 'nistP256', 'nistP384', 'nistP521']),
  minRSABits: 2048,
  maxDelegationDepth: 1,
  minTrustAmount: 120,
  clockSkewSeconds: 300,
  anchorThreshold: 1,
});

/** Why an algorithm is refused, or null when the policy allows it. */
export function weakAlgorithm(algorithm: KeyAlgorithm, policy: Policy): string | null {
  if (!policy.acceptAlgorithms.has(algorithm.name)) return `${algorithm.name.toUpperCase()} keys are not accepted`;
  if (algorithm.name === 'rsa' && algorithm.bits < policy.minRSABits)
    return `RSA-${algorithm.bits} is shorter than ${policy.minRSABits} bits`;
  if (algorithm.curve !== undefined && !policy.acceptCurves.has(algorithm.curve)) {
    return `${algorithm.name.toUpperCase()} on curve ${algorithm.curve} is not supported (pkgkeys verifies ${[...policy.acceptCurves].join(', ')})`;
  }
  return null;
}

export function weakHash(hash: HashName, policy: Policy): string | null {
  return policy.acceptHashes.has(hash) ? null : `${hash.toUpperCase()} signatures are not accepted`;
}

/**
 * What in a certificate fails the policy, whatever the time and repository: its algorithms, and the
 * hashes and subpackets of the signatures that bind it together or certify it.
 */
export function certificateProblems(cert: Certificate, policy: Policy): string[] {
  const problems: string[] = [];
  const add = (what: string, problem: string | null) => problem && problems.push(`${what}: ${problem}`);
  add(`key ${cert.fingerprint}`, weakAlgorithm(cert.algorithm, policy));
  if (!cert.direct && !cert.userIDs.some((u) => u.self))
    problems.push(`key ${cert.fingerprint}: no valid self-signature`);
  for (const r of cert.revokers.filter((r) => !r.known))
    problems.push(`key ${cert.fingerprint}: its designated revoker ${r.fingerprint} is not in the keyring`);
  for (const uid of cert.userIDs) {
    if (uid.self) add(`self-signature on "${uid.text}"`, weakHash(uid.self.hash, policy) ?? uid.self.problem);
    for (const c of uid.certifications)
      add(`certification of "${uid.text}" by ${c.issuer}`, weakHash(c.hash, policy) ?? c.problem);
  }
  // Subkeys by their use: only one bound for signing can be in a chain; an encryption subkey is no fault.
  for (const sub of cert.subkeys) {
    if (!sub.binding || sub.binding.flags === null || (sub.binding.flags & KEY_FLAG.sign) === 0) continue;
    add(`subkey ${sub.fingerprint}`, weakAlgorithm(sub.algorithm, policy));
    add(`binding of subkey ${sub.fingerprint}`, weakHash(sub.binding.hash, policy) ?? sub.binding.problem);
    if (sub.binding.back)
      add(
        `back-signature of subkey ${sub.fingerprint}`,
        weakHash(sub.binding.back.hash, policy) ?? sub.binding.back.problem,
      );
  }
  return problems;
}
