/**
 * The last step of verification (DESIGN.md §2): every package against the FILE_SIZE and FILE_CKSUM of
 * an index that has already verified. Names are checked before any path is built, sizes before hashes.
 */
import { type Code, PkgkeysError } from '../errors';
import { type Expected, PACKAGE_VARIABLES, expectedOf, packageFile, pkgnameOf } from '../packages/files';
import { hashFiles } from '../packages/hash';
import { type Entry, parseSummary } from '../summary/format';

export interface PackageResult {
  pkgname: string;
  ok: boolean;
  code?: Code;
  reason?: string;
}

export interface PackageOptions {
  /** Check only these PKGNAMEs; empty: every entry. */
  names: readonly string[];
  jobs: number;
  /** Called with the total bytes to hash, then with each amount hashed. */
  onStart?: (totalBytes: number, files: number) => void;
  onProgress?: (bytes: number) => void;
}

export async function verifyPackages(
  text: Buffer,
  source: string,
  dir: string,
  options: PackageOptions,
): Promise<PackageResult[]> {
  const entries = parseSummary(text, source, PACKAGE_VARIABLES);
  const byName = new Map(entries.map((e) => [pkgnameOf(e), e]));
  const selected: Array<{ pkgname: string; entry: Entry | undefined }> = options.names.length
    ? options.names.map((pkgname) => ({ pkgname, entry: byName.get(pkgname) }))
    : entries.map((entry) => ({ pkgname: pkgnameOf(entry), entry }));

  const results: PackageResult[] = [];
  const planned: Array<{ slot: number; file: string; expected: Expected }> = [];
  for (const { pkgname, entry } of selected) {
    try {
      if (!entry) throw new PkgkeysError('UNKNOWN_PACKAGE', `${pkgname}: not in the verified index`);
      const file = packageFile(dir, entry);
      planned.push({ slot: results.length, file, expected: expectedOf(entry) });
      results.push({ pkgname, ok: false });
    } catch (error) {
      results.push(failure(pkgname, error));
    }
  }

  options.onStart?.(
    planned.reduce((sum, p) => sum + p.expected.size, 0),
    planned.length,
  );
  const hashed = await hashFiles(
    planned.map((p) => ({ file: p.file, limit: p.expected.size })),
    { jobs: options.jobs, onProgress: options.onProgress },
  );
  planned.forEach(({ slot, file, expected }, i) => {
    const got = hashed[i]!;
    const pkgname = results[slot]!.pkgname;
    if (!got.ok) results[slot] = failure(pkgname, got.error);
    else if (got.size !== expected.size) {
      const found = got.size > expected.size ? 'is larger than' : `has ${got.size} bytes, not`;
      results[slot] = {
        pkgname,
        ok: false,
        code: 'SIZE_MISMATCH',
        reason: `${file} ${found} the ${expected.size} bytes the index says`,
      };
    } else if (got.sha256 !== expected.sha256)
      results[slot] = {
        pkgname,
        ok: false,
        code: 'HASH_MISMATCH',
        reason: `${file}: SHA-256 ${got.sha256}, the index says ${expected.sha256}`,
      };
    else results[slot] = { pkgname, ok: true };
  });
  return results;
}

function failure(pkgname: string, error: unknown): PackageResult {
  if (!(error instanceof PkgkeysError)) throw error;
  return { pkgname, ok: false, code: error.code, reason: error.message };
}
