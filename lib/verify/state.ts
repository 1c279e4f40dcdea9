/**
 * Client state (DESIGN.md §4 "Time", §5 "Freshness"): what signatures that verified here have proven,
 * kept so that neither a replayed older document nor a clock set back can undo it.
 *
 *   <repository>.json  the newest index signature accepted for that repository (rollback);
 *   @floor.json        the newest keyring release or pkg-vulnerabilities signature accepted.
 *
 * The floor, the latest time proven here, is the newest signature time in any of them: each verified
 * (the signer's chain, the signature) with a creation time not ahead of the clock, so "now" is at
 * least that late. Verification is judged at the later of the clock and the floor (`Clock`), and an
 * expired document stays expired when the clock is set back. The floor comes only from signatures,
 * never from the clock, so a clock far ahead cannot raise it.
 *
 * Verifiers are pure: they are given the clock and the newest accepted signature; the edges record
 * what a full verification accepted afterwards, under the directory's lock, judging rollback again
 * there (a concurrent run may have accepted a newer index meanwhile). Every file is written atomically.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { PkgkeysError, ioError } from '../errors';
import { parseRecord, withLock, writeAtomic } from '../fsutil';
import type { Fingerprint, RepositoryId } from '../model';
import type { Policy } from '../trust/policy';
import { isRepository } from '../trust/scope';
import { describeSpan, formatTime } from '../time';

/** A signature that verified: what it was for, when it was made, by whom. */
export interface Proof {
  /** A repository, `keyring/<name>` or `pkg-vulnerabilities` (DESIGN.md §5). */
  repository: RepositoryId;
  /** Its creation time. */
  signed: Date;
  signer: Fingerprint;
}

/** What a verified signature for `repository` proves. */
export const proofOf = (repository: RepositoryId, signed: { signed: Date; signer: Fingerprint }): Proof => ({
  repository,
  signed: signed.signed,
  signer: signed.signer,
});

/** The time a verification is judged at, and how it was found. */
export interface Clock {
  /** The later of the clock's reading and the floor: what every check is judged at. */
  now: Date;
  /** What the system clock (or --now) read. */
  reads: Date;
  /** The newest signature accepted here, or null when nothing was yet. */
  floor: Proof | null;
}

/** The clock reading `reads` (copied: a caller's Date may move on), never before `floor`. */
export function clockAt(reads: Date, floor: Proof | null): Clock {
  const at = new Date(reads.getTime());
  return { now: floor && floor.signed > at ? floor.signed : at, reads: at, floor };
}

/**
 * Why the clock cannot be right, or null: it reads before the floor by more than the skew allowed (a
 * signature may be made that far ahead of a clock that accepts it).
 */
export function clockBehind(clock: Clock, policy: Policy): string | null {
  const { floor, reads } = clock;
  if (!floor || floor.signed.getTime() - reads.getTime() <= policy.clockSkewSeconds * 1000) return null;
  return (
    `this machine's clock reads ${formatTime(reads)}, ${describeSpan(floor.signed.getTime() - reads.getTime())} before ${formatTime(floor.signed)}, ` +
    `the latest time proven here (when the ${floor.repository} signature by ${floor.signer} was made): the clock is wrong; ${SET_THE_CLOCK}`
  );
}

export const SET_THE_CLOCK = 'set the clock (ntpdate -b pool.ntp.org, or start ntpd) and try again';

/** Rollback (DESIGN.md §3): an index older than the newest accepted for its repository. An equal time is the same index seen again. */
export function checkRollback(offered: Proof, newest: Proof | null): void {
  if (newest && offered.signed < newest.signed) {
    throw new PkgkeysError(
      'ROLLBACK',
      `index for ${offered.repository} signed ${formatTime(offered.signed)} is older than the one already accepted, signed ${formatTime(newest.signed)} by ${newest.signer}`,
    );
  }
}

const FLOOR_FILE = '@floor.json'; // encodeURIComponent writes "@" as %40: no repository's file has this name
const WAIT_MS = 30_000;

/** The repository whose record `name` is, or undefined when it names none. */
function repositoryOfFile(name: string): string | undefined {
  if (!name.endsWith('.json')) return undefined;
  try {
    const repository = decodeURIComponent(name.slice(0, -'.json'.length));
    return encodeURIComponent(repository) === name.slice(0, -'.json'.length) ? repository : undefined;
  } catch {
    return undefined;
  }
}

export class ClientState {
  constructor(readonly dir: string) {}

  private file(repository: RepositoryId): string {
    return path.join(this.dir, `${encodeURIComponent(repository)}.json`);
  }

  /** The newest index signature accepted for `repository`, or null. */
  newest(repository: RepositoryId): Promise<Proof | null> {
    return this.read(this.file(repository), repository);
  }

  /** The newest signature accepted here for anything: the floor. */
  async floor(): Promise<Proof | null> {
    let names: string[];
    try {
      names = await fs.readdir(this.dir);
    } catch (cause) {
      if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw ioError('cannot read verification state', this.dir, cause);
    }
    let floor: Proof | null = null;
    for (const name of names.sort()) {
      const repository = name === FLOOR_FILE ? null : repositoryOfFile(name);
      if (repository === undefined) continue; // not a record: a temporary file, the lock
      const proof = await this.read(path.join(this.dir, name), repository);
      if (proof && (!floor || proof.signed > floor.signed)) floor = proof;
    }
    return floor;
  }

  /** The clock to judge with: `reads`, never before the floor. */
  async clock(reads: Date): Promise<Clock> {
    return clockAt(reads, await this.floor());
  }

  /** Records an index accepted by a full verification, unless a newer one was accepted meanwhile (ROLLBACK). */
  acceptIndex(proof: Proof): Promise<void> {
    return withLock(
      this.dir,
      async () => {
        const newest = await this.newest(proof.repository);
        checkRollback(proof, newest);
        if (newest && proof.signed.getTime() === newest.signed.getTime()) return;
        await this.write(this.file(proof.repository), {
          repository: proof.repository,
          signed: formatTime(proof.signed),
          signer: proof.signer,
        });
      },
      { waitMs: WAIT_MS },
    );
  }

  /** Records the signature of a keyring release or pkg-vulnerabilities list accepted: the floor, if it is newer. */
  prove(proof: Proof): Promise<void> {
    return withLock(
      this.dir,
      async () => {
        const file = path.join(this.dir, FLOOR_FILE);
        const recorded = await this.read(file, null);
        if (recorded && proof.signed <= recorded.signed) return;
        // The floor record's field keeps the name it was first written with.
        await this.write(file, {
          identifier: proof.repository,
          signed: formatTime(proof.signed),
          signer: proof.signer,
        });
      },
      { waitMs: WAIT_MS },
    );
  }

  private write(file: string, record: object): Promise<void> {
    return writeAtomic(file, `${JSON.stringify(record, null, 2)}\n`);
  }

  /** A record, or null when there is none; `repository`: the one an index record must name (null: the floor record). */
  private async read(file: string, repository: string | null): Promise<Proof | null> {
    let text: string;
    try {
      text = await fs.readFile(file, 'utf8');
    } catch (cause) {
      if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw ioError('cannot read verification state', file, cause);
    }
    // An index record names its repository `repository`; the floor record, `identifier`.
    const proof = parseRecord(text, (r) => ({
      named: r.string(repository === null ? 'identifier' : 'repository'),
      signed: r.time('signed'),
      signer: r.string('signer'),
    }));
    if (proof === null || !isRepository(proof.named) || (repository !== null && proof.named !== repository)) {
      // Damaged state must not reopen the door to rollback, nor lower the floor: refuse until someone looks.
      throw new PkgkeysError(
        'STATE_DAMAGED',
        `${file}: damaged verification state; remove it only if you trust the next index`,
      );
    }
    return { repository: proof.named, signed: proof.signed, signer: proof.signer };
  }
}
