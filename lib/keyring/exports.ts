/**
 * Keyrings for pkg_install, derived from the full keyring on every change (DESIGN.md §4):
 * GPG_KEYRING_VERIFY for signed packages and GPG_KEYRING_PKGVULN for pkg-vulnerabilities.
 *
 * pkg_add's verifier (netpgpverify) knows nothing of certifications, scopes or expiry: whatever key
 * is in its keyring is trusted. So these files hold only the keys the chain makes valid now (through
 * as many anchors as the threshold asks, lib/trust/threshold.ts), and only
 * in the form netpgpverify reads: binary transferable public keys with an RSA primary key and a User ID
 * (one Ed25519 primary key anywhere makes the whole file unreadable to it). Certifications by others
 * are left out; they mean nothing to pkg_add.
 */
import type { Certificate, Fingerprint } from '../model';
import type { TrustGraph } from '../trust/chain';
import { type ThresholdVerdict, authorizeAllThreshold } from '../trust/threshold';
import type { Policy } from '../trust/policy';
import { PKG_VULNERABILITIES, grantsPackages } from '../trust/scope';

export interface PkgInstallKeyrings {
  verify: Uint8Array;
  pkgvuln: Uint8Array;
  /** Primary keys in each, for reports. */
  verifyKeys: Fingerprint[];
  pkgvulnKeys: Fingerprint[];
}

export function pkgInstallKeyrings(graph: TrustGraph, now: Date, policy: Policy): PkgInstallKeyrings {
  const question = { signedAt: now, now, policy };
  // A package signer: its chain grants, now, some scope beyond keyring releases and pkg-vulnerabilities
  // (the intersection of every link's scopes: pkg_add will trust it for every package).
  const signers = trusted(authorizeAllThreshold(graph, { ...question, repository: null }), (v) =>
    v.granted.some(grantsPackages),
  );
  const pkgvuln = trusted(authorizeAllThreshold(graph, { ...question, repository: PKG_VULNERABILITIES }), () => true);
  const verify = transferable(graph, signers);
  const vuln = transferable(graph, pkgvuln);
  return { verify: verify.bytes, pkgvuln: vuln.bytes, verifyKeys: verify.keys, pkgvulnKeys: vuln.keys };
}

function trusted(
  verdicts: Map<Fingerprint, ThresholdVerdict>,
  keep: (v: ThresholdVerdict & { trusted: true }) => boolean,
): Set<Fingerprint> {
  return new Set(
    [...verdicts.values()]
      .filter((v): v is ThresholdVerdict & { trusted: true } => v.trusted && keep(v))
      .map((v) => v.key),
  );
}

/**
 * Each certificate with a trusted key, sorted by fingerprint: the primary key, its User IDs that are
 * self-signed and not revoked, and the trusted RSA subkeys with their bindings (RFC 9580 §10.1 order).
 */
function transferable(graph: TrustGraph, keys: ReadonlySet<Fingerprint>): { bytes: Uint8Array; keys: Fingerprint[] } {
  const parts: Uint8Array[] = [];
  const included: Fingerprint[] = [];
  const certificates = [...graph.certificates()].sort((a, b) => (a.fingerprint < b.fingerprint ? -1 : 1));
  for (const cert of certificates) {
    const subkeys = cert.subkeys.filter((s) => keys.has(s.fingerprint) && s.algorithm.name === 'rsa' && s.binding);
    if (!keys.has(cert.fingerprint) && subkeys.length === 0) continue;
    const userIDs = cert.userIDs.filter((u) => u.self && u.revocations.length === 0);
    if (!usable(cert) || userIDs.length === 0) continue;
    parts.push(
      cert.packet,
      ...userIDs.flatMap((u) => [u.packet, u.self!.packet]),
      ...subkeys.flatMap((s) => [s.packet, s.binding!.packet]),
    );
    included.push(cert.fingerprint);
  }
  return { bytes: Buffer.concat(parts), keys: included };
}

const usable = (cert: Certificate) => cert.version === 4 && cert.algorithm.name === 'rsa';
