/**
 * Attack: a package signed under one name and delivered as another. The host signed +PKG_HASH for
 * foo-1.0 but the package inside is evil-1.0 (its blocks hashed correctly): pkg_add compares the
 * pkgname with +CONTENTS, and so must verify-package: PKGNAME_MISMATCH.
 */
import { buildPackage } from '../../lib/pkgsrc/package';
import { PackageSigners, incompressible, packageSpec } from '../helpers/packages';

let signers: PackageSigners;
beforeAll(async () => {
  signers = await PackageSigners.create();
}, 60_000);
afterAll(() => signers.cleanup());

test('+PKG_HASH names foo-1.0, +CONTENTS says evil-1.0: PKGNAME_MISMATCH', async () => {
  const evil = await signers.write('foo-1.0.tgz', buildPackage(packageSpec('evil-1.0', incompressible(3000))));
  const result = await signers.verify([
    await signers.signByHand(evil, signers.path('renamed.tgz'), { pkgname: 'foo-1.0' }),
  ]);
  expect(result.status).toBe(1);
  expect(result.stdout).toMatch(/: PKGNAME_MISMATCH: .*signed as foo-1.0, but the package is evil-1.0/);
});
