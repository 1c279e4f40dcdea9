/**
 * File-system edges: bounded reads, atomic writes, a spool and a lock. Every write of a keyring, state or index
 * goes through `writeAtomic`, so a crash leaves the old file or the new one, never a torn one; what is
 * written to a device or a pipe (--output /dev/stdout) goes straight to it.
 */
import { randomBytes } from 'node:crypto';
import { type Stats, constants, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { PkgkeysError, ioError } from './errors';

/** What BoundedFile.chunks reads at a time, into one buffer. */
const READ_CHUNK = 1 << 20;

/**
 * A regular file opened for reading, no larger than `limit` bytes when opened. A FIFO or a device is
 * refused unopened (reading one may never end; opening a FIFO blocks): stat first, then O_NONBLOCK,
 * and fstat of what was opened, in case the name changed meanwhile. With `follow: false`, a symbolic
 * link or a second hard link is refused too, for a reader with more rights than whoever can write the
 * directory (signd): it must not be pointed at a file only it can read. The file is read as far as the
 * size fstat gave: one that grows meanwhile is a moving target, refused rather than read past what was
 * checked.
 */
export class BoundedFile {
  private constructor(
    readonly file: string,
    private readonly handle: fs.FileHandle,
    /** The size fstat gave. */
    readonly size: number,
  ) {}

  static async open(file: string, limit: number, options: { follow?: boolean } = {}): Promise<BoundedFile> {
    const follow = options.follow ?? true;
    const notRegular = (what: string) =>
      new PkgkeysError('NOT_REGULAR_FILE', `${file} is ${what}, not a regular file; refusing to read it`);
    const check = (stat: Stats) => {
      if (stat.isSymbolicLink()) throw notRegular('a symbolic link');
      if (!stat.isFile())
        throw notRegular(stat.isFIFO() ? 'a FIFO' : stat.isDirectory() ? 'a directory' : 'a device or socket');
      if (!follow && stat.nlink !== 1) throw notRegular(`one of ${stat.nlink} hard links to a file`);
    };
    let handle: fs.FileHandle;
    try {
      check(await (follow ? fs.stat(file) : fs.lstat(file)));
      handle = await fs.open(file, constants.O_RDONLY | constants.O_NONBLOCK | (follow ? 0 : constants.O_NOFOLLOW));
    } catch (cause) {
      if (cause instanceof PkgkeysError) throw cause;
      // O_NOFOLLOW on a link that appeared since lstat: ELOOP (Linux), EMLINK (FreeBSD), EFTYPE (NetBSD).
      if (!follow && ['ELOOP', 'EMLINK', 'EFTYPE'].includes((cause as NodeJS.ErrnoException).code ?? ''))
        throw notRegular('a symbolic link');
      throw ioError('cannot open', file, cause);
    }
    try {
      const stat = await handle.stat();
      check(stat);
      if (stat.size > limit)
        throw new PkgkeysError('TOO_LARGE', `${file}: ${stat.size} bytes is more than the ${limit} allowed`);
      return new BoundedFile(file, handle, stat.size);
    } catch (cause) {
      await handle.close();
      throw cause instanceof PkgkeysError ? cause : ioError('cannot read', file, cause);
    }
  }

  /** Its first `length` bytes, or all of it if it is shorter. */
  async head(length: number): Promise<Buffer> {
    const head = Buffer.alloc(Math.min(length, this.size));
    let read = 0;
    for (let n = 1; read < head.length && n > 0; read += n) n = await this.readAt(head, read, head.length - read, read);
    return head.subarray(0, read);
  }

  /** All of it, in reads of the size fstat gave (readFile would go in 512 KiB round trips). */
  async read(): Promise<Buffer> {
    const data = Buffer.allocUnsafe(this.size);
    let length = 0;
    for (let n = 1; length < this.size && n > 0; length += n)
      n = await this.readAt(data, length, this.size - length, length);
    await this.checkEnd(length);
    return data.subarray(0, length);
  }

  /** All of it, in chunks read into one buffer: a chunk is good until the next is asked for. */
  async *chunks(): AsyncGenerator<Buffer> {
    const buffer = Buffer.allocUnsafe(Math.min(READ_CHUNK, this.size));
    let position = 0;
    for (let n = 1; position < this.size && n > 0; position += n) {
      n = await this.readAt(buffer, 0, Math.min(buffer.length, this.size - position), position);
      if (n > 0) yield buffer.subarray(0, n);
    }
    await this.checkEnd(position);
  }

  close(): Promise<void> {
    return this.handle.close();
  }

  private async readAt(buffer: Buffer, offset: number, length: number, position: number): Promise<number> {
    try {
      return (await this.handle.read(buffer, offset, length, position)).bytesRead;
    } catch (cause) {
      throw ioError('cannot read', this.file, cause);
    }
  }

  /** Read to `length`, where the file ended or fstat said it would: a byte more is a file that grew. */
  private async checkEnd(length: number): Promise<void> {
    if ((await this.readAt(Buffer.alloc(1), 0, 1, length)) > 0)
      throw ioError('cannot read', this.file, new Error('the file changed while it was read'));
  }
}

/** Reads a whole regular file, refusing one larger than `limit` bytes before reading it (BoundedFile). */
export async function readBounded(file: string, limit: number, options: { follow?: boolean } = {}): Promise<Buffer> {
  const opened = await BoundedFile.open(file, limit, options);
  try {
    return await opened.read();
  } finally {
    await opened.close();
  }
}

/** What a file is written from: text, bytes, or parts of bytes in order. */
export type FileData = string | Uint8Array | readonly Uint8Array[];

/** What writes a file's content into an open handle, in order (successive writeFile calls on one handle append). */
export type Writer = (handle: fs.FileHandle) => Promise<void>;

const writerOf =
  (data: FileData): Writer =>
  async (handle) => {
    for (const part of Array.isArray(data) ? data : [data]) await handle.writeFile(part);
  };

/** Writes under a fresh temporary name beside `file`, synced to disk; returns that name. */
async function writeTemporary(file: string, write: Writer, mode: number): Promise<string> {
  const dir = path.dirname(file);
  await fs.mkdir(dir, { recursive: true });
  const temporary = path.join(dir, `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await fs.open(temporary, 'wx', mode);
  try {
    await write(handle);
    await handle.sync();
  } catch (error) {
    await fs.rm(temporary, { force: true });
    throw error;
  } finally {
    await handle.close();
  }
  return temporary;
}

/** Makes the names in `dir` (a rename, a new file) durable. */
export async function syncDirectory(dir: string): Promise<void> {
  const handle = await fs.open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * `file` opened for writing if it is a device, FIFO or socket, or a link to one (/dev/null, /dev/stdout,
 * a shell's process substitution): renaming a file over it would replace the device. Null for a regular
 * file, a link to one, or no file at all. Opened without O_CREAT or O_TRUNC, and checked once open,
 * as the name may have changed meanwhile. On a FIFO, open(2) waits for a reader, as a shell's `>` does.
 */
async function openSpecial(file: string): Promise<fs.FileHandle | null> {
  const stat = await fs.stat(file).catch(() => null);
  if (stat === null || stat.isFile() || stat.isDirectory()) return null;
  const handle = await fs.open(file, constants.O_WRONLY | constants.O_NOCTTY);
  if (!(await handle.stat()).isFile()) return handle;
  await handle.close();
  return null;
}

/**
 * Puts `data` at `file` through a synced temporary file: `replace` renames it over any old file, else it
 * is linked into place, which fails if the name exists (link(2)): no window between check and write.
 * A device, FIFO or terminal is written straight instead (`openSpecial`): it has no old content to keep.
 */
async function install(file: string, write: Writer, mode: number, replace: boolean): Promise<void> {
  let temporary: string | null = null;
  try {
    const special = replace ? await openSpecial(file) : null;
    if (special) return await write(special).finally(() => special.close());
    temporary = await writeTemporary(file, write, mode);
    if (replace) await fs.rename(temporary, file);
    else await fs.link(temporary, file);
    await syncDirectory(path.dirname(file));
  } catch (cause) {
    if (!replace && (cause as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new PkgkeysError('EXISTS', `${file} already exists; refusing to overwrite it`);
    }
    throw ioError('cannot write', file, cause);
  } finally {
    if (temporary) await fs.rm(temporary, { force: true });
  }
}

/** Writes `file` atomically: a crash leaves the old content or the new, never a mix. */
export const writeAtomic = (file: string, data: FileData, mode = 0o644) => install(file, writerOf(data), mode, true);

/** `writeAtomic` for content too large to hold in memory: `write` streams it into the temporary file. */
export const writeAtomicWith = (file: string, write: Writer, mode = 0o644) => install(file, write, mode, true);

/** Creates `file`, atomically, only if it does not exist yet (for secret keys: never overwrite one). */
export const writeNew = (file: string, data: string, mode: number) => install(file, writerOf(data), mode, false);

/** What Spool.copyTo reads at a time, into one buffer. */
const SPOOL_CHUNK = 1 << 20;

/**
 * Bytes too many to hold in memory that must wait (a text being verified, until it is): a file in
 * `dir` created exclusively, mode 0600, and its name removed at once, so no other user can open it and
 * nothing is left behind, whatever happens. Open only within `withSpool`.
 */
export class Spool {
  private constructor(
    private readonly handle: fs.FileHandle,
    private readonly name: string,
  ) {}

  /** Runs `body` with a new spool in `dir` (made if need be), closed when `body` ends. */
  static async with<T>(dir: string, body: (spool: Spool) => Promise<T>): Promise<T> {
    const name = path.join(dir, `.spool.${randomBytes(6).toString('hex')}.tmp`);
    let handle: fs.FileHandle;
    try {
      await fs.mkdir(dir, { recursive: true });
      handle = await fs.open(name, 'wx+', 0o600);
    } catch (cause) {
      throw ioError('cannot create', name, cause);
    }
    try {
      await fs.rm(name);
      return await body(new Spool(handle, name));
    } finally {
      await handle.close();
    }
  }

  /** Appends `pieces`, in order. */
  readonly write = async (pieces: readonly Uint8Array[]): Promise<void> => {
    try {
      await this.handle.writev(pieces);
    } catch (cause) {
      throw ioError('cannot write', this.name, cause);
    }
  };

  /** Hands what was written, from the start, to `out` a chunk at a time, in one buffer reused once `out`'s promise settles. */
  async copyTo(out: (chunk: Buffer) => void | Promise<void>): Promise<void> {
    const buffer = Buffer.allocUnsafe(SPOOL_CHUNK);
    for (let position = 0; ;) {
      let bytesRead: number;
      try {
        ({ bytesRead } = await this.handle.read(buffer, 0, buffer.length, position));
      } catch (cause) {
        throw ioError('cannot read', this.name, cause);
      }
      if (bytesRead === 0) return;
      await out(buffer.subarray(0, bytesRead));
      position += bytesRead;
    }
  }
}

/**
 * Runs `body` holding an exclusive lock on `dir` (a `.lock` file holding the owner's pid). A lock whose
 * owner has died is taken over; a live one is waited for up to `waitMs` (0: refused at once), then
 * refused, naming its pid.
 */
export async function withLock<T>(dir: string, body: () => Promise<T>, options: { waitMs?: number } = {}): Promise<T> {
  const lock = path.join(dir, '.lock');
  await fs.mkdir(dir, { recursive: true }).catch((cause) => {
    throw ioError('cannot create', dir, cause);
  });
  const deadline = Date.now() + (options.waitMs ?? 0);
  for (let pause = 5; ; pause = Math.min(pause * 2, 200)) {
    try {
      await fs.writeFile(lock, `${process.pid}\n`, { flag: 'wx' });
      break;
    } catch (cause) {
      if ((cause as NodeJS.ErrnoException).code !== 'EEXIST') throw ioError('cannot create', lock, cause);
    }
    const owner = Number.parseInt(await fs.readFile(lock, 'utf8').catch(() => ''), 10);
    if (Number.isInteger(owner) && owner > 0 ? !alive(owner) : await olderThan(lock, 10_000)) {
      await fs.rm(lock, { force: true }); // stale: its owner is gone
      continue;
    }
    if (Date.now() >= deadline)
      throw new PkgkeysError(
        'LOCKED',
        `${dir} is locked by ${Number.isInteger(owner) ? `process ${owner}` : 'another process'} (${lock})`,
      );
    await new Promise((resolve) => setTimeout(resolve, pause));
  }
  try {
    return await body();
  } finally {
    await fs.rm(lock, { force: true });
  }
}

/** A lock file without a pid is being written, unless it has been so for long: its writer died. */
async function olderThan(file: string, ms: number): Promise<boolean> {
  const stat = await fs.stat(file).catch(() => null);
  return stat === null || Date.now() - stat.mtimeMs > ms;
}

/** Whether process `pid` runs (signal 0 only asks; EPERM: it runs, as another user). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The fields of a JSON record pkgkeys wrote (verification state, the installed release, the update
 * report, the recorded verdicts, the audit log's head), as `read` takes them from `text`; null when the text is no JSON
 * object or a field is not what pkgkeys writes: damaged, whatever the damage. Each reader says what
 * damage means for what its record guards (refuse, start afresh).
 */
export function parseRecord<T>(text: string, read: (fields: RecordFields) => T): T | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  try {
    return read(new RecordFields(value));
  } catch (error) {
    if (error instanceof DamagedRecord) return null;
    throw error;
  }
}

class DamagedRecord extends Error {}

/** Typed reads of a JSON object's fields: one that is not of its type makes the record damaged. */
export class RecordFields {
  private readonly record: Record<string, unknown>;

  constructor(value: unknown) {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new DamagedRecord();
    this.record = value as Record<string, unknown>;
  }

  string(name: string): string {
    const value = this.record[name];
    if (typeof value !== 'string') throw new DamagedRecord();
    return value;
  }

  /** A whole number from 0 up. */
  count(name: string): number {
    const value = this.record[name];
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) throw new DamagedRecord();
    return value;
  }

  time(name: string): Date {
    const time = new Date(this.string(name));
    if (Number.isNaN(time.getTime())) throw new DamagedRecord();
    return time;
  }

  object(name: string): RecordFields {
    return new RecordFields(this.record[name]);
  }

  /** An array of objects. */
  objects(name: string): RecordFields[] {
    const value = this.record[name];
    if (!Array.isArray(value)) throw new DamagedRecord();
    return value.map((item) => new RecordFields(item));
  }

  optionalString = (name: string): string | null => (this.absent(name) ? null : this.string(name));
  optionalTime = (name: string): Date | null => (this.absent(name) ? null : this.time(name));
  optionalObject = (name: string): RecordFields | null => (this.absent(name) ? null : this.object(name));

  /** Null, or not there: what JSON.stringify makes of a null or undefined field. */
  private absent(name: string): boolean {
    return this.record[name] === null || this.record[name] === undefined;
  }
}
