/**
 * Attack: a package signed under one name and delivered as another. The host signed +PKG_HASH for
 * foo-1.0 but the package inside is evil-1.0 (its blocks hashed correctly): pkg_add compares the
 * pkgname with +CONTENTS, and so must verify-package: PKGNAME_MISMATCH.
 */
import { promises as fs } from 'node:fs';
import { writeAtomicWith } from '../../lib/fsutil';
import { armor, signData } from '../../lib/pgp';
import { buildPackage } from '../../lib/pkgsrc/package';
import { blockHashes, formatHashFile, signedPackageWriter } from '../../lib/pkgsrc/signed-package';
import { PackageSigners, SIGNED_AT, incompressible, packageSpec } from '../helpers/packages';

let signers: PackageSigners;
beforeAll(async () => {
  signers = await PackageSigners.create();
}, 60_000);
afterAll(() => signers.cleanup());

test('+PKG_HASH names foo-1.0, +CONTENTS says evil-1.0: PKGNAME_MISMATCH', async () => {
  const evil = await signers.write('foo-1.0.tgz', buildPackage(packageSpec('evil-1.0', incompressible(3000))));
  const input = await fs.open(evil, 'r');
  try {
    const { size } = await input.stat();
    const hash = formatHashFile({ pkgname: 'foo-1.0', size, blocks: await blockHashes(input, 0, size, evil) });
    const sig = await signData(signers.host.secret.signer(), { kind: 'binary', hash: 'sha512', created: SIGNED_AT, expires: null, notations: [] }, (h) => void h.update(hash));
    const meta = { mtime: 0, uid: 0, gid: 0, mode: 0o100644 };
    await writeAtomicWith(signers.path('renamed.tgz'), signedPackageWriter({ hash, signature: armor('signature', sig), name: 'foo-1.0.tgz', input, size, meta }));
  } finally {
    await input.close();
  }
  const result = await signers.verify([signers.path('renamed.tgz')]);
  expect(result.status).toBe(1);
  expect(result.stdout).toMatch(/: PKGNAME_MISMATCH: .*signed as foo-1.0, but the package is evil-1.0/);
});
