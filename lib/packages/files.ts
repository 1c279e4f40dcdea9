/**
 * From a pkg_summary entry to its package file and the checksum it must have. Names come from the
 * index, which an attacker may have written for another repository or crafted outright, so a name that
 * could leave the package directory is refused before any path is built (DESIGN.md §3).
 */
import * as path from 'node:path';
import { PkgkeysError } from '../errors';
import { type Entry, value } from '../summary/format';

/** A plain file name: no directory part, no control characters, not hidden, not an option to pkg_add. */
const SAFE_NAME = /^[A-Za-z0-9_+][^/\\\x00-\x1f\x7f]*$/;

export const pkgnameOf = (entry: Entry): string => value(entry, 'PKGNAME')!;

/** The variables pkgnameOf, packageFile and expectedOf read: all an entry needs to check its package. */
export const PACKAGE_VARIABLES: ReadonlySet<string> = new Set(['PKGNAME', 'FILE_NAME', 'FILE_SIZE', 'FILE_CKSUM']);

/** The package file of `entry` in `dir`: FILE_NAME, or PKGNAME.tgz when absent (pkg_summary(5)). */
export function packageFile(dir: string, entry: Entry): string {
  const pkgname = pkgnameOf(entry);
  const fileName = value(entry, 'FILE_NAME') ?? `${pkgname}.tgz`;
  for (const [what, name] of [
    ['PKGNAME', pkgname],
    ['FILE_NAME', fileName],
  ] as const) {
    if (!SAFE_NAME.test(name))
      throw new PkgkeysError(
        'UNSAFE_PATH',
        `${what} "${name.slice(0, 80)}" is not a plain file name; refusing a path that could leave ${dir}`,
      );
  }
  return path.join(dir, fileName);
}

export interface Expected {
  size: number;
  sha256: string;
}

/** FILE_SIZE and FILE_CKSUM=sha256 <hex>: both required, since a package without them cannot be checked. */
export function expectedOf(entry: Entry): Expected {
  const pkgname = pkgnameOf(entry);
  const size = value(entry, 'FILE_SIZE');
  const cksum = value(entry, 'FILE_CKSUM');
  if (cksum === undefined)
    throw new PkgkeysError(
      'NO_CHECKSUM',
      `${pkgname}: the index gives no FILE_CKSUM, so the package cannot be checked`,
    );
  const m = /^sha256 ([0-9a-f]{64})$/.exec(cksum);
  if (!m)
    throw new PkgkeysError(
      'NO_CHECKSUM',
      `${pkgname}: FILE_CKSUM "${cksum.slice(0, 80)}" is not "sha256 <64 lowercase hex digits>"`,
    );
  if (size === undefined || !/^(0|[1-9][0-9]{0,15})$/.test(size)) {
    throw new PkgkeysError(
      'NO_CHECKSUM',
      `${pkgname}: the index gives ${size === undefined ? 'no FILE_SIZE' : `FILE_SIZE "${size.slice(0, 40)}", not a number`}`,
    );
  }
  return { size: Number(size), sha256: m[1]! };
}
