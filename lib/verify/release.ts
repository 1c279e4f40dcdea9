/**
 * Verifying a keyring release (lib/keyring/release.ts): the steps of every signed document
 * (signed.ts), for the repository `keyring/<name>`, then what the statement says: the keyring file is
 * the one described, and the serial does not go back from the installed one (rollback). And what a
 * statement claims, read before it is judged (`readClaim`).
 */
import { createHash } from 'node:crypto';
import { PkgkeysError } from '../errors';
import { type Release, type VerifiedRelease, checkKeyringFile, parseRelease } from '../keyring/release';
import { MAX_RELEASE_BYTES } from '../limits';
import { canonicalize, parseCleartext, readMessageSignature } from '../pgp';
import type { TrustGraph } from '../trust/chain';
import type { Policy } from '../trust/policy';
import { keyringRepository } from '../trust/scope';
import { formatTime } from '../time';
import { type CleartextKind, verifySigned } from './signed';
import type { Clock } from './state';

export const RELEASE: CleartextKind = {
  noun: 'keyring release',
  signature: 'text',
  covers: 'the signed text',
  notation: true,
  maxBytes: MAX_RELEASE_BYTES,
  // A release that cannot expire could be replayed for ever: it is no release at all.
  codes: { malformed: 'RELEASE_MALFORMED', noExpiry: 'RELEASE_MALFORMED', expired: 'KEYRING_FROZEN' },
};

export interface ReleaseOptions {
  graph: TrustGraph;
  name: string;
  now: Date;
  /** How `now` was found (for messages). */
  clock?: Clock;
  policy: Policy;
  /** The release installed now, or null on the first update. */
  installed: VerifiedRelease | null;
  /** Accept an expired statement; the serial must still not go back. */
  allowExpired?: boolean;
}

/**
 * `new`: a higher serial; `renewed`: the installed keyring, signed again later (a fresher expiry);
 * `unchanged`: what is installed, or an older signature of it.
 */
export type Change = 'new' | 'renewed' | 'unchanged';

export async function verifyRelease(
  statement: Buffer,
  keyring: Uint8Array,
  source: string,
  options: ReleaseOptions,
): Promise<{ release: VerifiedRelease; change: Change }> {
  const signed = await verifySigned(statement, source, RELEASE, {
    ...options,
    repository: keyringRepository(options.name),
  });
  const release = parseRelease(signed.text, source);
  if (release.name !== options.name)
    throw new PkgkeysError('REPOSITORY_MISMATCH', `${source} describes keyring ${release.name}, not ${options.name}`);
  checkKeyringFile(release, keyring, `keyring of ${source}`);
  const verified = { ...release, signer: signed.signer, signed: signed.signed, expires: signed.expires };
  return { release: verified, change: compare(verified, options.installed) };
}

function compare(offered: VerifiedRelease, installed: VerifiedRelease | null): Change {
  if (installed === null || offered.serial > installed.serial) return 'new';
  const what = `keyring ${offered.name} release ${offered.serial} (signed ${formatTime(offered.signed)})`;
  if (offered.serial < installed.serial) {
    throw new PkgkeysError(
      'ROLLBACK',
      `${what} is older than the installed release ${installed.serial} (signed ${formatTime(installed.signed)})`,
    );
  }
  if (offered.sha256 !== installed.sha256) {
    throw new PkgkeysError(
      'ROLLBACK',
      `${what} describes another keyring than the installed release of the same serial: a serial is never reused`,
    );
  }
  return offered.signed > installed.signed ? 'renewed' : 'unchanged';
}

/**
 * What a statement claims, read without judging it: only ever used to refuse early (a keyring file
 * that cannot be the one described is not worth parsing), or by a publisher reading its own last release.
 */
export async function readClaim(
  statement: Uint8Array,
  source: string,
): Promise<{ release: Release; signed: Date; expires: Date | null; issuer: string }> {
  const cleartext = parseCleartext(Buffer.from(statement), source, 'RELEASE_MALFORMED');
  const sig = await readMessageSignature(cleartext.signature, source, 'RELEASE_MALFORMED');
  const release = parseRelease(canonicalize(cleartext.body, createHash('sha256')), source);
  return { release, signed: sig.created, expires: sig.expires, issuer: sig.issuerFingerprint ?? sig.issuerKeyID };
}
