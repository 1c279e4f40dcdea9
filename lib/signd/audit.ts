/**
 * The signing daemon's audit log: one JSON line per signature (time, requester uid, repository, SHA-256
 * of the index and of the signature), each carrying the SHA-256 of the line before it, so that an
 * edited or removed record breaks the chain. The hash of the last record and the count are kept in
 * `<log>.head`, written atomically after each append, so that records cut from the end are noticed too.
 * A copy of that head is kept in the daemon's state directory (`audit.head`), away from the log: a log
 * erased or reset to nothing (both files removed, or the head rewritten to count 0) would otherwise look
 * like a daemon that never signed. The log must hold the records that copy counts, ending as it says.
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { PkgkeysError, ioError } from '../errors';
import { parseRecord, writeAtomic } from '../fsutil';
import { formatTime } from '../time';

export interface AuditRecord {
  time: string;
  uid: number;
  repository: string;
  index: string;
  signature: string;
  /** Publish gates the operator overrode for this signature (lib/publish/gates.ts), when any. */
  overrides?: string[];
  previous: string;
}

const GENESIS = '0'.repeat(64);
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

export class AuditLog {
  private head: { count: number; hash: string } | null = null;
  /** Appends one at a time: each record names the one before it. */
  private queue: Promise<void> = Promise.resolve();

  /** `stateFile`: where the copy of the head is kept, outside the log's directory. */
  constructor(
    readonly file: string,
    readonly stateFile: string,
  ) {}

  /** Appends a record for one signature; refuses on a log that does not verify (signing on would hide the tampering). */
  append(entry: Omit<AuditRecord, 'previous' | 'time'> & { time: Date }): Promise<void> {
    const appended = this.queue.then(() => this.appendNow(entry));
    this.queue = appended.catch(() => undefined);
    return appended;
  }

  private async appendNow(entry: Omit<AuditRecord, 'previous' | 'time'> & { time: Date }): Promise<void> {
    this.head ??= await verifyAudit(this.file, this.stateFile);
    const record: AuditRecord = {
      time: formatTime(entry.time),
      uid: entry.uid,
      repository: entry.repository,
      index: entry.index,
      signature: entry.signature,
      ...(entry.overrides ? { overrides: entry.overrides } : {}),
      previous: this.head.hash,
    };
    const line = JSON.stringify(record);
    const handle = await fs.open(this.file, 'a', 0o640).catch((cause) => {
      throw ioError('cannot open the audit log', this.file, cause);
    });
    try {
      await handle.writeFile(`${line}\n`);
      await handle.sync();
    } finally {
      await handle.close();
    }
    this.head = { count: this.head.count + 1, hash: sha256(line) };
    await writeAtomic(`${this.file}.head`, `${JSON.stringify(this.head)}\n`, 0o640);
    // Last: a crash before this leaves the copy one record behind, which still verifies.
    await writeAtomic(this.stateFile, `${JSON.stringify(this.head)}\n`, 0o640);
  }
}

/** A file's text, or null when there is none. */
const readIfAny = (file: string, what: string) =>
  fs.readFile(file, 'utf8').catch((cause: NodeJS.ErrnoException) => {
    if (cause.code === 'ENOENT') return null;
    throw ioError(`cannot read ${what}`, file, cause);
  });

/**
 * Walks the chain; returns the head, or throws AUDIT_BROKEN naming the first record that does not hold.
 * `stateFile`, the daemon's copy of the head (absent before its first signature), must be a record of
 * this chain: the log may have grown past it (by the one record a crash can leave), never shrunk.
 */
export async function verifyAudit(file: string, stateFile: string): Promise<{ count: number; hash: string }> {
  const text = (await readIfAny(file, 'the audit log')) ?? '';
  const headText = await readIfAny(`${file}.head`, 'the audit log head');
  const stateText = await readIfAny(stateFile, "the signing daemon's copy of the audit head");
  const broken = (what: string) =>
    new PkgkeysError('AUDIT_BROKEN', `${file}: ${what}: records were edited, removed or added outside signd`);
  if (text !== '' && !text.endsWith('\n')) throw broken('the last record is incomplete');
  const lines = text === '' ? [] : text.slice(0, -1).split('\n');
  let hash = GENESIS;
  /** The hash after each count of records: hashes[n] ends record n. */
  const hashes = [hash];
  lines.forEach((line, i) => {
    let record: Partial<AuditRecord> | null = null;
    try {
      record = JSON.parse(line) as Partial<AuditRecord> | null;
    } catch {
      // not JSON: as any other line that is no record
    }
    if (typeof record !== 'object' || record === null) throw broken(`record ${i + 1} is not a record`);
    if (record.previous !== hash) throw broken(`record ${i + 1} does not follow record ${i}`);
    hash = sha256(line);
    hashes.push(hash);
  });
  const head = headText === null ? null : parseHead(headText);
  if (lines.length > 0 || headText !== null) {
    if (head === null || head.count !== lines.length || head.hash !== hash)
      throw broken(`the log ends at record ${lines.length}, ${file}.head says ${String(head?.count ?? 'nothing')}`);
  }
  if (stateText !== null) {
    const state = parseHead(stateText);
    if (state === null || state.count > lines.length || hashes[state.count] !== state.hash) {
      throw broken(
        `signd has made ${String(state?.count ?? 'an unreadable number of')} signature(s) (${stateFile}), and the log ${state !== null && state.count > lines.length ? `holds only ${lines.length} record(s)` : 'does not hold them'}: it was erased, cut or rewritten`,
      );
    }
  }
  return { count: lines.length, hash };
}

const parseHead = (text: string): { count: number; hash: string } | null =>
  parseRecord(text, (r) => ({ count: r.count('count'), hash: r.string('hash') }));
