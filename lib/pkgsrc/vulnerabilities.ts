/**
 * pkg-vulnerabilities as `pkg_admin audit` reads it (pkg_install's lib/vulnerabilities-file.c), the
 * list `pkg_admin fetch-pkg-vulnerabilities` downloads; signed (lib/publish/vulnerabilities.ts) and
 * verified (lib/verify/vulnerabilities.ts) in the same chain as the indexes:
 *
 *     # $NetBSD: pkg-vulnerabilities,v 1.9000 2026/01/01 00:00:00 user Exp $
 *     #
 *     #FORMAT 1.1.0
 *     #
 *     # comments
 *     foo<1.2     remote-code-execution    https://example.org/advisory/1
 *     #CHECKSUM SHA512 <128 lower-case hex digits>
 *
 * Before `#FORMAT 1.1.0` only empty lines, `# $NetBSD` lines, `Hash:` lines and a `#` followed by
 * nothing but white space may stand. After it, a line is empty, a comment (`#...`), a `#CHECKSUM
 * ALGORITHM HEX` line, or an entry: a package pattern, a type and a URL, separated by white space.
 * A `#CHECKSUM` (SHA512 or SHA1; pkg_admin skips others) is the hash of the text without its empty
 * lines, `Hash:`, `# $NetBSD` and `#CHECKSUM` lines; pkg_admin checks it after the signature.
 *
 * pkg_admin reads the signed file as it stands and does not undo the framework's dash-escapes, so a
 * line of the signed text must not start with "-" (RFC 9580 §7.2 escapes it as "- "): pkg_admin
 * would read another line than the one signed, and its #CHECKSUM would not hold.
 */
import { createHash } from 'node:crypto';
import { PkgkeysError } from '../errors';

/** One `#CHECKSUM` line: what it says, and what the text hashes to (null: an algorithm pkg_admin skips). */
export interface Checksum {
  line: number;
  algorithm: string;
  expected: string;
  actual: string | null;
}

export interface VulnerabilityList {
  entries: number;
  checksums: Checksum[];
}

/** The #CHECKSUM algorithms pkg_admin computes, by their names there; it warns about any other and goes on. */
const CHECKSUM_HASHES: Record<string, string> = { SHA512: 'sha512', SHA1: 'sha1' };

const malformed = (source: string, line: number, message: string) =>
  new PkgkeysError('VULNERABILITIES_MALFORMED', `${source}:${line}: ${message}`);
/** C's isspace() in the "C" locale, as pkg_admin tests it. */
const SPACE = /[ \t\n\v\f\r]/;
const preview = (line: string) => (line.length > 60 ? `${line.slice(0, 60)}...` : line);

/**
 * Reads the text of a pkg-vulnerabilities file (signed text, lines ended by "\n") as pkg_admin does,
 * refusing what it refuses, and hashes it for each #CHECKSUM line without judging the result.
 */
export function readVulnerabilities(text: Buffer, source: string): VulnerabilityList {
  if (text.includes(0)) throw malformed(source, 1, 'the file holds a NUL byte, which pkg_admin refuses');
  if (text.length > 0 && text[text.length - 1] !== 0x0a)
    throw malformed(source, 1, 'the last line has no line end, which pkg_admin refuses');
  const lines = text.toString('latin1').split('\n');
  lines.pop();
  const dashed = lines.findIndex((l) => l.startsWith('-'));
  if (dashed >= 0) {
    throw malformed(
      source,
      dashed + 1,
      `a line starts with "-" ("${preview(lines[dashed]!)}"): the signature escapes it as "- ", which pkg_admin would read as part of the line`,
    );
  }

  let at = 0;
  for (; at < lines.length; at++) {
    const line = lines[at]!;
    if (line === '' || line.startsWith('Hash:') || line.startsWith('# $NetBSD')) continue;
    if (line[0] === '#' && SPACE.test(line[1] ?? '\n')) {
      if (line.slice(1).trim() !== '')
        throw malformed(source, at + 1, `only "#" lines may stand before "#FORMAT", found "${preview(line)}"`);
      continue;
    }
    if (!/^#FORMAT[ \t\v\f\r]+1\.1\.0[ \t\v\f\r]*$/.test(line))
      throw malformed(source, at + 1, `expected "#FORMAT 1.1.0", found "${preview(line)}"`);
    break;
  }
  if (at === lines.length)
    throw malformed(
      source,
      Math.max(1, lines.length),
      'no "#FORMAT 1.1.0" line: this is not a pkg-vulnerabilities file',
    );

  let entries = 0;
  const checksums: Checksum[] = [];
  for (at++; at < lines.length; at++) {
    const line = lines[at]!;
    if (line === '') continue;
    if (line.startsWith('#CHECKSUM')) {
      const m = /^#CHECKSUM[ \t\v\f\r]+([A-Za-z0-9]*)(.*)$/.exec(line);
      if (!m || m[1] === '')
        throw malformed(source, at + 1, `expected "#CHECKSUM ALGORITHM HEX", found "${preview(line)}"`);
      const [, algorithm, rest] = m as unknown as [string, string, string];
      const hash = CHECKSUM_HASHES[algorithm];
      // pkg_admin skips an algorithm it does not know (with a warning), whatever follows its name.
      if (!hash || !/^[ \t\v\f\r]/.test(rest)) {
        checksums.push({ line: at + 1, algorithm, expected: rest.trim(), actual: null });
        continue;
      }
      const value = /^[ \t\v\f\r]+([0-9A-Za-z]+)[ \t\v\f\r]*$/.exec(rest);
      if (!value) throw malformed(source, at + 1, `expected "#CHECKSUM ${algorithm} HEX", found "${preview(line)}"`);
      checksums.push({ line: at + 1, algorithm, expected: value[1]!, actual: checksumOf(lines, hash) });
      continue;
    }
    if (line[0] === '#') continue;
    const fields = line.trim().split(/[ \t\v\f\r]+/);
    if (SPACE.test(line[0]!) || fields.length < 3) {
      throw malformed(source, at + 1, `expected an entry "PATTERN TYPE URL", found "${preview(line)}"`);
    }
    entries++;
  }
  return { entries, checksums };
}

/** pkg_admin's verify_hash: the text without its empty, `Hash:`, `# $NetBSD` and `#CHECKSUM` lines. */
function checksumOf(lines: string[], hash: string): string {
  const digest = createHash(hash);
  for (const line of lines) {
    if (line === '' || line.startsWith('Hash:') || line.startsWith('# $NetBSD') || line.startsWith('#CHECKSUM'))
      continue;
    digest.update(`${line}\n`, 'latin1');
  }
  return digest.digest('hex');
}

/** readVulnerabilities, and every #CHECKSUM pkg_admin computes must hold. */
export function checkVulnerabilities(text: Buffer, source: string): VulnerabilityList {
  const list = readVulnerabilities(text, source);
  const wrong = list.checksums.find((c) => c.actual !== null && c.actual !== c.expected);
  if (wrong) throw checksumMismatch(source, wrong);
  return list;
}

export const checksumMismatch = (source: string, c: Checksum) =>
  malformed(
    source,
    c.line,
    `#CHECKSUM ${c.algorithm} says ${c.expected}, but the text hashes to ${c.actual}: pkg_admin would refuse the file`,
  );
