// Attack: arbitrary package. A mirror replaces a package file with its own of the same size; only the
// FILE_CKSUM in the verified index can tell. The index is verified before any package is hashed, so a
// tampered index cannot vouch for a tampered package. TUF "arbitrary package"; DESIGN.md §2, §3.
import { promises as fs } from 'node:fs';
import { hashFiles } from '../../lib/packages/hash';
import { Repo, expectRefusal, expectVerified, failedPackages } from '../helpers/repo';

// The real hashing, watched: to tell whether any package was hashed at all.
jest.mock('../../lib/packages/hash', () => {
  const actual = jest.requireActual('../../lib/packages/hash');
  return { ...actual, hashFiles: jest.fn(actual.hashFiles) };
});

const PACKAGES = ['foo-1.0', 'bar-2.0', 'baz-3.0'].map((pkgname) => ({
  pkgname,
  content: Buffer.from(`${pkgname} package contents`),
}));
let repo: Repo;
let index: string;
beforeAll(async () => {
  repo = await Repo.create();
  await repo.publish(PACKAGES);
  index = (await repo.sign()).file;
});
afterAll(() => repo.cleanup());
beforeEach(() => jest.mocked(hashFiles).mockClear());

/** Flips one byte of bar-2.0's package: the same size, other contents. */
async function tamper(): Promise<void> {
  const file = repo.path('All', 'bar-2.0.tgz');
  const data = await fs.readFile(file);
  data[3] ^= 0x20;
  await fs.writeFile(file, data);
}

describe('a tampered package', () => {
  it('verifies untouched (the control)', async () => {
    const result = await repo.verifyPackages(index);
    expectVerified(result);
    expect(result.stdout).toBe('3 package(s) match the index for NetBSD/x86_64/10.0/All\n');
    expect(hashFiles).toHaveBeenCalled();
  });

  describe('once bar-2.0 is tampered with', () => {
    beforeAll(tamper);

    it('is refused and named; the other packages are checked and pass', async () => {
      const result = await repo.verifyPackages(index);
      expect(result.status).toBe(1);
      expect(failedPackages(result)).toEqual({ 'bar-2.0': 'HASH_MISMATCH' });
      expect(result.stdout).toContain('1 of 3 package(s) failed verification');
    });

    it('is checked only when named', async () => {
      const others = await repo.verifyPackages(index, ['foo-1.0', 'baz-3.0']);
      expectVerified(others);
      expect(others.stdout).toContain('2 package(s) match');
      const named = await repo.verifyPackages(index, ['bar-2.0']);
      expect(named.status).toBe(1);
      expect(failedPackages(named)).toEqual({ 'bar-2.0': 'HASH_MISMATCH' });
    });

    it('reports a named PKGNAME that is not in the index', async () => {
      const result = await repo.verifyPackages(index, ['foo-1.0', 'evil-6.6.6']);
      expect(result.status).toBe(1);
      expect(failedPackages(result)).toEqual({ 'evil-6.6.6': 'UNKNOWN_PACKAGE' });
    });
  });

  it('hashes no package when the index itself was tampered with', async () => {
    const text = await fs.readFile(index, 'utf8');
    const forged = text.replace(/FILE_CKSUM=sha256 [0-9a-f]{64}/, `FILE_CKSUM=sha256 ${'0'.repeat(64)}`);
    expect(forged).not.toBe(text);
    expectRefusal(await repo.verifyPackages(await repo.write('forged.asc', forged)), 'BAD_SIGNATURE');
    expect(hashFiles).not.toHaveBeenCalled();
  });
});
