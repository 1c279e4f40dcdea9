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
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { PkgkeysError, ioError } from '../errors';
import { readBounded, syncDirectory } from '../fsutil';
import { MAX_KEYRING_BYTES } from '../pgp';
import type { VerifiedRelease } from '../verify/release';
import { MAX_RELEASE_BYTES } from './release';

/** The stable names other tools are configured with. */
export const LIVE = { keyring: 'keyring.gpg', verify: 'verify.gpg', pkgvuln: 'pkgvuln.gpg', release: 'release.asc' } as const;
const RECORD = 'release.json';
const CURRENT = 'current';
const GENERATIONS = 'generations';

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
  let target: string;
  try {
    target = await fs.readlink(path.join(dir, CURRENT));
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw ioError('cannot read', path.join(dir, CURRENT), cause);
  }
  const generation = path.join(dir, target);
  const text = (await readBounded(path.join(generation, RECORD), MAX_RELEASE_BYTES)).toString('utf8');
  try {
    const record = JSON.parse(text) as { release: Record<string, unknown>; installed: string };
    const r = record.release;
    const release: VerifiedRelease = {
      name: String(r.name), serial: Number(r.serial), size: Number(r.size), sha256: String(r.sha256),
      signer: String(r.signer), signed: new Date(String(r.signed)), expires: new Date(String(r.expires)),
    };
    const installed = new Date(record.installed);
    if (!Number.isSafeInteger(release.serial) || [release.signed, release.expires, installed].some((d) => Number.isNaN(d.getTime()))) throw new Error('bad record');
    return { release, installed, dir: generation };
  } catch (cause) {
    // Serial and times guard against rollback: a record that cannot be read must not reset them.
    throw new PkgkeysError('IO_ERROR', `${path.join(generation, RECORD)}: damaged keyring record; reinstall the keyring package`, { cause });
  }
}

/** One file of the installed generation. */
export const readLive = (installed: Installed, file: (typeof LIVE)[keyof typeof LIVE]) => readBounded(path.join(installed.dir, file), MAX_KEYRING_BYTES);

/** Installs `generation` and makes it current; the caller holds the directory's lock. */
export async function installGeneration(dir: string, generation: Generation, now: Date): Promise<void> {
  const name = `${generation.release.serial}.${randomBytes(6).toString('hex')}`;
  const target = path.join(GENERATIONS, name);
  const full = path.join(dir, target);
  try {
    await fs.mkdir(full, { recursive: true });
    const record = { release: generation.release, installed: now };
    const files: Array<[string, Uint8Array | string]> = [
      [LIVE.keyring, generation.keyring], [LIVE.verify, generation.verify], [LIVE.pkgvuln, generation.pkgvuln],
      [LIVE.release, generation.statement], [RECORD, `${JSON.stringify(record, null, 2)}\n`],
    ];
    for (const [file, data] of files) await writeSynced(path.join(full, file), data);
    await syncDirectory(full);
    await syncDirectory(path.dirname(full));
    // The stable names first: until `current` exists they dangle, as before the first install.
    for (const file of Object.values(LIVE)) await replaceLink(dir, file, path.join(CURRENT, file));
    await replaceLink(dir, CURRENT, target);
  } catch (cause) {
    throw cause instanceof PkgkeysError ? cause : ioError('cannot install keyring in', dir, cause);
  }
  await removeGenerationsBut(dir, name);
}

/** Old generations, and new ones a crash left before the swap. Readers with an open file keep it. */
async function removeGenerationsBut(dir: string, keep: string): Promise<void> {
  const names = await fs.readdir(path.join(dir, GENERATIONS)).catch(() => [] as string[]);
  for (const name of names) if (name !== keep) await fs.rm(path.join(dir, GENERATIONS, name), { recursive: true, force: true });
}

/** Points `name` at `target` with one rename(2) of a fresh link over it. */
async function replaceLink(dir: string, name: string, target: string): Promise<void> {
  const link = path.join(dir, name);
  if ((await fs.readlink(link).catch(() => null)) === target) return;
  const temporary = path.join(dir, `.${name}.${randomBytes(6).toString('hex')}.tmp`);
  await fs.symlink(target, temporary);
  try {
    await fs.rename(temporary, link);
  } catch (error) {
    await fs.rm(temporary, { force: true });
    throw error;
  }
  await syncDirectory(dir);
}

async function writeSynced(file: string, data: Uint8Array | string): Promise<void> {
  const handle = await fs.open(file, 'wx', 0o644);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
}
