/**
 * Attack (by accident): the signer's packet layout changes, not the key. In November 2025 a signing
 * tool moved the Issuer Key ID out of the hashed area and every pkg_add of a large vendor's packages
 * failed with "Signature key id ... not found" (TritonDataCenter/pkgsrc#409). Here lib/pgp/signature.ts'
 * signData is made to lay signatures out as GnuPG >= 2.1 does (Issuer Fingerprint hashed, Issuer Key
 * ID unhashed), still cryptographically valid with the right key: sign-package and
 * sign-vulnerabilities refuse with PKG_ADD_UNVERIFIABLE and write nothing, instead of shipping what
 * every pkg_add would refuse.
 */
import { promises as fs } from 'node:fs';
import { signData } from '../../lib/pgp/signature';
import { buildPackage } from '../../lib/pkgsrc/package';
import { GNUPG2_LAYOUT, laidOutSignature } from '../helpers/forge';
import { PackageSigners, packageSpec } from '../helpers/packages';
import { VulnSite } from '../helpers/vulnerabilities';

jest.mock('../../lib/pgp/signature', () => {
  const actual = jest.requireActual('../../lib/pgp/signature');
  return { ...actual, signData: jest.fn(actual.signData) };
});

beforeEach(() => {
  jest
    .mocked(signData)
    .mockImplementation((signer, spec, feed) =>
      laidOutSignature(signer, feed, { ...GNUPG2_LAYOUT, kind: spec.kind, hash: spec.hash, created: spec.created }),
    );
});
afterEach(() => jest.mocked(signData).mockReset());

test('sign-package: the package is not written', async () => {
  const signers = await PackageSigners.create();
  try {
    const input = await signers.write('foo-1.0.tgz', buildPackage(packageSpec('foo-1.0', Buffer.from('payload'))));
    const output = signers.path('signed', 'foo-1.0.tgz');
    await fs.mkdir(signers.path('signed'));
    const result = await signers.sign(input, output);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(
      /PKG_ADD_UNVERIFIABLE: .*foo-1\.0\.tgz: \+PKG_GPG_SIGNATURE: pkg_add's verifier would refuse it, so it is not written: its hashed area has no Issuer Key ID subpacket \(16\)/,
    );
    expect(await fs.readdir(signers.path('signed'))).toEqual([]);
  } finally {
    await signers.cleanup();
  }
}, 60_000);

test('sign-vulnerabilities: the signed list is not written', async () => {
  const site = await VulnSite.create();
  try {
    const { result, file } = await site.trySign();
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(
      /PKG_ADD_UNVERIFIABLE: .*pkg-vulnerabilities: the signature: pkg_add's verifier would refuse it, so it is not written: its hashed area has no Issuer Key ID subpacket \(16\)/,
    );
    await expect(fs.stat(file)).rejects.toThrow(/ENOENT/);
  } finally {
    await site.cleanup();
  }
}, 60_000);
