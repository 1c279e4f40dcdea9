/**
 * BSD ar(5) archives, as libarchive's `ar_bsd` writer makes them and pkg_install reads them (a signed
 * package is one, lib/pkgsrc/signed-package.ts). "!<arch>\n", then per member a 60-byte header (name 16,
 * mtime 12, uid 6, gid 6, octal mode 8, size 10, "`\n"), the data, and a "\n" after odd-sized data.
 * A name longer than 16 bytes, or with a space, is written "#1/<length>" and put before the data,
 * counted in the size (4.4BSD's extended names).
 */
import { promises as fs } from 'node:fs';
import { type Code, PkgkeysError, ioError } from '../errors';

export const AR_MAGIC = Buffer.from('!<arch>\n');
const HEADER = 60;

/** What a member header says besides name and size: the member's file as stat(2) saw it. */
export interface MemberMeta {
  mtime: number;
  uid: number;
  gid: number;
  mode: number;
}

export interface Member {
  name: string;
  /** Where the member's data starts in the archive, and its length. */
  offset: number;
  size: number;
}

const field = (text: string, width: number, what: string): string => {
  if (text.length > width)
    throw new PkgkeysError('BAD_INPUT', `ar: ${what} ${text} does not fit in ${width} characters`);
  return text.padEnd(width, ' ');
};

/** The header of a member (with the extended name after it, when there is one), to be followed by `size` bytes of data. */
export function memberHeader(name: string, size: number, meta: MemberMeta): Buffer {
  const extended = name.length > 16 || name.includes(' ');
  const nameBytes = Buffer.from(name);
  const header =
    field(extended ? `#1/${nameBytes.length}` : name, 16, 'name') +
    field(String(Math.floor(meta.mtime)), 12, 'mtime') +
    field(String(meta.uid), 6, 'uid') +
    field(String(meta.gid), 6, 'gid') +
    field((meta.mode & 0o177777).toString(8), 8, 'mode') +
    field(String(size + (extended ? nameBytes.length : 0)), 10, 'size') +
    '`\n';
  return extended ? Buffer.concat([Buffer.from(header, 'latin1'), nameBytes]) : Buffer.from(header, 'latin1');
}

/** What ends a member of `size` data bytes (named `name`): a newline when the stored size is odd. */
export function memberPadding(name: string, size: number): Buffer {
  const extended = name.length > 16 || name.includes(' ');
  return (size + (extended ? Buffer.byteLength(name) : 0)) % 2 === 1 ? Buffer.from('\n') : Buffer.alloc(0);
}

/**
 * The members of the archive open in `handle`, in order; anything that is not a well-formed archive is
 * refused with `code`, the malformed code of what the archive is (PACKAGE_MALFORMED).
 */
export async function readMembers(handle: fs.FileHandle, source: string, code: Code): Promise<Member[]> {
  const malformed = (what: string) =>
    new PkgkeysError(code, `${source}: not an ar archive as pkg_install writes it: ${what}`);
  const { size: total } = await handle.stat();
  const read = async (position: number, length: number): Promise<Buffer> => {
    const buffer = Buffer.alloc(length);
    const { bytesRead } = await handle.read(buffer, 0, length, position).catch((cause) => {
      throw ioError('cannot read', source, cause);
    });
    if (bytesRead !== length) throw malformed(`ends inside a member header at byte ${position}`);
    return buffer;
  };
  if (total < AR_MAGIC.length || !(await read(0, AR_MAGIC.length)).equals(AR_MAGIC))
    throw malformed('does not start with "!<arch>\\n"');
  const members: Member[] = [];
  for (let at = AR_MAGIC.length; at < total;) {
    const header = (await read(at, HEADER)).toString('latin1');
    if (header.slice(58) !== '`\n') throw malformed(`member header at byte ${at} does not end in "\`\\n"`);
    const sizeText = header.slice(48, 58).trim();
    if (!/^\d{1,10}$/.test(sizeText)) throw malformed(`member size "${sizeText}" at byte ${at} is not a number`);
    let size = Number(sizeText);
    let offset = at + HEADER;
    let name = header.slice(0, 16).trimEnd();
    const extended = /^#1\/(\d{1,5})$/.exec(name);
    if (extended) {
      const length = Number(extended[1]);
      if (length > size) throw malformed(`member at byte ${at} has a name longer than its data`);
      name = (await read(offset, length)).toString('utf8').replace(/\0+$/, '');
      offset += length;
      size -= length;
    } else if (name.endsWith('/') && name !== '/') {
      name = name.slice(0, -1); // System V names end in "/"
    }
    if (offset + size > total) throw malformed(`member ${name} claims ${size} bytes, more than the archive holds`);
    members.push({ name, offset, size });
    at = offset + size + ((offset + size - at - HEADER) % 2);
  }
  return members;
}
