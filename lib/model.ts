/*
 * Glossary: one name per concept across lib/ (cli/ prints what users see, which keeps its own names).
 *
 *   anchor          a trust anchor: the master's public certificate, shipped with the base system.
 *   certification   a signature by one key over another's User ID, with scopes and an expiry; a trust
 *                   signature (depth >= 1) also delegates: its subject, an intermediate, may certify.
 *   scope           a glob over repository identifiers on a certification (pkgsrc-scope@pkgsrc.org);
 *                   `granted`: what a chain grants, the intersection of its links' scopes.
 *   chain           the certifications from an anchor to a signing key (lib/trust/chain.ts walks each
 *                   candidate, a `Path`; NO_PATH when there is none).
 *   signer          the key or subkey that made a signature, by fingerprint; `primary` is its
 *                   certificate. lib/pgp's `Signer` is a secret key's signing half, to make one.
 *   verdict         what a judgement found: the trust engine's (`Verdict`, `ThresholdVerdict`: may this
 *                   key sign for this repository at this time?) and a signed document's (`SignedVerdict`).
 *   repository      `RepositoryId`, the repository identifier: the URL's path below packages/
 *                   (NetBSD/x86_64/10.0/All), or keyring/<name> and pkg-vulnerabilities, which name no
 *                   repository; what a signature names (pkgsrc-repository@pkgsrc.org) and a scope
 *                   matches. Checked where it enters, then named `repository` wherever it is held
 *                   (check-repo and setup --json say `id`, status --json and the floor record `identifier`).
 *   upstream        (client) a repository as pkgin reaches it: its identifier and mirror URL.
 *   pkg_summary     the package list, pkg_summary(5): entries of VAR=VALUE lines (lib/summary/).
 *   index           the signed pkg_summary, pkg_summary.asc: cleartext-signed for one repository, and
 *                   expiring (verifyIndex, signIndex; the verify-summary and sign-summary commands, and
 *                   lib/verify/summary.ts and lib/publish/summary.ts, keep their names).
 *   keyring release the signed statement (release.asc) of a keyring file's name, serial, size and SHA-256.
 *   document kind   what a signed document is (index, keyring release, pkg-vulnerabilities, package):
 *                   its name in messages, its codes and its own checks (lib/verify/signed.ts).
 *   proof           `Proof`: what a verified signature proves, its repository, time and signer; the
 *                   newest per repository stops rollback, the newest of all is the floor.
 *   clock, floor    "now" is the later of the clock's reading and the floor, the latest time proven here.
 *   generation      a complete set of files in a directory of its own, made current whole by one link
 *                   (lib/generations.ts): the live keyring, a repository's published index files.
 *   policy          the algorithm and chain rules as data (lib/trust/policy.ts), the anchor threshold
 *                   (k of n anchors) included.
 */

/**
 * pkgkeys' own picture of OpenPGP certificates. lib/pgp/ builds it from packets after checking every
 * signature cryptographically; everything else in lib/ reasons about these types only.
 *
 * Only signatures that verified are here: a signature that did not verify is as if it were absent.
 * Signatures whose subpackets make them unusable are kept with their `problem`, so `explain` can say why.
 * Every part keeps its packet (`packet`: the whole binary packet), so a keyring can be written back
 * from the model: the model is the canonical form of a keyring (lib/keyring/).
 */

/** The raw packet a part came from, header included. */
export interface HasPacket {
  packet: Uint8Array;
}

/**
 * A repository identifier (DESIGN.md §5): the repository URL's path below `packages/`, such as
 * `NetBSD/x86_64/10.0/All`, or `keyring/<name>` or `pkg-vulnerabilities` for what names no repository.
 * Checked once where it enters (checkRepository, lib/trust/scope.ts) and carried as this type after.
 */
export type RepositoryId = string & { readonly __checked: 'repository identifier' };

/** Upper-case hex, 40 characters for v4 keys. */
export type Fingerprint = string;
/** Upper-case hex, 16 characters. */
export type KeyID = string;

export type PublicKeyAlgorithm =
  'rsa' | 'dsa' | 'elgamal' | 'ecdsa' | 'eddsa' | 'ed25519' | 'ed448' | 'ecdh' | 'x25519' | 'x448' | 'unknown';

export interface KeyAlgorithm {
  name: PublicKeyAlgorithm;
  /** RSA/DSA modulus size, or the curve's size. */
  bits: number;
  curve?: string;
}

/** Hash algorithms by their RFC 9580 §9.5 names, lower case ('sha1', 'sha256', ...). */
export type HashName = string;

/**
 * RFC 9580 §5.2.3.31. "Hard" revocations (no reason, compromised, unknown codes) void every signature
 * the key ever made; "soft" ones (superseded, retired, user ID no longer valid) void only signatures
 * made after the revocation.
 */
export type RevocationReason = 'unspecified' | 'superseded' | 'compromised' | 'retired' | 'user-id-invalid';

export interface Revocation extends HasPacket {
  issuer: Fingerprint;
  created: Date;
  reason: RevocationReason;
  text: string;
  hard: boolean;
}

/** A trust signature (RFC 9580 §5.2.3.21): the issuer delegates certifying power to the subject. */
export interface TrustGrant {
  depth: number;
  amount: number;
  /** Subpacket 6, read from the raw bytes; null when absent. */
  regex: string | null;
}

/** A certification of a User ID by another key (signature types 0x10-0x13). */
export interface Certification extends HasPacket {
  issuer: Fingerprint;
  subject: Fingerprint;
  userID: string;
  created: Date;
  expires: Date | null;
  /** The `pkgsrc-scope@pkgsrc.org` notations: globs over repository identifiers. */
  scopes: string[];
  trust: TrustGrant | null;
  hash: HashName;
  /** Why the signature cannot count (unknown critical subpacket, ...), or null. */
  problem: string | null;
}

export interface SelfSignature extends HasPacket {
  created: Date;
  hash: HashName;
  /** Key expiration time as an absolute date, or null for none (RFC 9580 §5.2.3.13). */
  keyExpires: Date | null;
  /** Key flags (RFC 9580 §5.2.3.29), or null when the subpacket is absent. */
  flags: number | null;
  problem: string | null;
}

export interface UserID extends HasPacket {
  text: string;
  /** The newest valid self-certification, or null when none verified. */
  self: SelfSignature | null;
  revocations: Revocation[];
  /** The newest certification by each other issuer that verified. */
  certifications: Certification[];
  /** The newest certification revocation (0x30) by each other issuer that verified. */
  certificationRevocations: Revocation[];
}

export interface Subkey extends HasPacket {
  fingerprint: Fingerprint;
  keyID: KeyID;
  algorithm: KeyAlgorithm;
  created: Date;
  /**
   * The newest valid binding signature, or null when the subkey is not bound; `back` is the valid 0x19
   * back-signature embedded in it (the subkey cross-certifying its primary), or null.
   */
  binding: (SelfSignature & { back: { hash: HashName; problem: string | null } | null }) | null;
  revocations: Revocation[];
}

/**
 * A key that a certificate's holder authorized to revoke it (Revocation Key subpacket, what `gpg
 * --edit-key addrevoker` writes). `packet` is a self-signature that names it: the certificate's own
 * direct-key or User ID self-signature when one names it, else the newest older direct-key
 * self-signature that does; a newer self-signature cannot take a revoker back.
 */
export interface Revoker extends HasPacket {
  fingerprint: Fingerprint;
  /** Whether the revoker's certificate is in the keyring: only then can a revocation by it be checked. */
  known: boolean;
}

export interface Certificate extends HasPacket {
  fingerprint: Fingerprint;
  keyID: KeyID;
  version: number;
  algorithm: KeyAlgorithm;
  created: Date;
  /**
   * Key revocations (0x20) that verified over this key, made by the key itself or by one of its
   * designated revokers, wherever they stood in the input.
   */
  revocations: Revocation[];
  /** Designated revokers (RFC 9580 §5.2.3.23) its self-signatures name. */
  revokers: Revoker[];
  /** The newest valid direct-key self-signature (0x1F), or null. */
  direct: SelfSignature | null;
  userIDs: UserID[];
  subkeys: Subkey[];
}

export const SCOPE_NOTATION = 'pkgsrc-scope@pkgsrc.org';
export const REPOSITORY_NOTATION = 'pkgsrc-repository@pkgsrc.org';
/** Flag bits of RFC 9580 §5.2.3.29. */
export const KEY_FLAG = { certify: 0x01, sign: 0x02 } as const;
