/**
 * The cleartext signature framework (RFC 9580 §7), read strictly and written canonically, on Buffers.
 *
 * Reading accepts exactly one form: the BEGIN line first, `Hash:` headers, an empty line, the
 * dash-escaped text, one armored signature, and nothing after it but line ends. Everything verifiers
 * usually tolerate and ignore (text before BEGIN or after END, a second block, other headers) is an
 * error here, because the text pkgkeys hands on must be exactly the text that was signed (DESIGN.md §3).
 */
import type { Hash } from 'node:crypto';
import { PkgkeysError } from '../errors';
import { armor } from './packets';

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

/** `Hash:` header names (RFC 9580 §7.1) and pkgkeys' hash names. */
const HEADER_HASHES: Record<string, string> = { SHA256: 'sha256', SHA384: 'sha384', SHA512: 'sha512', SHA224: 'sha224', SHA1: 'sha1', MD5: 'md5', RIPEMD160: 'ripemd160', 'SHA3-256': 'sha3_256', 'SHA3-512': 'sha3_512' };

export interface Cleartext {
  /**
   * The signed text as the signer meant it: dash-escapes removed, trailing whitespace (which the
   * signature does not cover) removed, every line ended by "\n". It shares memory with the input.
   */
  text: Buffer;
  /** Hashes the `Hash:` headers name, in pkgkeys' names; unknown names are kept as written. */
  headerHashes: string[];
  /** The binary signature packet(s) from the armor. */
  signature: Buffer;
}

const malformed = (source: string, line: number, message: string) => new PkgkeysError('INDEX_MALFORMED', `${source}:${line}: ${message}`);

/**
 * Parses a cleartext-signed file. Rewrites `data` in place (the text only ever shrinks), so the
 * caller must not use `data` afterwards except through the result.
 */
export function parseCleartext(data: Buffer, source: string): Cleartext {
  const lines = new LineReader(data);
  const first = lines.next();
  if (first === null || first.text() !== BEGIN_MESSAGE) {
    throw malformed(source, 1, `expected "${BEGIN_MESSAGE}" as the first line, found ${first === null ? 'an empty file' : `"${first.preview()}"`}`);
  }
  const headerHashes: string[] = [];
  for (;;) {
    const line = lines.next();
    if (line === null) throw malformed(source, lines.number, 'file ends inside the armor headers');
    if (line.start === line.end) break;
    const m = /^Hash: (.+)$/.exec(line.text());
    if (!m) throw malformed(source, lines.number, `only "Hash:" headers may follow the BEGIN line, found "${line.preview()}"`);
    for (const name of m[1]!.split(',')) headerHashes.push(HEADER_HASHES[name.trim().toUpperCase()] ?? name.trim());
  }

  // The text: copied down over itself without dash-escapes and trailing whitespace.
  let write = lines.offset;
  const textStart = write;
  for (;;) {
    const line = lines.next();
    if (line === null) throw malformed(source, lines.number, `file ends before "${BEGIN_SIGNATURE}"`);
    let { start, end } = line;
    if (data[start] === DASH) {
      if (line.text() === BEGIN_SIGNATURE) break;
      if (data[start + 1] !== SPACE) throw malformed(source, lines.number, `a line of signed text starting with "-" must be dash-escaped ("- "), found "${line.preview()}"`);
      start += 2;
    }
    while (end > start && (data[end - 1] === SPACE || data[end - 1] === TAB)) end--;
    data.copyWithin(write, start, end);
    write += end - start;
    data[write++] = LF;
  }
  const text = data.subarray(textStart, write);

  const armorStart = lines.offset;
  for (;;) {
    const line = lines.next();
    if (line === null) throw malformed(source, lines.number, `file ends before "${END_SIGNATURE}"`);
    if (lines.offset - armorStart > MAX_ARMOR_BYTES) throw malformed(source, lines.number, `the signature block is longer than ${MAX_ARMOR_BYTES} bytes`);
    if (line.text() === END_SIGNATURE) break;
  }
  const signature = dearmor(data.subarray(armorStart, lines.offset), source, lines.number);
  for (;;) {
    const line = lines.next();
    if (line === null) break;
    if (line.start !== line.end) throw malformed(source, lines.number, `nothing may follow "${END_SIGNATURE}", found "${line.preview()}"`);
  }
  return { text, headerHashes, signature };
}

/** RFC 9580 §6.2: headers, an empty line, base64, an optional CRC-24 line; checked, not trusted. */
function dearmor(block: Buffer, source: string, endLine: number): Buffer {
  const lines = block.toString('latin1').replace(/\r?\n$/, '').split(/\r?\n/);
  lines.pop(); // the END line
  let i = 0;
  while (i < lines.length && lines[i] !== '') {
    if (!/^[A-Za-z][A-Za-z0-9-]*: /.test(lines[i]!)) throw malformed(source, endLine, `unexpected line in the signature armor headers: "${lines[i]!.slice(0, 60)}"`);
    i++;
  }
  const body = lines.slice(i + 1);
  const crc = body.length > 0 && body[body.length - 1]!.startsWith('=') ? body.pop()!.slice(1) : null;
  const base64 = body.join('');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(base64) || base64.length % 4 !== 0 || base64.length === 0) {
    throw malformed(source, endLine, 'the signature armor is not valid base64');
  }
  const bytes = Buffer.from(base64, 'base64');
  if (crc !== null && Buffer.from(crc, 'base64').readUIntBE(0, 3) !== crc24(bytes)) {
    throw malformed(source, endLine, 'the signature armor checksum does not match');
  }
  return bytes;
}

/** RFC 9580 §6.1. */
function crc24(bytes: Uint8Array): number {
  let crc = 0xb704ce;
  for (const byte of bytes) {
    crc ^= byte << 16;
    for (let i = 0; i < 8; i++) {
      crc <<= 1;
      if (crc & 0x1000000) crc ^= 0x1864cfb;
    }
  }
  return crc & 0xffffff;
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
 * Feeds `text` (lines ended by "\n") into `hash` in its canonical form (RFC 9580 §7.2): lines joined by
 * CR LF, the last line end not included. Works through a fixed scratch buffer: constant memory.
 */
export function hashCanonical(text: Uint8Array, hash: Hash): void {
  const scratch = Buffer.allocUnsafe(1 << 20);
  let fill = 0;
  const last = text.length > 0 && text[text.length - 1] === LF ? text.length - 1 : text.length;
  for (let i = 0; i < last; i++) {
    const byte = text[i]!;
    if (byte === LF) scratch[fill++] = CR;
    scratch[fill++] = byte;
    if (fill >= scratch.length - 1) {
      hash.update(scratch.subarray(0, fill));
      fill = 0;
    }
  }
  hash.update(scratch.subarray(0, fill));
}

const HEADER_NAMES: Record<string, string> = { sha256: 'SHA256', sha512: 'SHA512' };

/**
 * The cleartext-signed form of `text` (lines ended by "\n", already without trailing whitespace)
 * around `signature`, dash-escaping lines that start with "-" (RFC 9580 §7.2).
 */
export function writeCleartext(text: Buffer, hash: 'sha256' | 'sha512', signature: Uint8Array): Buffer {
  const parts: Buffer[] = [Buffer.from(`${BEGIN_MESSAGE}\nHash: ${HEADER_NAMES[hash]}\n\n`)];
  const escapes: number[] = text[0] === DASH ? [0] : [];
  for (let i = text.indexOf('\n-'); i >= 0; i = text.indexOf('\n-', i + 1)) escapes.push(i + 1);
  let from = 0;
  for (const at of escapes) {
    parts.push(text.subarray(from, at), Buffer.from('- '));
    from = at;
  }
  parts.push(text.subarray(from), Buffer.from(armor('signature', signature)));
  return Buffer.concat(parts);
}

/**
 * The text as it can be signed: each line's trailing whitespace removed (the signature would not
 * cover it) and a final "\n" added if missing. Returns `text` itself when nothing changes.
 */
export function signableText(text: Buffer): Buffer {
  let clean = text.length === 0 || text[text.length - 1] === LF;
  for (let i = 0; clean && i < text.length; i++) {
    if (text[i] === LF && i > 0 && (text[i - 1] === SPACE || text[i - 1] === TAB || text[i - 1] === CR)) clean = false;
  }
  if (clean) return text;
  const lines = text.toString('latin1').split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return Buffer.from(lines.map((l) => `${l.replace(/[ \t\r]+$/, '')}\n`).join(''), 'latin1');
}
