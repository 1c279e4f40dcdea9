// Attack: a FIFO (or a device) where a package file should be, in the directory verify-packages checks
// or publish hashes. Opened for reading, a FIFO blocks until someone writes: the command would hang
// for ever (cron piles up runs, publish holds its lock). Anything that is not a regular file is refused
// before it is opened, with NOT_REGULAR_FILE (status 3), and the other packages are still checked.
import { promises as fs } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { pkgkeys } from '../helpers/cli';
import { mkfifo, releaseReaders } from '../helpers/fifo';
import { REPO, SIGNED_AT, entry, expectVerified, failedPackages, iso, withSignedRepo } from '../helpers/repo';

const PACKAGES = ['foo-1.0', 'bar-2.0'].map((pkgname) => ({
  pkgname,
  content: Buffer.from(`${pkgname} package contents`),
}));
const signed = withSignedRepo(PACKAGES);

const bar = () => signed.repo.path('All', 'bar-2.0.tgz');

/**
 * Runs `check` with bar-2.0's package replaced by `make`, releasing any reader stuck on `fifo` (and
 * failing if there was one); then puts the package back.
 */
async function withBarAs(
  make: () => Promise<void>,
  check: () => Promise<void>,
  fifo: string | null = null,
): Promise<void> {
  await fs.rm(bar());
  await make();
  const watcher = fifo === null ? null : releaseReaders(fifo);
  try {
    await check();
    expect(watcher?.released() ?? 0).toBe(0); // nobody ever waited on the FIFO
  } finally {
    await watcher?.stop();
    await fs.rm(bar(), { force: true });
    await fs.writeFile(bar(), PACKAGES[1]!.content);
  }
}

test('verify-packages: the control verifies', async () => {
  expectVerified(await signed.repo.verifyPackages(signed.index));
});

test(
  'verify-packages: a FIFO is refused without being opened; foo-1.0 is still checked',
  () =>
    withBarAs(
      async () => mkfifo(bar()),
      async () => {
        const result = await signed.repo.verifyPackages(signed.index);
        expect(result.status).toBe(3);
        expect(failedPackages(result)).toEqual({ 'bar-2.0': 'NOT_REGULAR_FILE' });
        expect(result.stdout).toContain('1 of 2 package(s) failed verification');
      },
      bar(),
    ),
  30_000,
);

test('verify-packages: a link to a FIFO or to a device is refused too', async () => {
  const fifo = signed.repo.path('fifo');
  mkfifo(fifo);
  for (const target of [fifo, '/dev/zero']) {
    await withBarAs(
      () => fs.symlink(target, bar()),
      async () => {
        const result = await signed.repo.verifyPackages(signed.index);
        expect(failedPackages(result)).toEqual({ 'bar-2.0': 'NOT_REGULAR_FILE' });
      },
      fifo,
    );
  }
}, 30_000);

test('verify-packages: a link to a regular file is followed (category directories link into All/)', () =>
  withBarAs(
    async () => {
      await fs.writeFile(signed.repo.path('bar-elsewhere.tgz'), PACKAGES[1]!.content);
      await fs.symlink(signed.repo.path('bar-elsewhere.tgz'), bar());
    },
    async () => expectVerified(await signed.repo.verifyPackages(signed.index)),
  ));

test(
  'publish: a FIFO among the packages is refused before anything is published',
  () =>
    withBarAs(
      async () => mkfifo(bar()),
      async () => {
        await fs.writeFile(
          signed.repo.path('All', 'pkg_summary.gz'),
          gzipSync(PACKAGES.map((p) => entry(p.pkgname)).join('')),
        );
        const build = [...signed.repo.clientKeyringArgs(), '--build', signed.repo.path('All'), signed.repo.path('pub')];
        const result = await pkgkeys([
          'publish',
          '--now',
          iso(SIGNED_AT),
          '--repository',
          REPO,
          '--key',
          signed.repo.path('host-secret.asc'),
          ...build,
        ]);
        expect(result.status).toBe(3);
        expect(result.stderr).toMatch(/^pkgkeys: NOT_REGULAR_FILE: .*bar-2\.0\.tgz is not a regular file/m);
        await expect(fs.lstat(signed.repo.path('pub', 'pkg_summary.asc'))).rejects.toMatchObject({ code: 'ENOENT' });
      },
      bar(),
    ),
  30_000,
);
