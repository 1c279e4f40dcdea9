/**
 * A keyring release: the signed statement a mirror serves beside the keyring file it describes, so that
 * `pkgkeys update` can refuse an older keyring (rollback) and notice one that is no longer re-signed
 * (freeze, DESIGN.md §3). The keys need no such statement to be trusted, each is valid only through
 * its chain to an anchor, but without one an attacker could replay an old keyring and hide a revocation.
 *
 * The statement is a cleartext-signed text (RFC 9580 §7) whose signature names the repository
 * identifier `keyring/<name>` in the `pkgsrc-repository@pkgsrc.org` notation and expires; its signer must be
 * certified by the master for that identifier (`pkgkeys certify --scope keyring/pkgsrc`). The text:
 *
 *     pkgkeys keyring release 1
 *     Keyring: pkgsrc
 *     Serial: 2026112301
 *     Size: 10240
 *     SHA256: <64 lower-case hex digits of the keyring file>
 */
import { createHash } from 'node:crypto';
import { PkgkeysError } from '../errors';
import type { Fingerprint } from '../model';
import { checkKeyringName } from '../trust/scope';

export interface Release {
  /** The keyring's name, one path segment: `pkgsrc`. */
  name: string;
  /** Increases with every release; a client never goes back to a smaller one. */
  serial: number;
  size: number;
  sha256: string;
}

/** A release that verified (lib/verify/release.ts), with its signature's times: what a client keeps of it. */
export interface VerifiedRelease extends Release {
  signer: Fingerprint;
  signed: Date;
  expires: Date;
}

/** The files a mirror serves for a keyring, in one directory. */
export const RELEASE_FILE = 'release.asc';
export const KEYRING_FILE = 'keyring.gpg';

const MAGIC = 'pkgkeys keyring release 1';
const MAX_SERIAL = Number.MAX_SAFE_INTEGER;

export function checkSerial(serial: number): number {
  if (!Number.isSafeInteger(serial) || serial < 1)
    throw new PkgkeysError('USAGE', `${serial} is not a keyring serial (a positive whole number, such as 2026112301)`);
  return serial;
}

export function describeKeyring(name: string, keyring: Uint8Array, serial: number): Release {
  return {
    name: checkKeyringName(name),
    serial: checkSerial(serial),
    size: keyring.length,
    sha256: createHash('sha256').update(keyring).digest('hex'),
  };
}

export function formatRelease(release: Release): Buffer {
  return Buffer.from(
    `${MAGIC}\nKeyring: ${release.name}\nSerial: ${release.serial}\nSize: ${release.size}\nSHA256: ${release.sha256}\n`,
    'ascii',
  );
}

/** Reads the signed text back, strictly: these five lines, in this order, and nothing else. */
export function parseRelease(text: Buffer, source: string): Release {
  const m =
    /^pkgkeys keyring release 1\nKeyring: ([A-Za-z0-9._+-]+)\nSerial: ([1-9][0-9]{0,15})\nSize: (0|[1-9][0-9]{0,15})\nSHA256: ([0-9a-f]{64})\n$/.exec(
      text.toString('latin1'),
    );
  const serial = Number(m?.[2]);
  if (!m || serial > MAX_SERIAL)
    throw new PkgkeysError(
      'RELEASE_MALFORMED',
      `${source}: not a keyring release statement (expected "${MAGIC}" and the Keyring, Serial, Size and SHA256 lines)`,
    );
  return { name: m[1]!, serial, size: Number(m[3]), sha256: m[4]! };
}

/** The keyring file must be the one the statement describes, byte for byte. */
export function checkKeyringFile(release: Release, keyring: Uint8Array, source: string): void {
  if (keyring.length !== release.size) {
    throw new PkgkeysError(
      'SIZE_MISMATCH',
      `${source}: ${keyring.length} bytes, but release ${release.serial} of keyring ${release.name} says ${release.size}`,
    );
  }
  const sha256 = createHash('sha256').update(keyring).digest('hex');
  if (sha256 !== release.sha256) {
    throw new PkgkeysError(
      'HASH_MISMATCH',
      `${source}: sha256 ${sha256}, but release ${release.serial} of keyring ${release.name} says ${release.sha256}`,
    );
  }
}
