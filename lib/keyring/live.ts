/**
 * The installed keyring under ${VARBASE}/db/pkgkeys (DESIGN.md §5): the full keyring, the release it came
 * from, and the exports for pkg_install, always from one and the same update.
 *
 *     keyring.gpg  -> current/keyring.gpg      the full keyring (pkgkeys' own verifier)
 *     verify.gpg   -> current/verify.gpg       GPG_KEYRING_VERIFY (lib/keyring/exports.ts)
 *     pkgvuln.gpg  -> current/pkgvuln.gpg      GPG_KEYRING_PKGVULN
 *     release.asc  -> current/release.asc      the signed release statement
 *     current      -> generations/<serial>.<random>
 *     generations/<serial>.<random>/           the files above, and release.json
 *
 * Files are never rewritten in place: an update writes a whole new generation, synced, and then swaps
 * the `current` link with one rename(2). A crash at any point leaves the old generation or the new one
 * in force, never a mix; readers that open the stable names follow whichever `current` is.
 */
import * as path from 'node:path';
import { PkgkeysError } from '../errors';
import { formatTime } from '../time';
import { parseRecord, readBounded } from '../fsutil';
import { type GenerationSet, currentGeneration, installGeneration } from '../generations';
import { MAX_KEYRING_BYTES, MAX_RELEASE_BYTES } from '../limits';
import type { VerifiedRelease } from './release';

/** The stable names other tools are configured with. */
export const LIVE = {
  keyring: 'keyring.gpg',
  verify: 'verify.gpg',
  pkgvuln: 'pkgvuln.gpg',
  release: 'release.asc',
} as const;
const RECORD = 'release.json';
const setOf = (dir: string): GenerationSet => ({ dir, home: '', names: Object.values(LIVE) });

export interface Generation {
  keyring: Uint8Array;
  verify: Uint8Array;
  pkgvuln: Uint8Array;
  /** The release statement as fetched, signature and all. */
  statement: Uint8Array;
  release: VerifiedRelease;
}

export interface Installed {
  release: VerifiedRelease;
  /** When this generation was installed. */
  installed: Date;
  /** The generation's directory, resolved once, so that every file read comes from it. */
  dir: string;
}

/** What `current` points at, or null when nothing was ever installed. */
export async function readInstalled(dir: string): Promise<Installed | null> {
  const generation = await currentGeneration(setOf(dir));
  if (generation === null) return null;
  const text = (await readBounded(path.join(generation, RECORD), MAX_RELEASE_BYTES)).toString('utf8');
  const installed = parseRecord(text, (record): Installed => {
    const r = record.object('release');
    const release: VerifiedRelease = {
      name: r.string('name'),
      serial: r.count('serial'),
      size: r.count('size'),
      sha256: r.string('sha256'),
      signer: r.string('signer'),
      signed: r.time('signed'),
      expires: r.time('expires'),
    };
    return { release, installed: record.time('installed'), dir: generation };
  });
  // Serial and times guard against rollback: a record that cannot be read must not reset them.
  if (installed === null)
    throw new PkgkeysError(
      'STATE_DAMAGED',
      `${path.join(generation, RECORD)}: damaged keyring record; reinstall the keyring package`,
    );
  return installed;
}

/** One file of the installed generation. */
export const readLive = (installed: Installed, file: (typeof LIVE)[keyof typeof LIVE]) =>
  readBounded(path.join(installed.dir, file), MAX_KEYRING_BYTES);

/** Installs `generation` and makes it current; the caller holds the directory's lock. */
export async function installKeyringGeneration(dir: string, generation: Generation, now: Date): Promise<void> {
  const record = { release: generation.release, installed: now };
  await installGeneration(setOf(dir), String(generation.release.serial), [
    [LIVE.keyring, generation.keyring],
    [LIVE.verify, generation.verify],
    [LIVE.pkgvuln, generation.pkgvuln],
    [LIVE.release, generation.statement],
    [RECORD, `${JSON.stringify(record, null, 2)}\n`],
  ]);
}

/**
 * A release nobody renews is a frozen mirror (DESIGN.md §3), even when it answers "not modified": its
 * keyring may lack a revocation. Updates refuse it, and so do the verifiers that use the installed
 * keyring (the proxy, check-repo), rather than go on trusting what it says.
 */
export function checkInForce(installed: Installed, now: Date): VerifiedRelease {
  const { release } = installed;
  if (now >= release.expires) {
    throw new PkgkeysError(
      'KEYRING_FROZEN',
      `keyring ${release.name} release ${release.serial} expired ${formatTime(release.expires)} and no newer one was installed: the keyring mirror may be frozen or stale; run pkgkeys update`,
    );
  }
  return release;
}

/** For verifiers reading the installed keyring: refuses when its release has expired; a keyring installed by hand has none to check. */
export async function checkInstalledInForce(dir: string, now: Date): Promise<void> {
  const installed = await readInstalled(dir);
  if (installed) checkInForce(installed, now);
}
