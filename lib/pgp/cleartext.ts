/**
 * The cleartext signature framework (RFC 9580 §7), read strictly and written canonically, on Buffers.
 *
 * Reading accepts exactly one form: the BEGIN line first, `Hash:` headers, an empty line, the
 * dash-escaped text, one armored signature, and nothing after it but line ends. Everything verifiers
 * usually tolerate and ignore (text before BEGIN or after END, a second block, other headers) is an
 * error here, because the text pkgkeys hands on must be exactly the text that was signed (DESIGN.md §3).
 */
import type { Hash } from 'node:crypto';
import { type Code, PkgkeysError } from '../errors';
import { armor, dearmor, hashNameOfText, isHashTextName } from './packets';
import { dataHash } from './signature';

const BEGIN_MESSAGE = '-----BEGIN PGP SIGNED MESSAGE-----';
const BEGIN_SIGNATURE = '-----BEGIN PGP SIGNATURE-----';
const END_SIGNATURE = '-----END PGP SIGNATURE-----';
/** A signature block is a few hundred bytes; anything near this is not one. */
const MAX_ARMOR_BYTES = 64 * 1024;

const LF = 0x0a;
const CR = 0x0d;
const DASH = 0x2d;
const SPACE = 0x20;
const TAB = 0x09;

export interface Cleartext {
  /** The signed text as it stands in the file: dash-escaped, possibly with CR LF and trailing whitespace. */
  body: Buffer;
  /** Hashes the `Hash:` headers name, in pkgkeys' names; unknown names are kept as written. */
  headerHashes: string[];
  /** The binary signature packet(s) from the armor. */
  signature: Buffer;
}

/** `code`: the malformed code of the document read (INDEX_MALFORMED, RELEASE_MALFORMED, ...), chosen by the caller. */
const malformed = (code: Code, source: string, line: number, message: string) =>
  new PkgkeysError(code, `${source}:${line}: ${message}`);
/** 1-based line number of byte `at`; only computed for an error. */
const lineOf = (data: Buffer, at: number) => data.subarray(0, at).reduce((n, byte) => (byte === LF ? n + 1 : n), 1);

/**
 * Checks the framework of a cleartext-signed file and finds its parts, without copying the text; what
 * is wrong with it is `code`, the document's own malformed code.
 * Lines of text starting with "-" are found with indexOf, so a 40 MB index is not walked line by line
 * here: every one of them must be the terminating BEGIN line or dash-escaped.
 */
export function parseCleartext(data: Buffer, source: string, code: Code): Cleartext {
  const lines = new LineReader(data);
  const first = lines.next();
  if (first === null || first.text() !== BEGIN_MESSAGE) {
    throw malformed(
      code,
      source,
      1,
      `expected "${BEGIN_MESSAGE}" as the first line, found ${first === null ? 'an empty file' : `"${first.preview()}"`}`,
    );
  }
  const headerHashes: string[] = [];
  for (;;) {
    const line = lines.next();
    if (line === null) throw malformed(code, source, lines.number, 'file ends inside the armor headers');
    if (line.start === line.end) break;
    const names = hashHeader(line.text());
    if (!names)
      throw malformed(
        code,
        source,
        lines.number,
        `only "Hash:" headers may follow the BEGIN line, found "${line.preview()}"`,
      );
    headerHashes.push(...names);
  }

  const textStart = lines.offset;
  let at = data[textStart] === DASH ? textStart : data.indexOf('\n-', textStart) + 1;
  for (; ; at = data.indexOf('\n-', at) + 1) {
    if (at <= 0) throw malformed(code, source, lineOf(data, data.length), `file ends before "${BEGIN_SIGNATURE}"`);
    lines.offset = at;
    const line = lines.next()!;
    if (line.text() === BEGIN_SIGNATURE) break;
    if (data[at + 1] !== SPACE)
      throw malformed(
        code,
        source,
        lineOf(data, at),
        `a line of signed text starting with "-" must be dash-escaped ("- "), found "${line.preview()}"`,
      );
  }
  const body = data.subarray(textStart, at);

  const armorStart = lines.offset;
  for (;;) {
    const line = lines.next();
    if (line === null) throw malformed(code, source, lineOf(data, data.length), `file ends before "${END_SIGNATURE}"`);
    if (lines.offset - armorStart > MAX_ARMOR_BYTES)
      throw malformed(
        code,
        source,
        lineOf(data, line.start),
        `the signature block is longer than ${MAX_ARMOR_BYTES} bytes`,
      );
    if (line.text() === END_SIGNATURE) break;
  }
  const signature = dearmorSignature(data.subarray(armorStart, lines.offset), source, code, () =>
    lineOf(data, lines.offset - 1),
  );
  for (;;) {
    const line = lines.next();
    if (line === null) break;
    if (line.start !== line.end)
      throw malformed(
        code,
        source,
        lineOf(data, line.start),
        `nothing may follow "${END_SIGNATURE}", found "${line.preview()}"`,
      );
  }
  return { body, headerHashes, signature };
}

/** The hashes a `Hash:` header names (RFC 9580 §7.1), in pkgkeys' names; null for any other line. */
function hashHeader(line: string): string[] | null {
  const m = /^Hash: (.+)$/.exec(line);
  return m
    ? m[1]!
        .split(',')
        .map((n) => n.trim())
        .map((name) => (isHashTextName(name.toUpperCase()) ? hashNameOfText(name) : name))
    : null;
}

/** The signature's armor lines, from after the BEGIN line to the END line (RFC 9580 §6.2), as binary. */
function dearmorSignature(block: Buffer, source: string, code: Code, endLine: () => number): Buffer {
  const lines = block.toString('latin1').replace(/\n$/, '').split('\n');
  lines.pop(); // the END line
  try {
    return dearmor(lines);
  } catch (error) {
    throw malformed(code, source, endLine(), `the signature armor is damaged: ${(error as Error).message}`);
  }
}

/** Lines of a Buffer without copying; a line ends at "\n", and a "\r" before it is dropped. */
class LineReader {
  offset = 0;
  number = 0;
  constructor(private readonly data: Buffer) {}

  next(): { start: number; end: number; text(): string; preview(): string } | null {
    const { data } = this;
    if (this.offset >= data.length) return null;
    const start = this.offset;
    let newline = data.indexOf(LF, start);
    if (newline < 0) newline = data.length;
    this.offset = newline + 1;
    this.number++;
    const end = newline > start && data[newline - 1] === CR ? newline - 1 : newline;
    return {
      start,
      end,
      text: () => data.toString('latin1', start, end),
      preview: () => data.toString('latin1', start, Math.min(end, start + 60)),
    };
  }
}

/** What CanonicalHasher gathers before it hashes, and copies of the source at a time. */
const WINDOW = 1 << 20;

/**
 * The canonical text (RFC 9580 §7.2) goes to the hash through fixed memory: lines of the source joined
 * by CR LF, the last line end not included. Constant memory, and no allocation per line: the source is
 * copied a window at a time into the second half of `memory`, and each line moved from there to the
 * first half with copyWithin (a view per line, for TypedArray#set or Buffer#copy, costs more than
 * moving a 40-byte line). A line longer than the window goes to the hash as it is.
 */
class CanonicalHasher {
  /** [0, WINDOW): canonical text waiting for the hash, `fill` bytes of it; [WINDOW, 2 * WINDOW): the window. */
  private readonly memory = new Uint8Array(2 * WINDOW);
  private fill = 0;
  private lines = 0;
  private source: Uint8Array = new Uint8Array(0);
  /** The window holds bytes `windowStart` to `windowEnd` of `source`, copied since the last `within`. */
  private windowStart = 0;
  private windowEnd = 0;
  constructor(private readonly hash: Hash) {}

  /** The lines that follow are in `source`, whose bytes stay as they are until the next call. */
  within(source: Uint8Array): void {
    this.source = source;
    this.windowStart = this.windowEnd = 0;
  }

  /** Bytes `start` to `end` of the source `within` named are the next line. */
  line(start: number, end: number): void {
    const { memory } = this;
    if (this.lines++ > 0) {
      if (this.fill + 2 > WINDOW) this.flush();
      memory[this.fill++] = CR;
      memory[this.fill++] = LF;
    }
    const length = end - start;
    if (this.fill + length > WINDOW) this.flush();
    if (length > WINDOW) return void this.hash.update(this.source.subarray(start, end));
    if (start < this.windowStart || end > this.windowEnd) this.copyWindow(start);
    const at = WINDOW - this.windowStart;
    memory.copyWithin(this.fill, at + start, at + end);
    this.fill += length;
  }

  flush(): void {
    this.hash.update(this.memory.subarray(0, this.fill));
    this.fill = 0;
  }

  private copyWindow(start: number): void {
    this.windowStart = start;
    this.windowEnd = Math.min(this.source.length, start + WINDOW);
    this.memory.set(this.source.subarray(start, this.windowEnd), WINDOW);
  }
}

/** Where a line of signed text starting at `start` begins once decoded: after its dash-escape, if any. */
const decodedStart = (buf: Uint8Array, start: number) => (buf[start] === DASH ? start + 2 : start);

/**
 * Where it ends once decoded (RFC 9580 §7.1): before its line end (a CR before the "\n" included) and
 * the trailing whitespace the signature does not cover; `newline` is where its "\n" is.
 */
function decodedEnd(buf: Uint8Array, start: number, from: number, newline: number): number {
  let end = newline > start && buf[newline - 1] === CR ? newline - 1 : newline;
  while (end > from && (buf[end - 1] === SPACE || buf[end - 1] === TAB)) end--;
  return end;
}

/**
 * Told the lines of a signed text as they are decoded, in order, without their line ends: a check of
 * the text (an index's grammar) in the pass that decodes and hashes it. `within` names the buffer the
 * lines that follow are in, whose bytes stay as they are until the next `within`.
 */
export interface TextLines {
  within(buf: Buffer, from: number): void;
  line(start: number, end: number): void;
}

/**
 * Undoes the framework's encoding of `body` and feeds the canonical text to `hash`, and each of its
 * lines to `lines`, in one pass: returns the text as the signer meant it (dash-escapes removed,
 * trailing whitespace, which the signature does not cover, removed, every line ended by "\n"). `body`
 * must come from parseCleartext and is left as it is: the text is `body` itself when there is nothing to
 * undo (what pkgkeys signs), so a large index is not copied; otherwise a copy, decoded in place from the
 * first change on.
 */
export function canonicalize(body: Buffer, hash: Hash, lines?: TextLines): Buffer {
  const out = new CanonicalHasher(hash);
  out.within(body);
  lines?.within(body, 0);
  let text = body;
  // Where the next line goes in `text`; `body` is read from `start`, which `write` never passes.
  let write = 0;
  for (let start = 0; start < body.length;) {
    const newline = body.indexOf(LF, start);
    const from = decodedStart(body, start);
    const end = decodedEnd(body, start, from, newline);
    out.line(from, end);
    lines?.line(from, end);
    if (text === body && (from !== start || end !== newline)) text = Buffer.from(body);
    if (text !== body) {
      text.copyWithin(write, from, end);
      text[write + end - from] = LF;
    }
    write += end - from + 1;
    start = newline + 1;
  }
  out.flush();
  return text.subarray(0, write);
}

/**
 * Feeds `text`, already canonical but for its "\n" line ends (what signableText returns), to `hash`,
 * and each of its lines to `lines`, in one pass.
 */
export function hashCanonical(text: Buffer, hash: Hash, lines?: TextLines): void {
  const canonical = new CanonicalLines(hash, lines);
  canonical.push(text);
  canonical.end();
}

/**
 * hashCanonical for a text that comes in runs of whole lines, as it is read: the runs joined are the
 * text, and each run but the last ends in "\n". A run is read only while `push` runs.
 */
export class CanonicalLines {
  private readonly out: CanonicalHasher;
  constructor(
    hash: Hash,
    private readonly lines?: TextLines,
  ) {
    this.out = new CanonicalHasher(hash);
  }

  push(run: Buffer): void {
    const { out, lines } = this;
    out.within(run);
    lines?.within(run, 0);
    for (let start = 0; start < run.length;) {
      const newline = run.indexOf(LF, start);
      const end = newline < 0 ? run.length : newline;
      out.line(start, end);
      lines?.line(start, end);
      start = end + 1;
    }
  }

  end(): void {
    this.out.flush();
  }
}

/** A cleartext read by CleartextReader: its text went to the caller and to the hashes as it came. */
export interface StreamedCleartext {
  headerHashes: string[];
  /** The binary signature packet(s) from the armor. */
  signature: Buffer;
  /** The canonical text hashed with each hash the headers name that Node has, by pkgkeys' name, not finished. */
  hashes: ReadonlyMap<string, Hash>;
}

const NEWLINE = Buffer.from('\n');

/**
 * parseCleartext and canonicalize for a file read chunk by chunk, never whole in memory (a 200 MB
 * index on a small board): the same grammar, the same messages at the same line numbers, the same
 * text out. The text is hashed as it comes with each hash the `Hash:` headers name (RFC 9580 §7.1
 * puts them first for this), and handed to `text` in pieces, decoded, before anything is verified:
 * the caller keeps it apart until the signature is checked. A line is held whole until its end comes,
 * copied: a chunk (and the pieces, views of it) may be reused by its producer once push returns.
 */
export class CleartextReader {
  private part: 'begin' | 'headers' | 'text' | 'armor' | 'after' = 'begin';
  /** Line ends read so far: the line being read is number `lineEnds + 1`. */
  private lineEnds = 0;
  /** The start of a line no chunk has ended yet, in copied pieces (joined once, when it ends). */
  private rest: Buffer[] = [];
  private readonly headerHashes: string[] = [];
  private readonly hashes = new Map<string, Hash>();
  private hashers: CanonicalHasher[] = [];
  private armor: Buffer[] = [];
  private armorBytes = 0;
  private signature: Buffer | null = null;

  /** `code`: the malformed code of the document read, as for parseCleartext; `lines` is told each line of the text, as canonicalize tells it. */
  constructor(
    private readonly source: string,
    private readonly code: Code,
    private readonly text: (piece: Buffer) => void,
    private readonly textLines?: TextLines,
  ) {}

  push(chunk: Buffer): void {
    let from = 0;
    if (this.rest.length > 0) {
      const newline = chunk.indexOf(LF);
      if (newline < 0) return void this.rest.push(Buffer.from(chunk));
      from = newline + 1;
      this.lines(Buffer.concat([...this.rest, chunk.subarray(0, from)]), 0);
      this.rest = [];
    }
    const rest = this.lines(chunk, from);
    if (rest < chunk.length) this.rest.push(Buffer.from(chunk.subarray(rest)));
  }

  /** At the end of the file: the signature and the hashes, or the framework's error. */
  end(): StreamedCleartext {
    const { source, code } = this;
    const last = this.rest.length > 0 ? Buffer.concat(this.rest) : null;
    this.rest = [];
    // A last line without "\n" is a line all the same, as parseCleartext reads it.
    if (last && this.part === 'text') this.lastTextLine(last);
    else if (last) this.line(last, 0, last.length);
    switch (this.part) {
      case 'begin':
        throw malformed(code, source, 1, `expected "${BEGIN_MESSAGE}" as the first line, found an empty file`);
      case 'headers':
        throw malformed(code, source, this.lineEnds + (last ? 1 : 0), 'file ends inside the armor headers');
      case 'text':
        throw malformed(code, source, this.lineEnds + 1, `file ends before "${BEGIN_SIGNATURE}"`);
      case 'armor':
        throw malformed(code, source, this.lineEnds + 1, `file ends before "${END_SIGNATURE}"`);
      case 'after':
        return { headerHashes: this.headerHashes, signature: this.signature!, hashes: this.hashes };
    }
  }

  /** Reads the lines of `buf` that end in it, from `from`; returns where the unended rest starts. */
  private lines(buf: Buffer, from: number): number {
    let start = from;
    while (start < buf.length) {
      if (this.part === 'text') {
        start = this.decode(buf, start);
        if (this.part === 'text') return start;
        continue;
      }
      const newline = buf.indexOf(LF, start);
      if (newline < 0) return start;
      this.line(buf, start, newline);
      this.lineEnds++;
      start = newline + 1;
    }
    return start;
  }

  /** One line of the framework around the text; `newline` is where its "\n" is, or the end of `buf`. */
  private line(buf: Buffer, start: number, newline: number): void {
    const { source, code } = this;
    const number = this.lineEnds + 1;
    const end = newline > start && buf[newline - 1] === CR ? newline - 1 : newline;
    const text = () => buf.toString('latin1', start, end);
    const preview = () => buf.toString('latin1', start, Math.min(end, start + 60));
    switch (this.part) {
      case 'begin':
        if (text() !== BEGIN_MESSAGE)
          throw malformed(code, source, 1, `expected "${BEGIN_MESSAGE}" as the first line, found "${preview()}"`);
        this.part = 'headers';
        return;
      case 'headers': {
        if (start === end) return this.startText();
        const names = hashHeader(text());
        if (!names)
          throw malformed(code, source, number, `only "Hash:" headers may follow the BEGIN line, found "${preview()}"`);
        this.headerHashes.push(...names);
        return;
      }
      case 'armor':
        // As parseCleartext counts it: a last line without "\n" counts one byte more.
        this.armorBytes += newline + 1 - start;
        this.armor.push(Buffer.from(buf.subarray(start, Math.min(newline + 1, buf.length))));
        if (this.armorBytes > MAX_ARMOR_BYTES)
          throw malformed(code, source, number, `the signature block is longer than ${MAX_ARMOR_BYTES} bytes`);
        if (text() === END_SIGNATURE) {
          this.signature = dearmorSignature(Buffer.concat(this.armor), source, code, () => number);
          this.armor = [];
          this.part = 'after';
        }
        return;
      case 'after':
        if (start !== end)
          throw malformed(code, source, number, `nothing may follow "${END_SIGNATURE}", found "${preview()}"`);
        return;
    }
  }

  private startText(): void {
    for (const name of new Set(this.headerHashes)) {
      const hash = dataHash(name);
      if (!hash) continue;
      this.hashes.set(name, hash);
      this.hashers.push(new CanonicalHasher(hash));
    }
    this.part = 'text';
  }

  /**
   * The signed text's lines that end in `buf`, from `from`, up to the BEGIN line of the signature:
   * hashed, and handed on decoded, as runs of `buf` where nothing is to be undone. Returns where it stopped.
   */
  private decode(buf: Buffer, from: number): number {
    const { hashers, textLines } = this;
    for (const hasher of hashers) hasher.within(buf);
    textLines?.within(buf, from);
    let run = from;
    let start = from;
    for (let newline: number; (newline = buf.indexOf(LF, start)) >= 0; start = newline + 1) {
      if (buf[start] === DASH && this.dashLine(buf, start, newline)) {
        if (run < start) this.text(buf.subarray(run, start));
        this.lineEnds++;
        return newline + 1;
      }
      const textFrom = decodedStart(buf, start);
      const end = decodedEnd(buf, start, textFrom, newline);
      for (let i = 0; i < hashers.length; i++) hashers[i]!.line(textFrom, end);
      textLines?.line(textFrom, end);
      if (textFrom !== start || end !== newline) {
        if (run < start) this.text(buf.subarray(run, start));
        this.text(buf.subarray(textFrom, end));
        this.text(NEWLINE);
        run = newline + 1;
      }
      this.lineEnds++;
    }
    if (run < start) this.text(buf.subarray(run, start));
    return start;
  }

  /**
   * A line of the text part starting with "-": the signature's BEGIN line, which ends the text (true),
   * or a dash-escaped line of text; anything else is an error.
   */
  private dashLine(buf: Buffer, start: number, newline: number): boolean {
    const end = newline > start && buf[newline - 1] === CR ? newline - 1 : newline;
    if (buf.toString('latin1', start, end) === BEGIN_SIGNATURE) {
      for (const hasher of this.hashers) hasher.flush();
      this.part = 'armor';
      return true;
    }
    if (buf[start + 1] !== SPACE) {
      throw malformed(
        this.code,
        this.source,
        this.lineEnds + 1,
        `a line of signed text starting with "-" must be dash-escaped ("- "), found "${buf.toString('latin1', start, Math.min(end, start + 60))}"`,
      );
    }
    return false;
  }

  /** The text's last line has no "\n": the file ends before the signature, unless it is its BEGIN line. */
  private lastTextLine(buf: Buffer): void {
    if (buf[0] === DASH) this.dashLine(buf, 0, buf.length);
  }
}

const HEADER_NAMES: Record<string, string> = { sha256: 'SHA256', sha512: 'SHA512' };

/**
 * The cleartext-signed form of `text` (lines ended by "\n", already without trailing whitespace)
 * around `signature`, dash-escaping lines that start with "-" (RFC 9580 §7.2). In parts, views of
 * `text` between the escapes, so a 40 MB index is not copied again.
 */
export function writeCleartext(text: Buffer, hash: 'sha256' | 'sha512', signature: Uint8Array): Buffer[] {
  return [cleartextHeader(hash), ...escapeLines(text), cleartextSignature(signature)];
}

/** What a cleartext-signed file starts with: the armor line, the Hash header and the empty line. */
export const cleartextHeader = (hash: 'sha256' | 'sha512'): Buffer =>
  Buffer.from(`${BEGIN_MESSAGE}\nHash: ${HEADER_NAMES[hash]}\n\n`);

/** What a cleartext-signed file ends with: the armored signature. */
export const cleartextSignature = (signature: Uint8Array): Buffer => Buffer.from(armor('signature', signature));

/**
 * Whole lines of text as they go between header and signature: in parts, views of `run` between the
 * "- " put before each line that starts with "-".
 */
export function escapeLines(run: Buffer): Buffer[] {
  const parts: Buffer[] = [];
  let from = 0;
  const escape = (line: number) => {
    parts.push(run.subarray(from, line), DASH_ESCAPE);
    from = line;
  };
  if (run[0] === DASH) escape(0);
  for (let at = run.indexOf(LINE_DASH); at >= 0; at = run.indexOf(LINE_DASH, at + 1)) escape(at + 1);
  parts.push(run.subarray(from));
  return parts;
}

const LINE_DASH = Buffer.from('\n-');
const DASH_ESCAPE = Buffer.from('- ');

/**
 * The text as it can be signed: each line's trailing whitespace removed (the signature would not
 * cover it) and a final "\n" added if missing. Returns `text` itself when nothing changes.
 */
export function signableText(text: Buffer): Buffer {
  if (isSignable(text)) return text;
  const lines = text.toString('latin1').split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return Buffer.from(lines.map((l) => `${l.replace(/[ \t\r]+$/, '')}\n`).join(''), 'latin1');
}

/** A blank or CR just before a line's "\n", what a cleartext signature cannot keep, after the byte alone (found faster, and often absent). */
const BLANK_LINE_ENDS = [SPACE, TAB, CR].map((byte) => [byte, Buffer.from([byte, LF])] as const);

/** Whether every line of `text` ends in "\n" with no blank or CR before it: native searches, not a loop over the lines. */
export function isSignable(text: Buffer): boolean {
  if (text.length > 0 && text[text.length - 1] !== LF) return false;
  return BLANK_LINE_ENDS.every(([byte, end]) => !text.includes(byte) || !text.includes(end));
}
