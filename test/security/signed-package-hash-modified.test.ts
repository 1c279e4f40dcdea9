/**
 * Attack: the mirror swaps the inner package and rewrites +PKG_HASH to match it, keeping the old
 * signature. The signature over +PKG_HASH no longer holds: BAD_SIGNATURE, before any block is read.
 */
import { promises as fs } from 'node:fs';
import { buildPackage } from '../../lib/pkgsrc/package';
import { PackageSigners, incompressible, packageSpec } from '../helpers/packages';

let signers: PackageSigners;
beforeAll(async () => {
  signers = await PackageSigners.create();
}, 60_000);
afterAll(() => signers.cleanup());

test('a rewritten +PKG_HASH (one hash digit changed) is BAD_SIGNATURE', async () => {
  const input = await signers.write('foo-1.0.tgz', buildPackage(packageSpec('foo-1.0', incompressible(1000))));
  expect((await signers.sign(input, signers.path('signed.tgz'))).status).toBe(0);
  const archive = await fs.readFile(signers.path('signed.tgz'));
  const at = archive.indexOf('file size: ');
  const line = archive.indexOf('\n\n', at) + 2; // the first block hash
  archive[line] = archive[line] === 0x30 ? 0x31 : 0x30;
  const result = await signers.verify([await signers.write('rewritten.tgz', archive)]);
  expect(result.status).toBe(1);
  expect(result.stdout).toMatch(/: BAD_SIGNATURE: .*does not match \+PKG_HASH: the package was modified/);
});
