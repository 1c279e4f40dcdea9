/**
 * Attack: a mirror changes bytes of a signed package's inner .tgz, keeping its size, or cuts the
 * archive short. +PKG_HASH still verifies, so the blocks must be checked: HASH_MISMATCH, naming the
 * block; a truncated archive is malformed.
 */
import { promises as fs } from 'node:fs';
import { buildPackage } from '../../lib/pkgsrc/package';
import { PackageSigners, incompressible, packageSpec } from '../helpers/packages';
import { codeOf } from '../helpers/repo';

let signers: PackageSigners;
let good: Buffer;

beforeAll(async () => {
  signers = await PackageSigners.create();
  const input = await signers.write('foo-1.0.tgz', buildPackage(packageSpec('foo-1.0', incompressible(200_000))));
  expect((await signers.sign(input, signers.path('signed.tgz'))).status).toBe(0);
  good = await fs.readFile(signers.path('signed.tgz'));
}, 60_000);
afterAll(() => signers.cleanup());

test('one byte changed in the second block of the inner package: HASH_MISMATCH for block 1', async () => {
  const tampered = Buffer.from(good);
  const inner = tampered.lastIndexOf(Buffer.from('foo-1.0.tgz')) + 60; // past the member header
  tampered[inner + 65536 + 100]! ^= 0x01;
  const result = await signers.verify([await signers.write('tampered.tgz', tampered)]);
  expect({ status: result.status, code: /: ([A-Z_]+): /.exec(result.stdout)?.[1] }).toEqual({
    status: 1,
    code: 'HASH_MISMATCH',
  });
  expect(result.stdout).toMatch(/block 1 of foo-1.0.tgz does not match \+PKG_HASH/);
});

test('the archive cut short: refused as malformed, never judged on what is there', async () => {
  const result = await signers.verify([await signers.write('short.tgz', good.subarray(0, good.length - 1000))]);
  expect(result.status).toBe(1);
  expect(result.stdout).toMatch(/PACKAGE_MALFORMED: .*claims \d+ bytes, more than the archive holds/);
  expect(codeOf(result)).toBeNull();
});
