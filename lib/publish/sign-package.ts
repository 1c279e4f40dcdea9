/**
 * `pkgkeys sign-package`: a binary package signed so that pkg_add's built-in verifier accepts it
 * (DESIGN.md §4): an RSA v4 signature, SHA-512, binary mode, with the Issuer Key ID in the hashed
 * area (lib/pgp/signature.ts lays it out), over +PKG_HASH, in the ar archive pkg_install reads. The
 * signature is checked against pkg_add's rules (lib/pkgsrc/pkg-add.ts) before anything is written.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { PkgkeysError, ioError } from '../errors';
import { writeAtomicWith } from '../fsutil';
import { type SecretKey, armor, signData } from '../pgp';
import { checkPkgAddAccepts } from '../pkgsrc/pkg-add';
import {
  SIGNATURE_MEMBER,
  blockHashes,
  blockSizeFor,
  formatHashFile,
  readPkgname,
  signedPackageWriter,
} from '../pkgsrc/signed-package';

/** pkg_add verifies RSA (and DSA) signatures only; RSA is algorithm 1 (RFC 9580 §9.1). */
const RSA = 1;

export interface SignPackageOptions {
  key: SecretKey;
  created: Date;
}

export async function signPackage(
  input: string,
  output: string,
  options: SignPackageOptions,
): Promise<{ pkgname: string; size: number; signer: string }> {
  const signer = options.key.signer();
  if (signer.algorithm !== RSA)
    throw new PkgkeysError(
      'USAGE',
      `${signer.fingerprint} is not an RSA key: pkg_add verifies RSA signatures only (make the host key with key init --algo rsa3072)`,
    );
  const handle = await fs.open(input, 'r').catch((cause) => {
    throw ioError('cannot open', input, cause);
  });
  try {
    const stat = await handle.stat();
    const pkgname = await readPkgname(input, 0, stat.size, input);
    // Never a block size that divides the size: pkg_add could not verify the package (lib/pkgsrc/signed-package.ts).
    const blockSize = blockSizeFor(stat.size);
    const hash = formatHashFile({
      pkgname,
      size: stat.size,
      blockSize,
      blocks: await blockHashes(handle, 0, stat.size, blockSize, input),
    });
    const signature = await signData(
      signer,
      { kind: 'binary', hash: 'sha512', created: options.created, expires: null, notations: [] },
      (h) => void h.update(hash),
    );
    checkPkgAddAccepts(
      { signature, keyID: signer.keyID, blocks: { size: stat.size, blockSize } },
      `${output}: ${SIGNATURE_MEMBER}`,
    );
    // Every member carries the package file's metadata, as pkg_admin gpg-sign-package writes them.
    const meta = { mtime: Math.floor(stat.mtimeMs / 1000), uid: stat.uid, gid: stat.gid, mode: stat.mode };
    await writeAtomicWith(
      output,
      signedPackageWriter({
        hash,
        signature: armor('signature', signature),
        name: path.basename(input),
        input: handle,
        size: stat.size,
        meta,
      }),
    );
    return { pkgname, size: stat.size, signer: signer.fingerprint };
  } finally {
    await handle.close();
  }
}
