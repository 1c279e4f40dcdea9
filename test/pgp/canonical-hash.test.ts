/**
 * The canonical text a cleartext signature covers (RFC 9580 §7.2) is hashed through fixed memory, a
 * window of the source at a time (lib/pgp/cleartext.ts). Here it is held to the rule spelled out
 * naively, a string join, on texts whose lines straddle the window's edges, are longer than the window,
 * or are empty, through each of the three ways in: hashCanonical (signing), canonicalize (a whole signed
 * file) and CleartextReader (a file in chunks, read into one reused buffer).
 */
import { createHash } from 'node:crypto';
import {
  CleartextReader,
  canonicalize,
  hashCanonical,
  parseCleartext,
  signableText,
  writeCleartext,
} from '../../lib/pgp';

const MiB = 1 << 20;

/** The rule itself: the lines joined by CR LF, no line end after the last. */
const reference = (lines: string[], algorithm = 'sha256') =>
  createHash(algorithm)
    .update(Buffer.from(lines.join('\r\n'), 'latin1'))
    .digest('hex');

/** A seeded generator, so a failure can be run again. */
function random(seed: number): () => number {
  let x = seed;
  return () => {
    x = (Math.imul(x ^ (x >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) | 0;
    return (x >>> 0) / 2 ** 32;
  };
}

/** Lines of printable latin1, some starting with "-" (to be dash-escaped), none ending in a blank. */
function linesOf(lengths: number[], seed: number): string[] {
  const next = random(seed);
  return lengths.map((length, n) => {
    let line = '';
    while (line.length < length) line += String.fromCharCode(0x21 + Math.floor(next() * 0x5d));
    return n % 7 === 3 && length > 0 ? `-${line.slice(1)}` : line;
  });
}

const texts: Record<string, number[]> = {
  'short lines across several windows': Array.from({ length: 120_000 }, (_, n) => (n * 37) % 61),
  'lines of 1000 bytes, window edges inside them': Array.from({ length: 3_500 }, () => 1000),
  'a line longer than the window between short ones': [5, 3 * MiB + 17, 0, 12, MiB, MiB - 1, MiB + 1, 40],
  'a line of exactly the window, then an empty line': [MiB, 0, 3],
  'empty lines only': [0, 0, 0],
  'an empty first line': [0, 1],
  'one line': [42],
};

/**
 * The signed file pkgkeys writes, naming SHA512 besides SHA256 (two hashes fed at once), its text then
 * with a CR before every 5th line end and blanks after every 11th line.
 */
function signedFile(text: Buffer): Buffer {
  const file = Buffer.concat(writeCleartext(text, 'sha256', Uint8Array.of(0xc2, 0x01, 0x02)))
    .toString('latin1')
    .replace('Hash: SHA256\n', 'Hash: SHA256, SHA512\n');
  const start = file.indexOf('\n\n') + 2;
  const end = file.indexOf('-----BEGIN PGP SIGNATURE-----');
  let n = 0;
  const body = file.slice(start, end).replace(/\n/g, () => (++n % 5 === 0 ? '\r\n' : n % 11 === 0 ? ' \t \n' : '\n'));
  return Buffer.from(file.slice(0, start) + body + file.slice(end), 'latin1');
}

describe.each(Object.entries(texts))('the canonical hash of %s', (_name, lengths) => {
  const lines = linesOf(lengths, lengths.length);
  const text = Buffer.from(lines.map((l) => `${l}\n`).join(''), 'latin1');
  const expected = reference(lines);

  it('hashCanonical: as the rule says', () => {
    const hash = createHash('sha256');
    hashCanonical(text, hash);
    expect(hash.digest('hex')).toBe(expected);
  });

  it('canonicalize, on the signed file with CR LF and trailing blanks: as the rule says, and the text as signed', () => {
    const hash = createHash('sha256');
    const decoded = canonicalize(parseCleartext(signedFile(text), 'test', 'INDEX_MALFORMED').body, hash);
    expect(hash.digest('hex')).toBe(expected);
    expect(decoded.equals(text)).toBe(true);
  });

  it.each([4093, MiB - 3, MiB, 2 * MiB + 5])(
    'CleartextReader, %d-byte chunks in one reused buffer: as the rule says, and the text as signed',
    (size) => {
      const file = signedFile(text);
      const pieces: Buffer[] = [];
      const reader = new CleartextReader('test', 'INDEX_MALFORMED', (piece) => void pieces.push(Buffer.from(piece)));
      const reused = Buffer.alloc(size);
      for (let at = 0; at < file.length; at += size) {
        const n = file.copy(reused, 0, at, Math.min(file.length, at + size));
        reader.push(reused.subarray(0, n));
        reused.fill(0x58); // what the next read would overwrite: no byte of this chunk may be read again
      }
      const read = reader.end();
      expect(read.hashes.get('sha256')!.digest('hex')).toBe(expected);
      expect(read.hashes.get('sha512')!.digest('hex')).toBe(reference(lines, 'sha512'));
      expect(Buffer.concat(pieces).equals(text)).toBe(true);
    },
  );
});

describe('CleartextReader, a small signed file cut in two at every byte', () => {
  const lines = linesOf([0, 3, 0, 7, 1, 0, 12], 7);
  const text = Buffer.from(lines.map((l) => `${l}\n`).join(''), 'latin1');
  const file = signedFile(text);

  it.each(Array.from({ length: file.length + 1 }, (_, at) => at))('cut at byte %d: as the rule says', (at) => {
    const pieces: Buffer[] = [];
    const reader = new CleartextReader('test', 'INDEX_MALFORMED', (piece) => void pieces.push(Buffer.from(piece)));
    reader.push(Buffer.from(file.subarray(0, at)));
    reader.push(Buffer.from(file.subarray(at)));
    const read = reader.end();
    expect(read.hashes.get('sha256')!.digest('hex')).toBe(reference(lines));
    expect(Buffer.concat(pieces).equals(text)).toBe(true);
  });
});

describe('signableText: the text itself when it can be signed as it is, else a copy without what it cannot keep', () => {
  it.each(['', '\n', 'A=1\n', '\n\nA=1\n\n', '- x\n-\n', 'A= x\n\nB=\t1\n'])('%j is signable as it is', (raw) => {
    const text = Buffer.from(raw, 'latin1');
    expect(signableText(text)).toBe(text);
  });

  it.each([
    [' \n', '\n'],
    ['A=1 \n', 'A=1\n'],
    ['A=1\nB=2\t\n', 'A=1\nB=2\n'],
    ['A=1\r\nB=2\r\n', 'A=1\nB=2\n'],
    ['\t\nA=1\n', '\nA=1\n'],
    ['A=1', 'A=1\n'],
    ['A=1\nB=2  ', 'A=1\nB=2\n'],
  ])('%j is signed as %j', (raw, signable) => {
    const text = Buffer.from(raw, 'latin1');
    const result = signableText(text);
    expect(result).not.toBe(text);
    expect(result.toString('latin1')).toBe(signable);
  });
});
