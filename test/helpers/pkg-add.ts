/**
 * pkg_add's reading of a signed package, modelled exactly (pkg_install 20210410, lib/pkg_signature.c),
 * for tests: pkg_add is not installed here. parse_hash_file takes +PKG_HASH (a block size of at least
 * 1024, the file size, one SHA-512 line per block), pkg_verify_signature compares the inner member's
 * size, and verify_signature_read_cb hands the package to libarchive block by block: `block size`
 * bytes, but `size % block size` bytes for the last block, each compared with its line. The
 * signature over +PKG_HASH is not modelled: gpgv and verify-package check it in the tests.
 */
import { createHash } from 'node:crypto';

export interface ArMember {
  name: string;
  mode: string;
  data: Buffer;
}

/** The members of a BSD ar archive, read independently of lib/pkgsrc/ar.ts. */
export function arMembers(archive: Buffer): ArMember[] {
  if (archive.subarray(0, 8).toString() !== '!<arch>\n') throw new Error('not an ar archive');
  const members = [];
  for (let at = 8; at < archive.length;) {
    const header = archive.subarray(at, at + 60).toString('latin1');
    if (header.slice(58) !== '`\n') throw new Error(`bad ar member header at ${at}`);
    let size = Number(header.slice(48, 58).trim());
    let name = header.slice(0, 16).trimEnd();
    let start = at + 60;
    const long = /^#1\/(\d+)$/.exec(name);
    if (long) {
      name = archive.subarray(start, start + Number(long[1])).toString();
      start += Number(long[1]);
      size -= Number(long[1]);
    }
    members.push({ name, mode: header.slice(40, 48).trim(), data: archive.subarray(start, start + size) });
    const stored = start + size - at - 60;
    at += 60 + stored + (stored % 2);
  }
  return members;
}

export type PkgAddResult =
  { ok: true; pkgname: string; blockSize: number; data: Buffer } | { ok: false; error: string };

const sha512 = (data: Buffer) => createHash('sha512').update(data).digest('hex');

/** strtoul/strtoll as parse_hash_file calls them: a digit first, then as many digits as follow. */
function number(text: string, at: number): { value: number; next: number } | null {
  const m = /^[0-9]+/.exec(text.slice(at));
  return m ? { value: Number(m[0]), next: at + m[0].length } : null;
}

/** What pkg_add does with a signed package: the bytes it would hand to libarchive as the package, or its warning. */
export function pkgAddModel(archive: Buffer): PkgAddResult {
  const members = arMembers(archive);
  const unknown: PkgAddResult = { ok: false, error: 'Unknown format of hash file' };
  if (members[0]?.name !== '+PKG_HASH' || members[1]?.name !== '+PKG_GPG_SIGNATURE' || !members[2])
    return { ok: false, error: 'no valid signature' };
  const text = members[0].data.toString('latin1');

  // parse_hash_file
  const head = 'pkgsrc signature\n\nversion: 1\npkgname: ';
  if (!text.startsWith(head)) return unknown;
  let at = head.length;
  const end = text.indexOf('\n', at);
  if (end < 0) return unknown;
  const pkgname = text.slice(at, end);
  if (!/^[\x21-\x7e]*$/.test(pkgname)) return unknown;
  at = end + 1;
  const algorithm = 'algorithm: SHA512\nblock size: ';
  if (!text.startsWith(algorithm, at)) return unknown;
  const blockSize = number(text, at + algorithm.length);
  if (!blockSize || text[blockSize.next] !== '\n' || blockSize.value < 1024) return unknown;
  at = blockSize.next + 1;
  if (!text.startsWith('file size: ', at)) return unknown;
  const size = number(text, at + 'file size: '.length);
  if (!size || text[size.next] !== '\n' || size.value < 1) return unknown;
  at = size.next + 1;
  if (text[at++] !== '\n') return unknown;
  const count = Math.ceil(size.value / blockSize.value);
  const lines: string[] = [];
  for (let i = 0; i < count; i++) {
    const line = /^[0-9a-f]*/.exec(text.slice(at))![0];
    if (line.length !== 128 || text[at + 128] !== '\n') return unknown;
    lines.push(line);
    at += 129;
  }
  if (text.slice(at) !== 'end pkgsrc signature\n') return unknown;

  // pkg_verify_signature
  const inner = members[2].data;
  if (inner.length !== size.value) return { ok: false, error: "Package size doesn't match signature" };

  // verify_signature_read_cb, until it returns 0 (the end of the package for libarchive)
  const read: Buffer[] = [];
  let offset = 0;
  for (let block = 0; block < count; block++) {
    const expected = block + 1 === count ? size.value % blockSize.value : blockSize.value;
    const data = inner.subarray(offset, offset + expected);
    if (data.length !== expected) return { ok: false, error: 'Short read from package' };
    if (sha512(data) !== lines[block]) return { ok: false, error: `Invalid signature of block ${block}` };
    read.push(data);
    offset += expected;
  }
  return { ok: true, pkgname, blockSize: blockSize.value, data: Buffer.concat(read) };
}
