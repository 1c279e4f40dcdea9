/**
 * Verifying a signed binary package (lib/pkgsrc/signed-package.ts) as pkg_add would, and more: the
 * signer's chain to an anchor, valid now. In order: the archive's three members, +PKG_HASH's form
 * with a block size pkg_add can verify the package with (else PKG_ADD_UNVERIFIABLE), the signer, its
 * chain (revocation, expiry, scope: `repository`, or any scope that grants packages), the signature
 * over +PKG_HASH, then every block of the package, then its pkgname against +CONTENTS.
 */
import { promises as fs } from 'node:fs';
import { PkgkeysError, ioError } from '../errors';
import type { Fingerprint } from '../model';
import { readMessageSignature, toBinary, verifyData } from '../pgp';
import { blockHashes, pkgnameOf, readSignedPackage } from '../pkgsrc/signed-package';
import { type TrustGraph, authorize } from '../trust/chain';
import { type Policy, weakHash } from '../trust/policy';
import { grantsPackages } from '../trust/scope';
import { formatTime } from '../time';
import { findSigner } from './signed';

export interface PackageCheck {
  graph: TrustGraph;
  now: Date;
  policy: Policy;
  /** The repository the package must be signed for; absent: any scope that grants packages. */
  repository?: string;
}

export interface VerifiedPackage {
  pkgname: string;
  size: number;
  signer: Fingerprint;
  primary: Fingerprint;
  signed: Date;
}

export async function verifySignedPackage(file: string, check: PackageCheck): Promise<VerifiedPackage> {
  const handle = await fs.open(file, 'r').catch((cause) => {
    throw ioError('cannot open', file, cause);
  });
  try {
    const signed = await readSignedPackage(handle, file);
    const what = `${file}: +PKG_GPG_SIGNATURE`;
    const sig = await readMessageSignature(await toBinary(signed.signature, what, 'PACKAGE_MALFORMED'), what, 'PACKAGE_MALFORMED');
    if (sig.kind !== 'binary') throw new PkgkeysError('PACKAGE_MALFORMED', `${file}: +PKG_GPG_SIGNATURE must be a binary-mode signature (type 0x00)`);

    const signer = findSigner(check.graph, sig, 'package');
    const scope = check.repository ? { repository: check.repository } : { anyRepository: true as const };
    const verdict = authorize(check.graph, { key: signer, scope, signedAt: sig.created, now: check.now, policy: check.policy });
    if (!verdict.trusted) throw new PkgkeysError(verdict.code, verdict.reason);
    if (!check.repository && !verdict.granted.some(grantsPackages)) {
      throw new PkgkeysError('OUT_OF_SCOPE', `${signer}: its chain grants ${verdict.granted.join(', ')}, which grants no packages`);
    }

    const weak = weakHash(sig.hash, check.policy);
    if (weak) throw new PkgkeysError('WEAK_ALGORITHM', `package signature: ${weak}`);
    if (sig.problem) throw new PkgkeysError('BAD_SIGNATURE', `package signature: ${sig.problem}`);
    if (!(await verifyData(sig, check.graph.keyPacket(signer), (h) => void h.update(Buffer.from(signed.hashText, 'latin1'))))) {
      throw new PkgkeysError('BAD_SIGNATURE', `${file}: the signature by ${signer} does not match +PKG_HASH: it was modified`);
    }
    if (sig.expires && check.now >= sig.expires) throw new PkgkeysError('SIGNATURE_EXPIRED', `${file}: the package signature expired ${formatTime(sig.expires)}`);
    if (sig.created.getTime() > check.now.getTime() + check.policy.clockSkewSeconds * 1000) {
      throw new PkgkeysError('BAD_SIGNATURE', `${file}: the package signature claims to be made ${formatTime(sig.created)}, after now (${formatTime(check.now)})`);
    }

    const { hash, inner } = signed;
    if (inner.size !== hash.size) throw new PkgkeysError('SIZE_MISMATCH', `${file}: ${inner.name} has ${inner.size} bytes, +PKG_HASH says ${hash.size}`);
    const blocks = await blockHashes(handle, inner.offset, inner.size, hash.blockSize, file);
    const bad = blocks.findIndex((b, i) => b !== hash.blocks[i]);
    if (bad >= 0) throw new PkgkeysError('HASH_MISMATCH', `${file}: block ${bad} of ${inner.name} does not match +PKG_HASH: the package was modified`);
    const pkgname = await pkgnameOf(file, inner.offset, inner.size, file);
    if (pkgname !== hash.pkgname) throw new PkgkeysError('PKGNAME_MISMATCH', `${file}: signed as ${hash.pkgname}, but the package is ${pkgname}`);
    return { pkgname, size: inner.size, signer, primary: verdict.primary, signed: sig.created };
  } finally {
    await handle.close();
  }
}
