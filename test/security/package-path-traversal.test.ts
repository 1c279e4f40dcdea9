// Attack: path traversal. PKGNAME and FILE_NAME come from the index, which its signer (or a signer for
// another repository) wrote: a name with "/" or ".." would make the verifier read, and vouch for, a file
// outside the package directory; a hidden name or one starting with "-" is no package either (the latter
// reads as an option to pkg_add). DESIGN.md §3; pkg_summary(5).
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { type HashJob, hashFiles } from '../../lib/packages/hash';
import { Repo, entry, expectRefusal, expectVerified, failedPackages } from '../helpers/repo';

// The real hashing, watched: to see which files were read.
jest.mock('../../lib/packages/hash', () => {
  const actual = jest.requireActual('../../lib/packages/hash');
  return { ...actual, hashFiles: jest.fn(actual.hashFiles) };
});

const checksums = (data: Buffer) => [
  `FILE_SIZE=${data.length}`,
  `FILE_CKSUM=sha256 ${createHash('sha256').update(data).digest('hex')}`,
];
const decoy = Buffer.from('a file the attacker wants vouched for');

/** Each unsafe entry: PKGNAME, FILE_NAME (or none), and where a file whose checksum matches is put (relative to the repository), if anywhere. */
const UNSAFE: Array<{ pkgname: string; fileName?: string; decoyAt?: string }> = [
  { pkgname: '../../etc/passwd' },
  { pkgname: 'sub/foo-1.0', decoyAt: 'All/sub/foo-1.0.tgz' },
  { pkgname: 'abs-1.0', fileName: '/etc/passwd' }, // its checksum is the real /etc/passwd's
  { pkgname: 'up-1.0', fileName: '../outside.tgz', decoyAt: 'outside.tgz' },
  { pkgname: 'hidden-1.0', fileName: '.hidden.tgz', decoyAt: 'All/.hidden.tgz' },
  { pkgname: 'dash-1.0', fileName: '-f.tgz', decoyAt: 'All/-f.tgz' },
];
const GOOD = { pkgname: 'good-1.0', content: Buffer.from('good package') };

let repo: Repo;
let index: string;
let passwd: Buffer;
beforeAll(async () => {
  repo = await Repo.create();
  passwd = await fs.readFile('/etc/passwd');
  await fs.mkdir(repo.path('All', 'sub'));
  await fs.writeFile(repo.path('All', 'good-1.0.tgz'), GOOD.content);
  for (const u of UNSAFE) if (u.decoyAt) await fs.writeFile(repo.path(u.decoyAt), decoy);
  const unsafeEntries = UNSAFE.map((u) =>
    entry(u.pkgname, [
      ...(u.fileName ? [`FILE_NAME=${u.fileName}`] : []),
      ...checksums(u.fileName === '/etc/passwd' ? passwd : decoy),
    ]),
  );
  await repo.write('pkg_summary', entry(GOOD.pkgname, [], GOOD.content) + unsafeEntries.join(''));
  index = (await repo.sign()).file;
});
afterAll(() => repo.cleanup());
beforeEach(() => jest.mocked(hashFiles).mockClear());

const filesHashed = () =>
  jest.mocked(hashFiles).mock.calls.flatMap(([jobs]) => jobs.map((j: HashJob) => path.relative(repo.dir, j.file)));

describe('a package name that leaves the package directory', () => {
  it('verifies the safe entry of the same index (the control)', async () => {
    expectVerified(await repo.verifyPackages(index, [GOOD.pkgname]));
    expect(filesHashed()).toEqual(['All/good-1.0.tgz']);
  });

  it('refuses every unsafe entry, reading nothing but the safe package', async () => {
    const result = await repo.verifyPackages(index);
    expect(result.status).toBe(1);
    expect(failedPackages(result)).toEqual(Object.fromEntries(UNSAFE.map((u) => [u.pkgname, 'UNSAFE_PATH'])));
    expect(filesHashed()).toEqual(['All/good-1.0.tgz']);
  });

  it.each(UNSAFE.map((u) => [u.pkgname, u.fileName ?? '(none)']))(
    'refuses PKGNAME %s, FILE_NAME %s, when named',
    async (pkgname) => {
      const result = await repo.verifyPackages(index, [pkgname]);
      expect(result.status).toBe(1);
      expect(failedPackages(result)).toEqual({ [pkgname]: 'UNSAFE_PATH' });
      expect(filesHashed()).toEqual([]);
    },
  );

  it.each(UNSAFE.map((u) => [u.pkgname, u.fileName ?? '(none)', u]))(
    'is refused by sign-summary --packages: PKGNAME %s, FILE_NAME %s',
    async (_p, _f, u) => {
      const summary = `unsafe_${UNSAFE.indexOf(u)}`;
      await repo.write(summary, entry(u.pkgname, u.fileName ? [`FILE_NAME=${u.fileName}`] : []));
      const { result, file } = await repo.trySign({
        summary,
        out: `${summary}.asc`,
        args: ['--packages', repo.path('All')],
      });
      expectRefusal(result, 'UNSAFE_PATH');
      await expect(fs.access(file)).rejects.toThrow();
      expect(filesHashed()).toEqual([]);
    },
  );
});
