/**
 * The last step of verification (lib/verify/packages.ts) directly: each package of an index that has
 * verified, against its FILE_SIZE and FILE_CKSUM; names before paths, sizes before hashes. One result
 * per package, with its code.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { verifyPackages } from '../../lib/verify/packages';
import { cleanup, tempDir } from '../helpers/cli';
import { entry } from '../helpers/repo';

let dir: string;
beforeAll(async () => {
  dir = await tempDir();
  for (const name of ['good-1.0', 'short-1.0', 'long-1.0', 'other-1.0', 'renamed-1.0'])
    await fs.writeFile(path.join(dir, `${name}.tgz`), `the ${name} package\n`);
});
afterAll(() => cleanup(dir));

const content = (name: string) => Buffer.from(`the ${name} package\n`);
const check = (text: string, names: string[] = []) =>
  verifyPackages(Buffer.from(text), 'pkg_summary', dir, { names, jobs: 2 });
/** The code of each package, or 'ok'. */
const outcome = async (text: string, names?: string[]) =>
  Object.fromEntries((await check(text, names)).map((r) => [r.pkgname, r.ok ? 'ok' : r.code]));

describe('verifyPackages', () => {
  it('accepts a package of the size and SHA-256 the index gives, under PKGNAME.tgz or FILE_NAME', async () => {
    const text =
      entry('good-1.0', [], content('good-1.0')) +
      entry('alias-1.0', ['FILE_NAME=renamed-1.0.tgz'], content('renamed-1.0'));
    expect(await outcome(text)).toEqual({ 'good-1.0': 'ok', 'alias-1.0': 'ok' });
  });

  it('SIZE_MISMATCH: a file shorter or longer than FILE_SIZE, before any hash is compared', async () => {
    const text =
      entry('short-1.0', [], Buffer.concat([content('short-1.0'), Buffer.from('more')])) +
      entry('long-1.0', [], content('long-1.0').subarray(1));
    const results = await check(text);
    expect(results.map((r) => [r.pkgname, r.code])).toEqual([
      ['short-1.0', 'SIZE_MISMATCH'],
      ['long-1.0', 'SIZE_MISMATCH'],
    ]);
    expect(results[0]!.reason).toBe(`${path.join(dir, 'short-1.0.tgz')} has 22 bytes, not the 26 bytes the index says`);
    expect(results[1]!.reason).toBe(`${path.join(dir, 'long-1.0.tgz')} is larger than the 20 bytes the index says`);
  });

  it('HASH_MISMATCH: a file of the right size with other bytes', async () => {
    const forged = Buffer.from(content('other-1.0'));
    forged[0] ^= 1;
    expect(await outcome(entry('other-1.0', [], forged))).toEqual({ 'other-1.0': 'HASH_MISMATCH' });
  });

  it('NO_CHECKSUM: an entry without FILE_CKSUM, with another algorithm, or without FILE_SIZE', async () => {
    const text = [
      entry('good-1.0'),
      entry('good-1.0', [
        `FILE_SIZE=${content('good-1.0').length}`,
        'FILE_CKSUM=sha1 0123456789012345678901234567890123456789',
      ]),
      entry('good-1.0', [`FILE_CKSUM=sha256 ${'0'.repeat(64)}`]),
    ];
    for (const t of text) expect(await outcome(t)).toEqual({ 'good-1.0': 'NO_CHECKSUM' });
  });

  it('UNSAFE_PATH: a PKGNAME or FILE_NAME that could leave the directory, refused before a path is built', async () => {
    const text =
      entry('../../etc/passwd-1.0', [], content('good-1.0')) +
      entry('fine-1.0', ['FILE_NAME=../good-1.0.tgz'], content('good-1.0')) +
      entry('dot-1.0', ['FILE_NAME=.hidden.tgz'], content('good-1.0'));
    expect(await outcome(text)).toEqual({
      '../../etc/passwd-1.0': 'UNSAFE_PATH',
      'fine-1.0': 'UNSAFE_PATH',
      'dot-1.0': 'UNSAFE_PATH',
    });
  });

  it('UNKNOWN_PACKAGE: a name asked for that the index does not list; only the names asked for are checked', async () => {
    const text =
      entry('good-1.0', [], content('good-1.0')) + entry('other-1.0', [], Buffer.from('not what the file holds'));
    expect(await outcome(text, ['good-1.0', 'absent-1.0'])).toEqual({
      'good-1.0': 'ok',
      'absent-1.0': 'UNKNOWN_PACKAGE',
    });
  });

  it('PACKAGE_MISSING: a package listed but not there', async () => {
    const results = await check(entry('gone-1.0', [], content('gone-1.0')));
    expect(results).toEqual([
      {
        pkgname: 'gone-1.0',
        ok: false,
        code: 'PACKAGE_MISSING',
        reason: `${path.join(dir, 'gone-1.0.tgz')}: no such package file`,
      },
    ]);
  });

  it('reports the total before hashing and the progress while hashing', async () => {
    const seen: number[] = [];
    const text = entry('good-1.0', [], content('good-1.0')) + entry('other-1.0', [], content('other-1.0'));
    await verifyPackages(Buffer.from(text), 'pkg_summary', dir, {
      names: [],
      jobs: 1,
      onStart: (bytes, files) => seen.push(bytes, files),
      onProgress: (bytes) => seen.push(bytes),
    });
    expect(seen.slice(0, 2)).toEqual([content('good-1.0').length + content('other-1.0').length, 2]);
    expect(seen.slice(2).reduce((a, b) => a + b, 0)).toBe(seen[0]);
  });
});
