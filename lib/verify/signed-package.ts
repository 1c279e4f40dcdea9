/**
 * Verifying a signed binary package (lib/pkgsrc/signed-package.ts) as pkg_add would, and more: the
 * signer's chain to an anchor, valid now. In order: the archive (its three members, +PKG_HASH's form
 * with a block size pkg_add can verify the package with, else PKG_ADD_UNVERIFIABLE, and the signature),
 * the steps of every signed document (signed.ts: the signer, its chain for `repository` or for any
 * scope that grants packages, the signature over +PKG_HASH, its expiry and time), then every block of
 * the package, then its pkgname against +CONTENTS.
 */
import { promises as fs } from 'node:fs';
import { PkgkeysError, ioError } from '../errors';
import type { Fingerprint, RepositoryId } from '../model';
import { type MessageSignature, toBinary, verifyData } from '../pgp';
import {
  type SignedPackage,
  SIGNATURE_MEMBER,
  blockHashes,
  readPkgname,
  readSignedPackage,
} from '../pkgsrc/signed-package';
import type { TrustGraph } from '../trust/chain';
import type { Policy } from '../trust/policy';
import { grantsPackages } from '../trust/scope';
import { type DocumentKind, judgeSigned, readSignature } from './signed';

export const PACKAGE: DocumentKind = {
  noun: 'package',
  signature: 'binary',
  covers: '+PKG_HASH',
  // pkg_install's format names no repository: the signer's certified scope is what binds it.
  notation: false,
  // sign-package, as pkg_admin gpg-sign-package, sets no expiry; one that is set must hold.
  codes: { malformed: 'PACKAGE_MALFORMED', noExpiry: null, expired: 'SIGNATURE_EXPIRED' },
  // For no repository in particular: a chain that grants packages, not only keyring releases or pkg-vulnerabilities.
  checkChain: (chain, signer, options) => {
    if (options.repository === null && !chain.granted.some(grantsPackages)) {
      throw new PkgkeysError(
        'OUT_OF_SCOPE',
        `${signer}: its chain grants ${chain.granted.join(', ')}, which grants no packages`,
      );
    }
  },
};

export interface PackageCheck {
  graph: TrustGraph;
  now: Date;
  policy: Policy;
  /** The repository the package must be signed for; absent: any scope that grants packages. */
  repository?: RepositoryId;
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
    const { archive, sig } = await readArchive(handle, file);
    const hashText = Buffer.from(archive.hashText, 'latin1');
    const signed = await judgeSigned(sig, PACKAGE, { ...check, repository: check.repository ?? null }, (key) =>
      verifyData(sig, key, (hash) => void hash.update(hashText)),
    );
    await checkBlocks(handle, archive, file);
    const pkgname = await checkPkgname(archive, file);
    return { pkgname, size: archive.inner.size, signer: signed.signer, primary: signed.primary, signed: signed.signed };
  } finally {
    await handle.close();
  }
}

/** Step 1 for a package: the archive and +PKG_HASH's form (lib/pkgsrc/signed-package.ts), then the signature member. */
async function readArchive(
  handle: fs.FileHandle,
  file: string,
): Promise<{ archive: SignedPackage; sig: MessageSignature }> {
  const archive = await readSignedPackage(handle, file);
  const what = `${file}: ${SIGNATURE_MEMBER}`;
  return {
    archive,
    sig: await readSignature(await toBinary(archive.signature, what, PACKAGE.codes.malformed), what, PACKAGE),
  };
}

/** Every block of the package against its hash in +PKG_HASH, which the signature covers. */
async function checkBlocks(handle: fs.FileHandle, { hash, inner }: SignedPackage, file: string): Promise<void> {
  if (inner.size !== hash.size)
    throw new PkgkeysError(
      'SIZE_MISMATCH',
      `${file}: ${inner.name} has ${inner.size} bytes, +PKG_HASH says ${hash.size}`,
    );
  const blocks = await blockHashes(handle, inner.offset, inner.size, hash.blockSize, file);
  const bad = blocks.findIndex((b, i) => b !== hash.blocks[i]);
  if (bad >= 0)
    throw new PkgkeysError(
      'HASH_MISMATCH',
      `${file}: block ${bad} of ${inner.name} does not match +PKG_HASH: the package was modified`,
    );
}

/** The pkgname signed is the package's own, the @name of its +CONTENTS: pkg_add installs it under that name. */
async function checkPkgname({ hash, inner }: SignedPackage, file: string): Promise<string> {
  const pkgname = await readPkgname(file, inner.offset, inner.size, file);
  if (pkgname !== hash.pkgname)
    throw new PkgkeysError('PKGNAME_MISMATCH', `${file}: signed as ${hash.pkgname}, but the package is ${pkgname}`);
  return pkgname;
}
