/**
 * Freshness state (DESIGN.md §5): the newest index signature accepted for each repository, so that an
 * older signed index, however valid, is refused (rollback). One small JSON file per repository,
 * replaced atomically under the directory's lock.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { PkgkeysError, ioError } from '../errors';
import { withLock, writeAtomic } from '../fsutil';
import type { Fingerprint } from '../model';
import { formatTime } from '../time';

export interface Accepted {
  repository: string;
  /** Creation time of the newest accepted signature. */
  signed: Date;
  signer: Fingerprint;
}

export class FreshnessState {
  constructor(readonly dir: string) {}

  private file(repository: string): string {
    return path.join(this.dir, `${encodeURIComponent(repository)}.json`);
  }

  async newest(repository: string): Promise<Accepted | null> {
    let text: string;
    try {
      text = await fs.readFile(this.file(repository), 'utf8');
    } catch (cause) {
      if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw ioError('cannot read verification state', this.file(repository), cause);
    }
    type Stored = { repository?: unknown; signed?: unknown; signer?: unknown } | null;
    let record: Stored = null;
    try {
      record = JSON.parse(text) as Stored;
    } catch {
      // handled below, as any other damage
    }
    const signed = typeof record?.signed === 'string' ? new Date(record.signed) : new Date(NaN);
    if (record?.repository !== repository || Number.isNaN(signed.getTime()) || typeof record.signer !== 'string') {
      // A damaged state file must not reopen the door to rollback: refuse until someone looks.
      throw new PkgkeysError('STATE_DAMAGED', `${this.file(repository)}: damaged verification state; remove it only if you trust the next index`);
    }
    return { repository, signed, signer: record.signer as Fingerprint };
  }

  /**
   * Records `accepted` unless a newer signature was accepted meanwhile (by a concurrent run), which is a
   * rollback for this one. An equal time is the same index seen again.
   */
  async accept(accepted: Accepted): Promise<void> {
    // Concurrent verifications (cron and a user) wait for each other: each is judged against the other's record.
    await withLock(this.dir, async () => {
      const newest = await this.newest(accepted.repository);
      if (newest && accepted.signed < newest.signed) throw rollback(accepted, newest);
      if (newest && accepted.signed.getTime() === newest.signed.getTime()) return;
      const record = { repository: accepted.repository, signed: formatTime(accepted.signed), signer: accepted.signer };
      await writeAtomic(this.file(accepted.repository), `${JSON.stringify(record, null, 2)}\n`);
    }, { waitMs: 30_000 });
  }
}

export function rollback(offered: Accepted, newest: Accepted): PkgkeysError {
  return new PkgkeysError(
    'ROLLBACK',
    `index for ${offered.repository} signed ${formatTime(offered.signed)} is older than the one already accepted, signed ${formatTime(newest.signed)} by ${newest.signer}`,
  );
}
