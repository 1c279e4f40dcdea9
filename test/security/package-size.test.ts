// Attack: a package of the wrong size: truncated, padded, or endless (a file that never ends, here a
// symlink to /dev/zero, as a hostile mirror or a crafted file:// repository could serve). FILE_SIZE is
// checked, and reading stops just past it; what is not a regular file is not read at all
// (test/security/package-fifo.test.ts). TUF "endless data"; DESIGN.md §3.
import { promises as fs } from 'node:fs';
import { Repo, expectVerified, failedPackages } from '../helpers/repo';

const PACKAGES = ['foo-1.0', 'bar-2.0'].map((pkgname) => ({ pkgname, content: Buffer.alloc(3 << 20, pkgname) })); // 3 MiB each
let repo: Repo;
let index: string;
beforeAll(async () => {
  repo = await Repo.create();
  await repo.publish(PACKAGES);
  index = (await repo.sign()).file;
});
afterAll(() => repo.cleanup());

const bar = () => repo.path('All', 'bar-2.0.tgz');
/** Puts bar-2.0's package file back as published, after `change` and the check it gets. */
async function withBar(change: () => Promise<void>, check: () => Promise<void>): Promise<void> {
  await change();
  try {
    await check();
  } finally {
    await fs.rm(bar(), { force: true });
    await fs.writeFile(bar(), PACKAGES[1]!.content);
  }
}

async function expectPackageFailure(code: string, status = 1): Promise<void> {
  const result = await repo.verifyPackages(index);
  expect(result.status).toBe(status);
  expect(failedPackages(result)).toEqual({ 'bar-2.0': code });
}

describe('a package of the wrong size', () => {
  it('verifies as published (the control)', async () => {
    expectVerified(await repo.verifyPackages(index));
  });

  it('is refused when shorter than FILE_SIZE', () =>
    withBar(
      () => fs.truncate(bar(), (3 << 20) - 1),
      () => expectPackageFailure('SIZE_MISMATCH'),
    ));

  it('is refused when longer than FILE_SIZE', () =>
    withBar(
      () => fs.appendFile(bar(), '\n'),
      () => expectPackageFailure('SIZE_MISMATCH'),
    ));

  it('is refused, never read, when it never ends (a device: not a regular file)', () =>
    withBar(
      async () => {
        await fs.rm(bar());
        await fs.symlink('/dev/zero', bar());
      },
      () => expectPackageFailure('NOT_REGULAR_FILE', 3),
    ));

  it('is reported missing, as an input/output error', () =>
    withBar(
      () => fs.rm(bar()),
      () => expectPackageFailure('PACKAGE_MISSING', 3),
    ));

  it('is not trusted (1), whatever an input/output error (3) the package listed before it has', async () => {
    const foo = repo.path('All', 'foo-1.0.tgz');
    await fs.rm(foo);
    try {
      await withBar(
        () => fs.truncate(bar(), 1),
        async () => {
          const result = await repo.verifyPackages(index);
          expect(Object.entries(failedPackages(result))).toEqual([
            ['foo-1.0', 'PACKAGE_MISSING'],
            ['bar-2.0', 'SIZE_MISMATCH'],
          ]);
          expect(result.status).toBe(1);
        },
      );
    } finally {
      await fs.writeFile(foo, PACKAGES[0]!.content);
    }
  });
});
