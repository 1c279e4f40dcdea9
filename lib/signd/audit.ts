/**
 * The signing daemon's audit log: one JSON line per signature (time, requester uid, repository, SHA-256
 * of the index and of the signature), each carrying the SHA-256 of the line before it, so that an
 * edited or removed record breaks the chain. The hash of the last record and the count are kept in
 * `<log>.head`, written atomically after each append, so that records cut from the end are noticed too.
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { PkgkeysError, ioError } from '../errors';
import { writeAtomic } from '../fsutil';
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

  constructor(readonly file: string) {}

  /** Appends a record for one signature; refuses on a log that does not verify (signing on would hide the tampering). */
  append(entry: Omit<AuditRecord, 'previous' | 'time'> & { time: Date }): Promise<void> {
    const appended = this.queue.then(() => this.appendNow(entry));
    this.queue = appended.catch(() => undefined);
    return appended;
  }

  private async appendNow(entry: Omit<AuditRecord, 'previous' | 'time'> & { time: Date }): Promise<void> {
    this.head ??= await verifyAudit(this.file);
    const record: AuditRecord = {
      time: formatTime(entry.time), uid: entry.uid, repository: entry.repository, index: entry.index, signature: entry.signature,
      ...(entry.overrides ? { overrides: entry.overrides } : {}), previous: this.head.hash,
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
  }
}

/** Walks the chain; returns the head, or throws AUDIT_BROKEN naming the first record that does not hold. */
export async function verifyAudit(file: string): Promise<{ count: number; hash: string }> {
  const text = await fs.readFile(file, 'utf8').catch((cause: NodeJS.ErrnoException) => {
    if (cause.code === 'ENOENT') return '';
    throw ioError('cannot read the audit log', file, cause);
  });
  const headText = await fs.readFile(`${file}.head`, 'utf8').catch((cause: NodeJS.ErrnoException) => {
    if (cause.code === 'ENOENT') return null;
    throw ioError('cannot read', `${file}.head`, cause);
  });
  const broken = (what: string) => new PkgkeysError('AUDIT_BROKEN', `${file}: ${what}: records were edited, removed or added outside signd`);
  if (text !== '' && !text.endsWith('\n')) throw broken('the last record is incomplete');
  const lines = text === '' ? [] : text.slice(0, -1).split('\n');
  let hash = GENESIS;
  lines.forEach((line, i) => {
    let record: Partial<AuditRecord>;
    try {
      record = JSON.parse(line) as Partial<AuditRecord>;
    } catch {
      throw broken(`record ${i + 1} is not a record`);
    }
    if (record.previous !== hash) throw broken(`record ${i + 1} does not follow record ${i}`);
    hash = sha256(line);
  });
  const head = headText === null ? null : (JSON.parse(headText) as { count?: unknown; hash?: unknown });
  if (lines.length > 0 || head !== null) {
    if (head === null || head.count !== lines.length || head.hash !== hash) throw broken(`the log ends at record ${lines.length}, ${file}.head says ${String(head?.count ?? 'nothing')}`);
  }
  return { count: lines.length, hash };
}
