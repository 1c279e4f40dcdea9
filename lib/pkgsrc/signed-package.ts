/**
 * pkg_install's signed binary package (DESIGN.md §4; pkg_install's lib/pkg_signature.c), the format
 * pkg_add checks with VERIFIED_INSTALLATION: a BSD ar archive of
 *
 *   +PKG_HASH           "pkgsrc signature", the pkgname, SHA512, the block size, the file size,
 *                       then the SHA-512 of each block of the package, one hex line each;
 *   +PKG_GPG_SIGNATURE  a detached, armored, binary-mode OpenPGP signature over +PKG_HASH;
 *   <name>.tgz          the package itself, unchanged.
 *
 * pkg_add takes any block size of at least 1024 bytes, and reads `size % block size` bytes for the
 * last block (verify_signature_read_cb): when the block size divides the size, that is nothing, the
 * last hash never matches, and the package cannot be installed. So a package is signed with 65536,
 * pkg_install's own block size, unless that divides its size, and then with the largest smaller one
 * that does not; and a signed package whose block size pkg_add would refuse is refused here too.
 */
import { createHash } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import { createGunzip } from 'node:zlib';
import { PkgkeysError, ioError } from '../errors';
import { type Writer } from '../fsutil';
import { type Member, type MemberMeta, AR_MAGIC, memberHeader, memberPadding, readMembers } from './ar';

export const HASH_MEMBER = '+PKG_HASH';
export const SIGNATURE_MEMBER = '+PKG_GPG_SIGNATURE';
/** pkg_install's own block size (pkg_admin gpg-sign-package). */
export const BLOCK_SIZE = 65536;
/** pkg_add's floor ("Assert sane minimum block size of 1KB"). */
export const MIN_BLOCK_SIZE = 1024;
/** pkg_add holds a whole block in memory: pkgkeys vouches for blocks up to 16 MiB, 256 times its own. */
export const MAX_BLOCK_SIZE = 16 * 1024 * 1024;
/** +PKG_HASH of an 8 GiB package is 17 MB. */
const MAX_HASH_BYTES = 32 * 1024 * 1024;
const MAX_SIGNATURE_BYTES = 64 * 1024;
/** +CONTENTS of the largest packages is a few MB. */
const MAX_CONTENTS_BYTES = 64 * 1024 * 1024;
/** Blocks are hashed from reads of at most this much. */
const READ_BYTES = 1024 * 1024;

export interface HashFile {
  pkgname: string;
  size: number;
  blockSize: number;
  /** SHA-512 of each block, lowercase hex. */
  blocks: string[];
}

export function formatHashFile(hash: HashFile): string {
  return `pkgsrc signature\n\nversion: 1\npkgname: ${hash.pkgname}\nalgorithm: SHA512\nblock size: ${hash.blockSize}\nfile size: ${hash.size}\n\n${hash.blocks.map((b) => `${b}\n`).join('')}end pkgsrc signature\n`;
}

/**
 * Why pkg_add cannot verify a package of `size` bytes signed with blocks of `blockSize`, or null when
 * it can: a block size below its floor, or one that divides the size (an empty last block).
 */
export function pkgAddRefusal(size: number, blockSize: number): string | null {
  if (blockSize < MIN_BLOCK_SIZE)
    return `the block size ${blockSize} is below the ${MIN_BLOCK_SIZE} bytes pkg_add requires ("Unknown format of hash file")`;
  if (blockSize > MAX_BLOCK_SIZE)
    return `the block size ${blockSize} is above the ${MAX_BLOCK_SIZE} bytes pkgkeys vouches pkg_add can hold in memory`;
  if (size % blockSize === 0) {
    return `its ${size} bytes are a multiple of the block size ${blockSize}: pkg_add reads size % block size bytes, none, for the last block and refuses it ("Invalid signature of block ${size / blockSize - 1}")`;
  }
  return null;
}

/** The block size to sign a package of `size` bytes with: 65536, unless it divides the size, then the largest smaller one that does not. */
export function blockSizeFor(size: number): number {
  for (let blockSize = BLOCK_SIZE; blockSize >= MIN_BLOCK_SIZE; blockSize--)
    if (pkgAddRefusal(size, blockSize) === null) return blockSize;
  // Only a size divisible by every number from 1024 to 65536 gets here, and it is far above 2^53.
  throw new PkgkeysError(
    'TOO_LARGE',
    `no block size from ${MIN_BLOCK_SIZE} to ${BLOCK_SIZE} leaves a last block for ${size} bytes`,
  );
}

/**
 * Reads +PKG_HASH as pkgkeys writes it, with any block size pkg_add takes: any other text is refused,
 * and so is a block size pkg_add cannot verify the package with (PKG_ADD_UNVERIFIABLE).
 */
export function parseHashFile(text: string, source: string): HashFile {
  const m =
    /^pkgsrc signature\n\nversion: 1\npkgname: ([\x21-\x7e]+)\nalgorithm: SHA512\nblock size: ([0-9]{1,16})\nfile size: ([1-9][0-9]{0,15})\n\n((?:[0-9a-f]{128}\n)*)end pkgsrc signature\n$/.exec(
      text,
    );
  if (!m)
    throw new PkgkeysError(
      'PACKAGE_MALFORMED',
      `${source}: ${HASH_MEMBER} is not a pkgsrc signature (version 1, SHA512)`,
    );
  const [blockSize, size] = [Number(m[2]), Number(m[3])];
  const refusal = pkgAddRefusal(size, blockSize);
  if (refusal)
    throw new PkgkeysError(
      'PKG_ADD_UNVERIFIABLE',
      `${source}: pkg_add cannot verify this package: ${refusal}; sign the package again with pkgkeys sign-package`,
    );
  const blocks = m[4]!.split('\n').filter((b) => b !== '');
  const expected = Math.ceil(size / blockSize);
  if (blocks.length !== expected)
    throw new PkgkeysError(
      'PACKAGE_MALFORMED',
      `${source}: ${HASH_MEMBER} has ${blocks.length} block hashes for a file of ${size} bytes in blocks of ${blockSize}, not ${expected}`,
    );
  return { pkgname: m[1]!, size, blockSize, blocks };
}

/** The SHA-512 of each block of `blockSize` bytes (the last one shorter) of `size` bytes from `offset` of an open file. */
export async function blockHashes(
  handle: fs.FileHandle,
  offset: number,
  size: number,
  blockSize: number,
  source: string,
): Promise<string[]> {
  const buffer = Buffer.alloc(Math.max(1, Math.min(blockSize, size, READ_BYTES)));
  const hashes: string[] = [];
  for (let start = 0; start < size; start += blockSize) {
    const end = Math.min(start + blockSize, size);
    const hash = createHash('sha512');
    for (let at = start; at < end;) {
      const { bytesRead } = await handle
        .read(buffer, 0, Math.min(buffer.length, end - at), offset + at)
        .catch((cause) => {
          throw ioError('cannot read', source, cause);
        });
      if (bytesRead === 0) throw ioError('cannot read', source, new Error('the file is shorter than it was'));
      hash.update(buffer.subarray(0, bytesRead));
      at += bytesRead;
    }
    hashes.push(hash.digest('hex'));
  }
  return hashes;
}

/**
 * The `@name` of a binary package's +CONTENTS, its first member (DESIGN.md §4), read from `size`
 * bytes at `offset` of a file: only as much is decompressed as that needs.
 */
export async function readPkgname(file: string, offset: number, size: number, source: string): Promise<string> {
  if (size === 0) throw new PkgkeysError('PACKAGE_MALFORMED', `${source}: the package is empty`);
  const stream = createReadStream(file, { start: offset, end: offset + size - 1 }).pipe(createGunzip());
  let data = Buffer.alloc(0);
  let contents: Buffer | null = null;
  try {
    for await (const chunk of stream) {
      data = Buffer.concat([data, chunk as Buffer]);
      contents = firstMember(data, source);
      if (contents) break;
    }
  } catch (error) {
    if (error instanceof PkgkeysError) throw error;
    throw new PkgkeysError('PACKAGE_MALFORMED', `${source}: not a gzip'd tar package: ${(error as Error).message}`, {
      cause: error,
    });
  } finally {
    stream.destroy();
  }
  if (!contents) throw new PkgkeysError('PACKAGE_MALFORMED', `${source}: the package ends before its +CONTENTS does`);
  const name = /^@name (\S+)$/m.exec(contents.toString('latin1'));
  if (!name) throw new PkgkeysError('PACKAGE_MALFORMED', `${source}: +CONTENTS has no @name`);
  return name[1]!;
}

/** +CONTENTS if `data` (the start of the tar stream) holds all of it; null if more is needed. Pax headers before it are skipped. */
function firstMember(data: Buffer, source: string): Buffer | null {
  for (let at = 0; ;) {
    if (data.length < at + 512) return null;
    const header = data.subarray(at, at + 512);
    const name = header.subarray(0, 100).toString('latin1').replace(/\0.*$/s, '');
    const size = parseInt(header.subarray(124, 136).toString('latin1').replace(/\0.*$/s, '').trim() || 'x', 8);
    if (!Number.isSafeInteger(size) || size > MAX_CONTENTS_BYTES)
      throw new PkgkeysError('PACKAGE_MALFORMED', `${source}: not a tar package (bad member size)`);
    const type = String.fromCharCode(header[156]!);
    if (type === 'x' || type === 'g') {
      at += 512 + Math.ceil(size / 512) * 512;
      continue;
    }
    if (name !== '+CONTENTS')
      throw new PkgkeysError(
        'PACKAGE_MALFORMED',
        `${source}: the package does not start with +CONTENTS (found "${name.slice(0, 60)}")`,
      );
    return data.length >= at + 512 + size ? data.subarray(at + 512, at + 512 + size) : null;
  }
}

/** Writes the signed package: the two signature members, then `size` bytes of the package read from `input`. */
export function signedPackageWriter(parts: {
  hash: string;
  signature: string;
  name: string;
  input: fs.FileHandle;
  size: number;
  meta: MemberMeta;
}): Writer {
  return async (out) => {
    for (const [name, text] of [
      [HASH_MEMBER, parts.hash],
      [SIGNATURE_MEMBER, parts.signature],
    ] as const) {
      const data = Buffer.from(text);
      await out.writeFile(
        Buffer.concat([
          name === HASH_MEMBER ? AR_MAGIC : Buffer.alloc(0),
          memberHeader(name, data.length, parts.meta),
          data,
          memberPadding(name, data.length),
        ]),
      );
    }
    await out.writeFile(memberHeader(parts.name, parts.size, parts.meta));
    const buffer = Buffer.alloc(1 << 20);
    for (let done = 0; done < parts.size;) {
      const { bytesRead } = await parts.input.read(buffer, 0, Math.min(buffer.length, parts.size - done), done);
      if (bytesRead === 0) throw new Error('the package is shorter than it was');
      await out.writeFile(buffer.subarray(0, bytesRead));
      done += bytesRead;
    }
    await out.writeFile(memberPadding(parts.name, parts.size));
  };
}

export interface SignedPackage {
  hashText: string;
  hash: HashFile;
  signature: string;
  /** The inner package: its name and where it lies in the file. */
  inner: Member;
}

/** The three members of a signed package, in their order; anything else is refused before a signature is looked at. */
export async function readSignedPackage(handle: fs.FileHandle, source: string): Promise<SignedPackage> {
  const members = await readMembers(handle, source, 'PACKAGE_MALFORMED');
  const names = members.map((m) => m.name);
  if (members.length !== 3 || names[0] !== HASH_MEMBER || names[1] !== SIGNATURE_MEMBER || names[2]!.startsWith('+')) {
    throw new PkgkeysError(
      'PACKAGE_MALFORMED',
      `${source}: a signed package holds ${HASH_MEMBER}, ${SIGNATURE_MEMBER} and the package, in that order; found ${names.join(', ') || 'nothing'}`,
    );
  }
  const [hashMember, signatureMember, inner] = members as [Member, Member, Member];
  const text = async (member: Member, limit: number) => {
    if (member.size > limit)
      throw new PkgkeysError(
        'TOO_LARGE',
        `${source}: ${member.name} has ${member.size} bytes, more than the ${limit} allowed`,
      );
    const buffer = Buffer.alloc(member.size);
    await handle.read(buffer, 0, member.size, member.offset);
    return buffer.toString('latin1');
  };
  const hashText = await text(hashMember, MAX_HASH_BYTES);
  return {
    hashText,
    hash: parseHashFile(hashText, source),
    signature: await text(signatureMember, MAX_SIGNATURE_BYTES),
    inner,
  };
}
