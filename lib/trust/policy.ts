/** The algorithm and chain policy, as data (DESIGN.md §3 "weak algorithms"; RFC 9580 §9.5, §12.7). */
import type { Certificate, HashName, KeyAlgorithm, PublicKeyAlgorithm } from '../model';

export interface Policy {
  /** The only hashes accepted anywhere in a chain: self-signatures, bindings and certifications. */
  acceptHashes: ReadonlySet<HashName>;
  /** The only public-key algorithms accepted for keys in a chain. */
  acceptAlgorithms: ReadonlySet<PublicKeyAlgorithm>;
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
  minRSABits: 2048,
  maxDelegationDepth: 1,
  minTrustAmount: 120,
  clockSkewSeconds: 300,
  anchorThreshold: 1,
});

/** Why an algorithm is refused, or null when the policy allows it. */
export function weakAlgorithm(algorithm: KeyAlgorithm, policy: Policy): string | null {
  if (!policy.acceptAlgorithms.has(algorithm.name)) return `${algorithm.name.toUpperCase()} keys are not accepted`;
  if (algorithm.name === 'rsa' && algorithm.bits < policy.minRSABits) return `RSA-${algorithm.bits} is shorter than ${policy.minRSABits} bits`;
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
  if (!cert.direct && !cert.userIDs.some((u) => u.self)) problems.push(`key ${cert.fingerprint}: no valid self-signature`);
  for (const uid of cert.userIDs) {
    if (uid.self) add(`self-signature on "${uid.text}"`, weakHash(uid.self.hash, policy) ?? uid.self.problem);
    for (const c of uid.certifications) add(`certification of "${uid.text}" by ${c.issuer}`, weakHash(c.hash, policy) ?? c.problem);
  }
  for (const sub of cert.subkeys) {
    add(`subkey ${sub.fingerprint}`, weakAlgorithm(sub.algorithm, policy));
    if (sub.binding) add(`binding of subkey ${sub.fingerprint}`, weakHash(sub.binding.hash, policy) ?? sub.binding.problem);
  }
  return problems;
}
