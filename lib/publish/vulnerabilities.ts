/**
 * Signing pkg-vulnerabilities as `pkg_admin fetch-pkg-vulnerabilities` checks it against
 * GPG_KEYRING_PKGVULN (DESIGN.md §4): a cleartext signature, v4 RSA with SHA-512 (or SHA-256) and the
 * Issuer Key ID in the hashed area (lib/pgp/signature.ts lays it out), which pkg_add's built-in
 * verifier needs. Like an index's, the signature names what it is for, here the repository identifier
 * `pkg-vulnerabilities`, in the `pkgsrc-repository@pkgsrc.org` notation, and expires, so that pkgkeys
 * verifies it as any other signed document (lib/verify/vulnerabilities.ts).
 *
 * The text is signed as it is, but for the trailing whitespace a cleartext signature cannot cover.
 * pkg_admin checks its own `#CHECKSUM` lines after the signature, over the file as it stands, so a
 * file whose checksums would not hold once signed is refused here rather than published.
 */
import { PkgkeysError } from '../errors';
import { REPOSITORY_NOTATION } from '../model';
import { type SecretKey, hashCanonical, signData, signableText, writeCleartext } from '../pgp';
import { checkPkgAddAccepts } from '../pkgsrc/pkg-add';
import { PKG_VULNERABILITIES } from '../trust/scope';
import { checksumMismatch, readVulnerabilities } from '../pkgsrc/vulnerabilities';

/** pkg_admin verifies RSA (and DSA) signatures only; RSA is algorithm 1 (RFC 9580 §9.1). */
const RSA = 1;

export interface SignVulnerabilitiesOptions {
  key: SecretKey;
  created: Date;
  /** Mandatory: a list without an expiry could be replayed for ever, hiding every later advisory. */
  expires: Date;
  hash: 'sha256' | 'sha512';
}

export interface SignedVulnerabilities {
  /** The whole clearsigned file, in parts to be written one after the other. */
  signed: Buffer[];
  entries: number;
  signer: string;
}

/** Signs the text of a pkg-vulnerabilities file (already decompressed). */
export async function signVulnerabilities(
  text: Buffer,
  source: string,
  options: SignVulnerabilitiesOptions,
): Promise<SignedVulnerabilities> {
  if (options.expires <= options.created)
    throw new PkgkeysError('USAGE', 'the pkg-vulnerabilities signature must expire after it is made');
  const signer = options.key.signer();
  if (signer.algorithm !== RSA) {
    throw new PkgkeysError(
      'USAGE',
      `${signer.fingerprint} is not an RSA key: pkg_admin verifies RSA signatures only (make the key with key init --algo rsa3072)`,
    );
  }
  const signable = signableText(text);
  const list = readVulnerabilities(signable, source);
  const wrong = list.checksums.find((c) => c.actual !== null && c.actual !== c.expected);
  if (wrong) {
    const error = checksumMismatch(source, wrong);
    if (signable === text) throw error;
    throw new PkgkeysError(
      error.code,
      `${error.message} (once the trailing whitespace a cleartext signature cannot cover is removed: remove it before computing the checksums)`,
    );
  }
  const notations = [{ name: REPOSITORY_NOTATION, value: PKG_VULNERABILITIES }];
  const signature = await signData(
    signer,
    { kind: 'text', hash: options.hash, created: options.created, expires: options.expires, notations },
    (hash) => hashCanonical(signable, hash),
  );
  // pkg_admin checks it with pkg_add's verifier: a signature it cannot read is never written (lib/pkgsrc/pkg-add.ts).
  checkPkgAddAccepts({ signature, keyID: signer.keyID }, `${source}: the signature`);
  return {
    signed: writeCleartext(signable, options.hash, signature),
    entries: list.entries,
    signer: signer.fingerprint,
  };
}
