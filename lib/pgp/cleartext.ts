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
const malformed = (code: Code, source: string, line: number, message: string) => new PkgkeysError(code, `${source}:${line}: ${message}`);
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
    throw malformed(code, source, 1, `expected "${BEGIN_MESSAGE}" as the first line, found ${first === null ? 'an empty file' : `"${first.preview()}"`}`);
  }
  const headerHashes: string[] = [];
  for (;;) {
    const line = lines.next();
    if (line === null) throw malformed(code, source, lines.number, 'file ends inside the armor headers');
    if (line.start === line.end) break;
    const m = /^Hash: (.+)$/.exec(line.text());
    if (!m) throw malformed(code, source, lines.number, `only "Hash:" headers may follow the BEGIN line, found "${line.preview()}"`);
    for (const name of m[1]!.split(',').map((n) => n.trim())) headerHashes.push(isHashTextName(name.toUpperCase()) ? hashNameOfText(name) : name);
  }

  const textStart = lines.offset;
  let at = data[textStart] === DASH ? textStart : data.indexOf('\n-', textStart) + 1;
  for (;; at = data.indexOf('\n-', at) + 1) {
    if (at <= 0) throw malformed(code, source, lineOf(data, data.length), `file ends before "${BEGIN_SIGNATURE}"`);
    lines.offset = at;
    const line = lines.next()!;
    if (line.text() === BEGIN_SIGNATURE) break;
    if (data[at + 1] !== SPACE) throw malformed(code, source, lineOf(data, at), `a line of signed text starting with "-" must be dash-escaped ("- "), found "${line.preview()}"`);
  }
  const body = data.subarray(textStart, at);

  const armorStart = lines.offset;
  for (;;) {
    const line = lines.next();
    if (line === null) throw malformed(code, source, lineOf(data, data.length), `file ends before "${END_SIGNATURE}"`);
    if (lines.offset - armorStart > MAX_ARMOR_BYTES) throw malformed(code, source, lineOf(data, line.start), `the signature block is longer than ${MAX_ARMOR_BYTES} bytes`);
    if (line.text() === END_SIGNATURE) break;
  }
  const signature = dearmorSignature(data.subarray(armorStart, lines.offset), source, code, () => lineOf(data, lines.offset - 1));
  for (;;) {
    const line = lines.next();
    if (line === null) break;
    if (line.start !== line.end) throw malformed(code, source, lineOf(data, line.start), `nothing may follow "${END_SIGNATURE}", found "${line.preview()}"`);
  }
  return { body, headerHashes, signature };
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

/**
 * The canonical text (RFC 9580 §7.2) goes to the hash through a fixed scratch buffer: lines of
 * `source` joined by CR LF, the last line end not included. Constant memory, one copy per line, through
 * plain Uint8Array views (Buffer#copy costs more per call than the copy of a 40-byte line).
 */
class CanonicalHasher {
  private readonly scratch = new Uint8Array(1 << 20);
  private readonly source: Uint8Array;
  private fill = 0;
  private lines = 0;
  constructor(private readonly hash: Hash, source: Buffer) {
    this.source = new Uint8Array(source.buffer, source.byteOffset, source.length);
  }

  line(start: number, end: number): void {
    const { scratch } = this;
    if (this.lines++ > 0) {
      if (this.fill + 2 > scratch.length) this.flush();
      scratch[this.fill++] = CR;
      scratch[this.fill++] = LF;
    }
    if (this.fill + (end - start) > scratch.length) this.flush();
    if (end - start > scratch.length) this.hash.update(this.source.subarray(start, end));
    else {
      scratch.set(this.source.subarray(start, end), this.fill);
      this.fill += end - start;
    }
  }

  flush(): void {
    this.hash.update(this.scratch.subarray(0, this.fill));
    this.fill = 0;
  }
}

/**
 * Undoes the framework's encoding of `body` and feeds the canonical text to `hash`, in one pass:
 * returns the text as the signer meant it (dash-escapes removed, trailing whitespace, which the
 * signature does not cover, removed, every line ended by "\n"). `body` must come from parseCleartext
 * and is left as it is: the text is `body` itself when there is nothing to undo (what pkgkeys signs),
 * so a large index is not copied; otherwise a copy, decoded in place from the first change on.
 */
export function canonicalize(body: Buffer, hash: Hash): Buffer {
  const out = new CanonicalHasher(hash, body);
  let text = body;
  // Where the next line goes in `text`; `body` is read from `start`, which `write` never passes.
  let write = 0;
  for (let start = 0; start < body.length; ) {
    const newline = body.indexOf(LF, start);
    let end = newline > start && body[newline - 1] === CR ? newline - 1 : newline;
    const from = body[start] === DASH ? start + 2 : start;
    while (end > from && (body[end - 1] === SPACE || body[end - 1] === TAB)) end--;
    out.line(from, end);
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

/** Feeds `text`, already canonical but for its "\n" line ends (what signableText returns), to `hash`. */
export function hashCanonical(text: Buffer, hash: Hash): void {
  const out = new CanonicalHasher(hash, text);
  for (let start = 0; start < text.length; ) {
    const newline = text.indexOf(LF, start);
    const end = newline < 0 ? text.length : newline;
    out.line(start, end);
    start = end + 1;
  }
  out.flush();
}

const HEADER_NAMES: Record<string, string> = { sha256: 'SHA256', sha512: 'SHA512' };

/**
 * The cleartext-signed form of `text` (lines ended by "\n", already without trailing whitespace)
 * around `signature`, dash-escaping lines that start with "-" (RFC 9580 §7.2). In parts, views of
 * `text` between the escapes, so a 40 MB index is not copied again.
 */
export function writeCleartext(text: Buffer, hash: 'sha256' | 'sha512', signature: Uint8Array): Buffer[] {
  const parts: Buffer[] = [Buffer.from(`${BEGIN_MESSAGE}\nHash: ${HEADER_NAMES[hash]}\n\n`)];
  const escapes: number[] = text[0] === DASH ? [0] : [];
  for (let i = text.indexOf('\n-'); i >= 0; i = text.indexOf('\n-', i + 1)) escapes.push(i + 1);
  let from = 0;
  for (const at of escapes) {
    parts.push(text.subarray(from, at), Buffer.from('- '));
    from = at;
  }
  parts.push(text.subarray(from), Buffer.from(armor('signature', signature)));
  return parts;
}

/**
 * The text as it can be signed: each line's trailing whitespace removed (the signature would not
 * cover it) and a final "\n" added if missing. Returns `text` itself when nothing changes.
 */
export function signableText(text: Buffer): Buffer {
  const clean = (text.length === 0 || text[text.length - 1] === LF) && [' \n', '\t\n', '\r\n'].every((s) => text.indexOf(s) < 0);
  if (clean) return text;
  const lines = text.toString('latin1').split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return Buffer.from(lines.map((l) => `${l.replace(/[ \t\r]+$/, '')}\n`).join(''), 'latin1');
}
