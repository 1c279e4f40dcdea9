/**
 * pkg_summary(5): `NAME=VALUE` lines, a multi-line value repeating `NAME=`, every entry (the last one
 * too) followed by exactly one empty line. Parsing is strict: a lenient reader is where a truncated file
 * or an injected line would pass unnoticed, and pkgin itself aborts on a line without `=`.
 *
 * Text is handled as latin1, one character per byte: DESCRIPTION lines carry whatever bytes the
 * package had (not always UTF-8), and latin1 makes parse → write a byte-for-byte round trip. Write the
 * strings this module returns with the 'latin1' encoding, never as UTF-8.
 */
import { PkgkeysError } from '../errors';

export interface Variable {
  name: string;
  value: string;
}

/** One package, its variables in file order, one Variable per line. */
export interface Entry {
  variables: Variable[];
}

const LF = 0x0a;
const CR = 0x0d;
const NUL = 0x00;
const EQUALS = 0x3d;
const PKGNAME = 'PKGNAME';
const NAME = /^[A-Z][A-Z0-9_]*$/;
// Characters a value cannot hold: line ends, NUL, and anything that is not one byte in latin1.
const NOT_VALUE = /[\n\r\0\u0100-\uffff]/;

const PKGNAME_BYTES = Buffer.from(PKGNAME);
const EMPTY = Buffer.alloc(0);

const isNameByte = (c: number) => (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) || c === 0x5f;

// Byte by byte: a native compare for every seven-letter name (DEPENDS, LICENSE, ...) costs more.
function isPkgname(buf: Buffer, start: number): boolean {
  for (let i = 0; i < PKGNAME_BYTES.length; i++) if (buf[start + i] !== PKGNAME_BYTES[i]) return false;
  return true;
}

/** A short, quoted excerpt of text for an error message. */
function quote(text: string): string {
  return JSON.stringify(text.length > 60 ? `${text.slice(0, 60)}...` : text);
}

/** Position of the first CR or NUL at or after `from`, or -1. */
function firstForbidden(buf: Buffer, from: number): number {
  const cr = buf.indexOf(CR, from);
  const nul = buf.indexOf(NUL, from);
  return cr === -1 ? nul : nul === -1 ? cr : Math.min(cr, nul);
}

/**
 * Receives what the scanner found, in order: every line of the text is a variable or an entry's end.
 * checkSummary passes none, so it builds no strings.
 */
export interface Sink {
  variable(buf: Buffer, start: number, equals: number, end: number): void;
  entry(): void;
}

/**
 * The one grammar check behind parseSummary, readEntries and checkSummary, so that all three accept the
 * same files and report the same error at the same line. It works on bytes: indexOf finds line ends and
 * only the names are looked at byte by byte.
 */
class Scanner {
  entries = 0;
  /** Number of the last line scanned. */
  private line = 0;
  /** First line of the entry being read; 0 between entries. */
  private entryLine = 0;
  /** Line of this entry's PKGNAME; 0 until one is seen. */
  private pkgnameLine = 0;
  /** The buffer the lines being read are in (see `within`), and its first CR or NUL at or after the line being read, or -1. */
  private buf: Buffer = EMPTY;
  private forbidden = -1;

  constructor(
    private readonly source: string,
    private readonly sink?: Sink,
  ) {}

  /** Scans the complete lines of `buf` from `from` on; returns where the unterminated rest starts. */
  scan(buf: Buffer, from: number): number {
    this.within(buf, from);
    let start = from;
    let end: number;
    while ((end = buf.indexOf(LF, start)) !== -1) {
      this.next(start, end);
      start = end + 1;
    }
    return start;
  }

  /**
   * The lines that follow are in `buf`, from `from` on, and its bytes stay as they are until the next
   * call: CR and NUL are looked for once for all of them, not line by line.
   */
  within(buf: Buffer, from: number): void {
    this.buf = buf;
    this.forbidden = firstForbidden(buf, from);
  }

  /** The next line: bytes `start` to `end` of the buffer `within` named, its "\n" not included. */
  next(start: number, end: number): void {
    const { buf } = this;
    this.line++;
    // A CR or NUL between the lines (one a decoder dropped) is no line's: look again from here.
    if (this.forbidden !== -1 && this.forbidden < start) this.forbidden = firstForbidden(buf, start);
    if (this.forbidden !== -1 && this.forbidden < end) this.forbiddenByte(buf[this.forbidden]);
    if (end === start) this.emptyLine();
    else this.variable(buf, start, end);
  }

  /** At the end of the input, with `rest` the bytes after the last newline. */
  finish(rest: Buffer): void {
    if (rest.length > 0) {
      this.line++;
      const forbidden = firstForbidden(rest, 0);
      if (forbidden !== -1) this.forbiddenByte(rest[forbidden]);
      this.fail(`expected a newline ending ${quote(rest.toString('latin1'))}, found the end of the file (truncated?)`);
    }
    if (this.entryLine !== 0) {
      this.line++;
      this.fail('expected an empty line ending the entry, found the end of the file (truncated?)');
    }
  }

  private variable(buf: Buffer, start: number, end: number): void {
    let i = start;
    if (buf[i] >= 0x41 && buf[i] <= 0x5a) while (++i < end && isNameByte(buf[i]));
    if (i === start || buf[i] !== EQUALS) this.badLine(buf.toString('latin1', start, end));
    if (this.entryLine === 0) this.entryLine = this.line;
    if (i - start === PKGNAME_BYTES.length && isPkgname(buf, start)) {
      if (this.pkgnameLine !== 0)
        this.fail(`expected one PKGNAME in the entry, found a second one (the first is on line ${this.pkgnameLine})`);
      this.pkgnameLine = this.line;
    }
    this.sink?.variable(buf, start, i, end);
  }

  private emptyLine(): void {
    if (this.entryLine === 0) {
      this.fail(
        this.line === 1
          ? 'expected a NAME=VALUE line, found an empty line at the start of the file'
          : 'expected a NAME=VALUE line, found a second empty line (entries are separated by exactly one)',
      );
    }
    if (this.pkgnameLine === 0)
      this.fail(
        `expected a PKGNAME in the entry on lines ${this.entryLine}-${this.line - 1}, found none`,
        this.entryLine,
      );
    this.entries++;
    this.entryLine = 0;
    this.pkgnameLine = 0;
    this.sink?.entry();
  }

  private badLine(line: string): never {
    const equals = line.indexOf('=');
    if (equals === -1) this.fail(`expected NAME=VALUE, found a line without "=": ${quote(line)}`);
    this.fail(`expected a variable name matching [A-Z][A-Z0-9_]*, found ${quote(line.slice(0, equals))}`);
  }

  private forbiddenByte(byte: number): never {
    this.fail(
      byte === CR
        ? 'expected lines ending in LF alone, found a carriage return (CRLF text?)'
        : 'expected text, found a NUL byte',
    );
  }

  private fail(message: string, line = this.line): never {
    throw new PkgkeysError('SUMMARY_MALFORMED', `${this.source}:${line}: ${message}`);
  }
}

/** Collects entries as the scanner finds them, with every variable or only those in `keep`. */
class Builder implements Sink {
  private variables: Variable[] = [];
  private entries: Entry[] = [];

  constructor(private readonly keep?: ReadonlySet<string>) {}

  variable(buf: Buffer, start: number, equals: number, end: number): void {
    const name = buf.toString('latin1', start, equals);
    if (this.keep && !this.keep.has(name)) return;
    this.variables.push({ name, value: buf.toString('latin1', equals + 1, end) });
  }

  entry(): void {
    this.entries.push({ variables: this.variables });
    this.variables = [];
  }

  /** The entries completed so far, handed over once. */
  take(): Entry[] {
    const entries = this.entries;
    this.entries = [];
    return entries;
  }
}

const asBuffer = (data: Uint8Array) =>
  Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);

/**
 * Parses a whole pkg_summary; `source` names it in errors (`source:line: ...`). With `keep`, entries
 * hold only those variables (the grammar is checked all the same): a full index as strings costs
 * several times its size, the few variables a package check reads do not.
 */
export function parseSummary(data: Uint8Array, source: string, keep?: ReadonlySet<string>): Entry[] {
  const buf = asBuffer(data);
  const builder = new Builder(keep);
  const scanner = new Scanner(source, builder);
  scanner.finish(buf.subarray(scanner.scan(buf, 0)));
  return builder.take();
}

/**
 * The grammar checked on a pkg_summary as it arrives, chunk by chunk, holding one line at a time: the
 * same errors at the same lines as parseSummary, and `sink` sees what it would see.
 */
export class SummaryReader {
  private readonly scanner: Scanner;
  /** Bytes of an unfinished line, copied: the producer may reuse its buffers once we ask for more. */
  private pending: Buffer[] = [];

  constructor(source: string, sink?: Sink) {
    this.scanner = new Scanner(source, sink);
  }

  push(chunk: Uint8Array): void {
    const buf = asBuffer(chunk);
    let from = 0;
    if (this.pending.length > 0) {
      const newline = buf.indexOf(LF);
      if (newline === -1) return void this.pending.push(Buffer.from(buf));
      // Only the line that straddles the chunks is joined.
      from = newline + 1;
      this.scanner.scan(Buffer.concat([...this.pending, buf.subarray(0, from)]), 0);
      this.pending = [];
    }
    const rest = this.scanner.scan(buf, from);
    if (rest < buf.length) this.pending.push(Buffer.from(buf.subarray(rest)));
  }

  /** At the end of the text: the number of entries, or the grammar's error. */
  end(): number {
    this.scanner.finish(Buffer.concat(this.pending));
    this.pending = [];
    return this.scanner.entries;
  }
}

/**
 * The grammar checked on the lines of a text as another pass over it finds them (a signed index's text,
 * as it is decoded and hashed: lib/pgp/cleartext.ts), with checkSummary's errors at the same lines. The
 * first error is kept and told by end(): an index's grammar is judged after its signature.
 */
export class SummaryLines {
  private readonly scanner: Scanner;
  private error: unknown = null;

  constructor(source: string, sink?: Sink) {
    this.scanner = new Scanner(source, sink);
  }

  /** The lines that follow are in `buf`, from `from` on, and its bytes stay as they are until the next call. */
  within(buf: Buffer, from: number): void {
    if (this.error === null) this.scanner.within(buf, from);
  }

  /** The next line of the text: bytes `start` to `end` of the buffer `within` named, without its line end. */
  line(start: number, end: number): void {
    if (this.error !== null) return;
    try {
      this.scanner.next(start, end);
    } catch (error) {
      this.error = error;
    }
  }

  /** At the end of the text: the number of entries, or the grammar's first error. */
  end(): number {
    if (this.error !== null) throw this.error;
    this.scanner.finish(EMPTY);
    return this.scanner.entries;
  }
}

/**
 * Parses a pkg_summary as it arrives, holding one entry and one chunk at a time. Entries are yielded as
 * they complete, so an error can come after some: a caller that needs all or nothing collects first.
 * With `keep`, entries hold only those variables, as with parseSummary.
 */
export async function* readEntries(
  chunks: AsyncIterable<Uint8Array>,
  source: string,
  keep?: ReadonlySet<string>,
): AsyncGenerator<Entry> {
  const builder = new Builder(keep);
  const reader = new SummaryReader(source, builder);
  for await (const chunk of chunks) {
    reader.push(chunk);
    yield* builder.take();
  }
  reader.end();
}

/** Checks a whole pkg_summary as parseSummary would, without building entries; returns how many there are. */
export function checkSummary(data: Uint8Array, source: string): number {
  const buf = asBuffer(data);
  const scanner = new Scanner(source);
  scanner.finish(buf.subarray(scanner.scan(buf, 0)));
  return scanner.entries;
}

/** Every value of a variable, in order (DEPENDS, DESCRIPTION, ...). */
export function values(entry: Entry, name: string): string[] {
  return entry.variables.filter((v) => v.name === name).map((v) => v.value);
}

/** The value of a single-valued variable (PKGNAME, FILE_SIZE, ...): its first occurrence, if any. */
export function value(entry: Entry, name: string): string | undefined {
  return entry.variables.find((v) => v.name === name)?.value;
}

/** Refuses a variable that would not be written back as the one line it is. */
function checkVariable(name: string, value: string): void {
  if (!NAME.test(name)) {
    throw new PkgkeysError(
      'SUMMARY_MALFORMED',
      `expected a pkg_summary variable name matching [A-Z][A-Z0-9_]*, found ${quote(name)}`,
    );
  }
  const bad = NOT_VALUE.exec(value);
  if (bad) {
    const found = `U+${bad[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;
    throw new PkgkeysError(
      'SUMMARY_MALFORMED',
      `expected a ${name} value of latin1 bytes without newline, carriage return or NUL, found ${found}`,
    );
  }
}

/**
 * Sets a single-valued variable: the first occurrence is replaced where it stands and any further ones
 * are dropped, or else the variable is appended. Returns a new Entry; `entry` is left as it was.
 */
export function setValue(entry: Entry, name: string, value: string): Entry {
  checkVariable(name, value);
  const variables: Variable[] = [];
  let replaced = false;
  for (const v of entry.variables) {
    if (v.name !== name) variables.push(v);
    else if (!replaced) {
      variables.push({ name, value });
      replaced = true;
    }
  }
  if (!replaced) variables.push({ name, value });
  return { variables };
}

/**
 * One entry as pkg_summary text: each variable on its line, then the separating empty line. It refuses
 * what parseSummary would refuse, so that no value can smuggle in lines of its own.
 */
export function formatEntry(entry: Entry): string {
  let text = '';
  let pkgnames = 0;
  for (const { name, value } of entry.variables) {
    checkVariable(name, value);
    if (name === PKGNAME) pkgnames++;
    text += `${name}=${value}\n`;
  }
  if (pkgnames !== 1) {
    throw new PkgkeysError('SUMMARY_MALFORMED', `expected one PKGNAME in a pkg_summary entry, found ${pkgnames}`);
  }
  return `${text}\n`;
}

/** A whole pkg_summary as text, to be encoded as latin1. */
export function formatSummary(entries: Iterable<Entry>): string {
  let text = '';
  for (const entry of entries) text += formatEntry(entry);
  return text;
}

/**
 * Writes entries to `out` as they come, waiting for 'drain' whenever `out` asks to. It does not end
 * `out`; a stream error or an early close rejects with that error, for the caller to name the file.
 */
export async function writeEntries(
  entries: AsyncIterable<Entry> | Iterable<Entry>,
  out: NodeJS.WritableStream,
): Promise<void> {
  let failure: Error | undefined;
  let wake: (() => void) | undefined;
  const onDrain = () => wake?.();
  const onError = (error: Error) => {
    failure ??= error;
    wake?.();
  };
  const onClose = () => onError(new Error('the output stream closed before the pkg_summary was written'));
  out.on('drain', onDrain).on('error', onError).on('close', onClose);
  try {
    for await (const entry of entries) {
      if (failure) throw failure;
      if (!out.write(Buffer.from(formatEntry(entry), 'latin1')) && !failure) {
        await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
      }
    }
    if (failure) throw failure;
  } finally {
    out.removeListener('drain', onDrain).removeListener('error', onError).removeListener('close', onClose);
  }
}
