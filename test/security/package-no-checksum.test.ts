// Attack: an entry the index does not really vouch for. Without FILE_CKSUM=sha256 (or with another
// algorithm, or a form pkgkeys does not read exactly) and FILE_SIZE, a validly signed index says nothing
// about the package's bytes, so the package cannot count as verified. pkg_summary(5); DESIGN.md §2, §4.
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { Repo, entry, expectVerified, failedPackages } from '../helpers/repo';

const content = (pkgname: string) => Buffer.from(`${pkgname} package contents`);
const digest = (pkgname: string, algorithm: string) => createHash(algorithm).update(content(pkgname)).digest('hex');
const size = (pkgname: string) => `FILE_SIZE=${content(pkgname).length}`;

/** Entries whose checksum would match the package file if it were read leniently. */
const ENTRIES: Record<string, string[]> = {
  'no-cksum-1.0': [size('no-cksum-1.0')],
  'md5-1.0': [size('md5-1.0'), `FILE_CKSUM=md5 ${digest('md5-1.0', 'md5')}`],
  'upper-1.0': [size('upper-1.0'), `FILE_CKSUM=sha256 ${digest('upper-1.0', 'sha256').toUpperCase()}`],
  'no-size-1.0': [`FILE_CKSUM=sha256 ${digest('no-size-1.0', 'sha256')}`],
};

let repo: Repo;
let index: string;
beforeAll(async () => {
  repo = await Repo.create();
  const names = ['good-1.0', ...Object.keys(ENTRIES)];
  for (const name of names) await fs.writeFile(repo.path('All', `${name}.tgz`), content(name));
  await repo.write(
    'pkg_summary',
    [
      entry('good-1.0', [], content('good-1.0')),
      ...Object.entries(ENTRIES).map(([name, extra]) => entry(name, extra)),
    ].join(''),
  );
  index = (await repo.sign()).file; // no --packages: signed as it is
});
afterAll(() => repo.cleanup());

describe('an entry without a usable checksum', () => {
  it('leaves the index valid and a package with a checksum verifiable (the control)', async () => {
    expectVerified(await repo.verify(index));
    expectVerified(await repo.verifyPackages(index, ['good-1.0']));
  });

  it('fails each such package, and only those', async () => {
    const result = await repo.verifyPackages(index);
    expect(result.status).toBe(1);
    expect(failedPackages(result)).toEqual(
      Object.fromEntries(Object.keys(ENTRIES).map((name) => [name, 'NO_CHECKSUM'])),
    );
  });

  it.each(Object.keys(ENTRIES))('refuses %s when named', async (name) => {
    const result = await repo.verifyPackages(index, [name]);
    expect(result.status).toBe(1);
    expect(failedPackages(result)).toEqual({ [name]: 'NO_CHECKSUM' });
  });
});
