/**
 * Builds a pkgsrc binary package (the .tgz that pkg_add installs) in memory, byte for byte the same for
 * the same input: a hand-written ustar archive, gzip'd by node:zlib. No package tools are needed.
 *
 * What the pkg_install sources (pkgsrc pkgtools/pkg_install/files/) say, and this module follows:
 * - Member order. create/build.c make_dist() writes +CONTENTS, +COMMENT, +DESC, then when given
 *   +INSTALL, +DEINSTALL, +DISPLAY, +BUILD_VERSION, +BUILD_INFO, +SIZE_PKG, +SIZE_ALL, +PRESERVE, then
 *   the plist's files in plist order. add/perform.c read_meta_data() reads leading +files against the
 *   same table (pkg_meta_descriptors): +CONTENTS, +COMMENT and +DESC are required, a duplicate or an
 *   out-of-order one fails ("misordered package"); the first other name starts the payload, and
 *   extract_files() wants each plist file to be the next member, by exact name, with no member left over.
 * - +CONTENTS. create/perform.c pkg_perform() puts `@cwd <prefix>` (-p) at the top, and `@name` at the
 *   top only when the plist has none; pkgsrc's mk/pkgformat/pkg/metadata.mk passes a plist starting with
 *   `@name`, so real packages begin `@cwd /usr/pkg`, `@name foo-1.0`. create/pl.c check_list() adds
 *   `@comment MD5:<32 lowercase hex>` after each regular file (CHECKSUM_HEADER in lib/lib.h).
 *   create/build.c pkg_build() then appends `@cwd .` and, for each +file but +CONTENTS, `@ignore` and its
 *   name, in member order. lib/plist.c stringify_plist() writes every `@cwd` as the -I real prefix, which
 *   mk/pkgformat/pkg/package.mk always passes, so that trailing `@cwd .` is `@cwd /usr/pkg` too.
 *   `@comment PKG_FORMAT_REVISION:1.1` is FreeBSD's pkg_create, not pkgsrc's. Directories are implied by
 *   files; `@pkgdir` is only for empty ones, which a PackageSpec cannot hold.
 * - Archive details. lib/file.c make_memory_file(): metadata members are uid/gid 0 (root/wheel on
 *   NetBSD); modes from build.c: +CONTENTS 0644, +INSTALL/+DEINSTALL 0555, other +files 0444. Tar format
 *   is libarchive's pax_restricted, i.e. plain ustar when no field overflows.
 * - +BUILD_INFO. add/perform.c read_buildinfo() refuses a package without OPSYS, OS_VERSION and
 *   MACHINE_ARCH; check_pkgtools_version() refuses a PKGTOOLS_VERSION that is not 8 digits or newer than
 *   the installed pkg_install (a missing one is only a warning). check_platform(): a different OPSYS or
 *   MACHINE_ARCH is an error unless pkg_add -f; an OS_VERSION mismatch (NetBSD: major versions, and
 *   -current vs release; elsewhere the exact uname -r) only warns, and CHECK_OS_VERSION=no silences it.
 *   metadata.mk writes VAR=value lines through sort(1).
 * - +SIZE_PKG / +SIZE_ALL. metadata.mk: the sum of the plist files' sizes as one decimal line; +SIZE_ALL
 *   adds the dependencies' sizes, so without dependencies it is the same number.
 * - +INSTALL. add/perform.c run_install_script() sets PKG_PREFIX (the @cwd prefix), PKG_METADATA_DIR,
 *   PKG_REFCOUNT_DBDIR (and PKG_DESTDIR under -P), then runs the script from the package's pkgdb
 *   directory as `+INSTALL <pkgname> PRE-INSTALL` before extracting and `POST-INSTALL` after; a non-zero
 *   exit aborts the installation.
 */
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { PkgkeysError } from '../errors';

export interface PackageFile {
  /** Relative to the prefix, e.g. 'share/pkgsrc-keyring/keyring.gpg'. */
  path: string;
  data: Uint8Array;
  /** Permission bits; 0o444 when absent. */
  mode?: number;
}

export interface PackageSpec {
  /** PKGNAME: base-version, e.g. 'pkgsrc-keyring-2026112301'. */
  pkgname: string;
  /** One line: +COMMENT. */
  comment: string;
  /** +DESC. */
  description: string;
  /** Where the files go (@cwd), e.g. '/usr/pkg'. */
  prefix: string;
  /** +BUILD_INFO; must hold OPSYS, OS_VERSION, MACHINE_ARCH and PKGTOOLS_VERSION. */
  buildInfo: Record<string, string>;
  /** +INSTALL script text. */
  install?: string;
  /** +DEINSTALL script text. */
  deinstall?: string;
  /** The payload, in this order in +CONTENTS and in the archive. */
  files: PackageFile[];
  /** The mtime of every archive member. */
  mtime: Date;
}

interface Member {
  name: string;
  data: Uint8Array;
  mode: number;
}

const REQUIRED_BUILD_INFO = ['OPSYS', 'OS_VERSION', 'MACHINE_ARCH', 'PKGTOOLS_VERSION'] as const;

// The version part starts with a digit and has no '-' (pkgsrc guide, "Package names"); pkg_add splits
// PKGNAME at its last '-' (add/perform.c check_other_installed()).
const PKGNAME = /^[A-Za-z0-9][A-Za-z0-9._+-]*-[0-9][A-Za-z0-9._]*$/;
const BUILD_INFO_KEY = /^[A-Z][A-Z0-9_]*$/;
const CONTROL = /[\x00-\x1f\x7f]/;

const bad = (message: string) => new PkgkeysError('BAD_INPUT', message);

/** The +CONTENTS text pkg_create would write for `spec` (see the notes at the top). */
export function contentsOf(spec: PackageSpec): string {
  check(spec);
  const lines = [`@cwd ${spec.prefix}`, `@name ${spec.pkgname}`];
  for (const file of spec.files)
    lines.push(file.path, `@comment MD5:${createHash('md5').update(file.data).digest('hex')}`);
  lines.push(`@cwd ${spec.prefix}`);
  for (const { name } of metadata(spec)) lines.push('@ignore', name);
  return `${lines.join('\n')}\n`;
}

/** The package: gzip'd ustar bytes, identical for identical specs. */
export function buildPackage(spec: PackageSpec): Buffer {
  const contents: Member = { name: '+CONTENTS', data: Buffer.from(contentsOf(spec)), mode: 0o644 };
  const payload = spec.files.map((file): Member => ({ name: file.path, data: file.data, mode: file.mode ?? 0o444 }));
  const mtime = Math.floor(spec.mtime.getTime() / 1000);
  const gz = gzipSync(ustar([contents, ...metadata(spec), ...payload], mtime), { level: 9 });
  // RFC 1952 §2.3: zlib leaves MTIME 0 but puts its build's OS code in byte 9 (3 on Unix, 19 on
  // macOS): pinned so every host writes the same bytes.
  gz[9] = 3;
  return gz;
}

/** The +files after +CONTENTS, in build.c make_dist() order, with their modes. */
function metadata(spec: PackageSpec): Member[] {
  const text = (name: string, value: string, mode = 0o444): Member => ({ name, data: Buffer.from(value), mode });
  const size = `${spec.files.reduce((sum, file) => sum + file.data.length, 0)}\n`;
  return [
    text('+COMMENT', `${spec.comment}\n`),
    text('+DESC', spec.description.endsWith('\n') ? spec.description : `${spec.description}\n`),
    ...(spec.install === undefined ? [] : [text('+INSTALL', spec.install, 0o555)]),
    ...(spec.deinstall === undefined ? [] : [text('+DEINSTALL', spec.deinstall, 0o555)]),
    text('+BUILD_INFO', buildInfoText(spec.buildInfo)),
    text('+SIZE_PKG', size),
    text('+SIZE_ALL', size),
  ];
}

/** VAR=value lines in byte order: metadata.mk's sort(1) in the C locale (pkg_add reads them in any order). */
function buildInfoText(info: Record<string, string>): string {
  const lines = Object.entries(info).map(([key, value]) => Buffer.from(`${key}=${value}\n`));
  return Buffer.concat(lines.sort(Buffer.compare)).toString();
}

function check(spec: PackageSpec): void {
  if (!PKGNAME.test(spec.pkgname))
    throw bad(`pkgname ${JSON.stringify(spec.pkgname)}: expected name-version, the version starting with a digit`);
  if (spec.comment === '' || CONTROL.test(spec.comment))
    throw bad(`comment ${JSON.stringify(spec.comment)}: expected one non-empty line`);
  if (spec.description.trim() === '') throw bad('description: expected some text, found none');
  if (!spec.prefix.startsWith('/') || !safePath(spec.prefix.slice(1))) {
    throw bad(
      `prefix ${JSON.stringify(spec.prefix)}: expected an absolute path without '.', '..', empty parts or control characters`,
    );
  }
  for (const [key, value] of Object.entries(spec.buildInfo)) {
    if (!BUILD_INFO_KEY.test(key) || CONTROL.test(value))
      throw bad(`build info ${JSON.stringify(key)}: expected an upper-case name and a one-line value`);
  }
  for (const key of REQUIRED_BUILD_INFO) {
    if (!spec.buildInfo[key])
      throw bad(`build info: ${key} is missing; pkg_add needs ${REQUIRED_BUILD_INFO.join(', ')}`);
  }
  if (!/^\d{8}$/.test(spec.buildInfo.PKGTOOLS_VERSION)) {
    throw bad(
      `build info: PKGTOOLS_VERSION ${JSON.stringify(spec.buildInfo.PKGTOOLS_VERSION)}: expected 8 digits (YYYYMMDD), which pkg_add requires`,
    );
  }
  const time = spec.mtime.getTime();
  if (!(time >= 0 && time / 1000 < 8 ** 11))
    throw bad(`mtime ${spec.mtime.toString()}: expected a time a ustar header can hold, from 1970 to 2242`);
  checkFiles(spec.files);
}

function checkFiles(files: readonly PackageFile[]): void {
  const seen = new Set<string>();
  for (const { path, mode } of files) {
    const quoted = JSON.stringify(path);
    // A leading '@' reads as a plist directive, a leading '+' as metadata (add/perform.c
    // read_meta_data()), and lib/plist.c parse_plist() strips trailing white space from each line.
    if (!safePath(path) || /^[@+]/.test(path) || /\s$/.test(path)) {
      throw bad(
        `package path ${quoted}: expected a path relative to the prefix, without '.', '..', empty parts, control characters, a leading '@' or '+', or trailing white space`,
      );
    }
    if (ustarName(Buffer.from(path)) === null)
      throw bad(`package path ${quoted}: too long for a ustar header (name 100 bytes, prefix 155)`);
    if (mode !== undefined && !(Number.isInteger(mode) && mode >= 0 && mode <= 0o777)) {
      throw bad(`package path ${quoted}: mode 0o${mode.toString(8)}: expected permission bits from 0 to 0o777`);
    }
    if (seen.has(path)) throw bad(`package path ${quoted} is listed twice`);
    seen.add(path);
  }
  for (const path of seen) {
    for (let slash = path.indexOf('/'); slash !== -1; slash = path.indexOf('/', slash + 1)) {
      if (seen.has(path.slice(0, slash)))
        throw bad(
          `package path ${JSON.stringify(path.slice(0, slash))} is a file and also the directory of ${JSON.stringify(path)}`,
        );
    }
  }
}

function safePath(path: string): boolean {
  return !CONTROL.test(path) && path.split('/').every((part) => part !== '' && part !== '.' && part !== '..');
}

/** The archive: a 512-byte header and the data padded to 512 per member, then two zero blocks. */
function ustar(members: readonly Member[], mtime: number): Buffer {
  const blocks: Uint8Array[] = [];
  for (const member of members) {
    blocks.push(header(member, mtime), member.data, Buffer.alloc(-member.data.length & 511));
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}

/** Splits a name too long for the 100-byte field at a '/' into ustar's prefix (155) and name. */
function ustarName(name: Buffer): { prefix: Buffer; name: Buffer } | null {
  if (name.length <= 100) return { prefix: Buffer.alloc(0), name };
  for (let slash = name.indexOf('/'); slash !== -1 && slash <= 155; slash = name.indexOf('/', slash + 1)) {
    if (name.length - slash - 1 <= 100) return { prefix: name.subarray(0, slash), name: name.subarray(slash + 1) };
  }
  return null;
}

/** A POSIX ustar header (pax "ustar Interchange Format") for a regular file owned by root:wheel. */
function header(member: Member, mtime: number): Buffer {
  const block = Buffer.alloc(512);
  const split = ustarName(Buffer.from(member.name))!; // checkFiles() refused names that do not fit
  const octal = (offset: number, width: number, value: number) =>
    block.write(`${value.toString(8).padStart(width - 1, '0')}\0`, offset, 'latin1');
  split.name.copy(block, 0);
  octal(100, 8, member.mode);
  octal(108, 8, 0); // uid
  octal(116, 8, 0); // gid
  octal(124, 12, member.data.length); // Buffers stop at 4 GiB, under ustar's 8 GiB
  octal(136, 12, mtime);
  block.write('        ', 148, 'latin1'); // the checksum counts its own field as spaces
  block.write('0', 156, 'latin1'); // regular file
  block.write('ustar\x0000', 257, 'latin1');
  block.write('root', 265, 'latin1');
  block.write('wheel', 297, 'latin1');
  octal(329, 8, 0); // devmajor
  octal(337, 8, 0); // devminor
  split.prefix.copy(block, 345);
  const sum = block.reduce((total, byte) => total + byte, 0);
  block.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  return block;
}
