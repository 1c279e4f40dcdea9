/**
 * pkg_add reads `size % block size` bytes for the last block of a signed package (pkg_install's
 * verify_signature_read_cb): a package whose size is a multiple of its block size can never be
 * installed, and pkg_add takes no block size below 1024. "verify-package says good" must mean "pkg_add
 * installs it": sign-package's output passes pkg_add's block reading (test/helpers/pkg-add.ts) and
 * verify-package, at and around the block boundaries; a package signed by hand with a block size pkg_add
 * refuses is refused by both, by verify-package as PKG_ADD_UNVERIFIABLE; any other block size pkg_add
 * takes is accepted by both. publish --sign-packages signs the same way, and does not publish a package
 * signed before with a block size pkg_add refuses.
 */
import { promises as fs } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { blockSizeFor } from '../../lib/pkgsrc/signed-package';
import { pkgkeys } from '../helpers/cli';
import { PackageSigners, SIGNED_AT, packageOfSize } from '../helpers/packages';
import { pkgAddModel } from '../helpers/pkg-add';
import { REPO, entry, iso } from '../helpers/repo';

let signers: PackageSigners;
beforeAll(async () => {
  signers = await PackageSigners.create();
}, 60_000);
afterAll(() => signers.cleanup());

/** pkg_add's and verify-package's verdicts on a signed package. */
async function verdicts(file: string, pkg: Buffer) {
  const model = pkgAddModel(await fs.readFile(file));
  const verified = await signers.verify([file]);
  return {
    pkgAdd: model.ok ? { installs: model.data.equals(pkg), blockSize: model.blockSize } : model.error,
    verifyPackage: verified.status === 0 ? 'good' : `${verified.status} ${/: ([A-Z_]+): /.exec(verified.stdout)?.[1]}`,
  };
}

const SIZES = [1024, 2048, 63 * 1024, 65535, 65536, 65537, 65 * 1024, 131072, 3 * 65536];

describe.each(SIZES)('a package of exactly %i bytes', (size) => {
  let input: string;
  let pkg: Buffer;
  beforeAll(async () => {
    pkg = packageOfSize('edge-1.0', size);
    input = await signers.write(`edge-1.0-${size}.tgz`, pkg);
  });

  test('sign-package: pkg_add installs it, verify-package says good', async () => {
    const output = signers.path(`signed-${size}.tgz`);
    expect((await signers.sign(input, output)).status).toBe(0);
    const blockSize = size % 65536 === 0 ? 65535 : 65536;
    expect(await verdicts(output, pkg)).toEqual({ pkgAdd: { installs: true, blockSize }, verifyPackage: 'good' });
  });

  // The whole package as one block, 1024 (pkg_add's floor) and 65536 (pkg_install's own, and what
  // sign-package wrote before) wherever they divide the size.
  const dividing = [size, 1024, 65536].filter((b) => b >= 1024 && size % b === 0);
  test.each(dividing)(
    'signed with blocks of %i, which divides the size: pkg_add refuses it, and so does verify-package',
    async (blockSize) => {
      const file = await signers.signByHand(input, signers.path(`by-hand-${size}-${blockSize}.tgz`), { blockSize });
      expect(await verdicts(file, pkg)).toEqual({
        pkgAdd: `Invalid signature of block ${size / blockSize - 1}`,
        verifyPackage: '1 PKG_ADD_UNVERIFIABLE',
      });
    },
  );

  test("signed with blocks of 1000, below pkg_add's floor: refused by both", async () => {
    const file = await signers.signByHand(input, signers.path(`by-hand-${size}-1000.tgz`), { blockSize: 1000 });
    expect(await verdicts(file, pkg)).toEqual({
      pkgAdd: 'Unknown format of hash file',
      verifyPackage: '1 PKG_ADD_UNVERIFIABLE',
    });
  });

  if (size % 4096 !== 0) {
    test('signed with blocks of 4096, which does not divide the size: accepted by both', async () => {
      const file = await signers.signByHand(input, signers.path(`by-hand-${size}-4096.tgz`), { blockSize: 4096 });
      expect(await verdicts(file, pkg)).toEqual({ pkgAdd: { installs: true, blockSize: 4096 }, verifyPackage: 'good' });
    });
  }
});

test('the block size sign-package chooses: 65536 unless it divides the size, else the largest smaller one that does not', () => {
  expect([1, 1023, 1024, 65535, 65537, 100_000].map(blockSizeFor)).toEqual([65536, 65536, 65536, 65536, 65536, 65536]);
  expect([65536, 131072, 65536 * 1000].map(blockSizeFor)).toEqual([65535, 65535, 65535]);
  // 65535 divides 65536 × 65535 too (4 GiB, not built here); 65534 does not.
  expect(blockSizeFor(65536 * 65535)).toBe(65534);
});

test('the message says what pkg_add would do, and what to do about it', async () => {
  const input = await signers.write('whole-1.0.tgz', packageOfSize('whole-1.0', 65536));
  const file = await signers.signByHand(input, signers.path('whole-signed.tgz'), { blockSize: 65536 });
  const result = await signers.verify([file]);
  expect(result).toEqual({
    status: 1,
    stdout: `${file}: PKG_ADD_UNVERIFIABLE: ${file}: pkg_add cannot verify this package: its 65536 bytes are a multiple of the block size 65536: pkg_add reads size % block size bytes, none, for the last block and refuses it ("Invalid signature of block 0"); sign the package again with pkgkeys sign-package\n`,
    stderr: '',
  });
});

test('publish --sign-packages: what it signs pkg_add installs; a package an earlier pkgkeys signed unverifiably is refused, not published', async () => {
  const dir = signers.path('All');
  await fs.mkdir(dir);
  const packages = { 'whole-1.0': packageOfSize('whole-1.0', 65536), 'older-1.0': packageOfSize('older-1.0', 131072) };
  await fs.writeFile(`${dir}/whole-1.0.tgz`, packages['whole-1.0']);
  // older-1.0 as the pkgkeys before this fix signed it: blocks of 65536 whatever the size.
  const older = await signers.write('older-1.0.tgz', packages['older-1.0']);
  await signers.signByHand(older, `${dir}/older-1.0.tgz`, { blockSize: 65536 });
  await fs.writeFile(
    `${dir}/pkg_summary.gz`,
    gzipSync(
      Object.keys(packages)
        .map((n) => entry(n))
        .join(''),
    ),
  );
  // The build's directory is publish's input; the repository directory is what mirrors copy.
  const repo = signers.path('pub');
  const publish = () =>
    pkgkeys([
      'publish',
      '--now',
      iso(SIGNED_AT),
      '--repository',
      REPO,
      '--key',
      signers.path('rsahost-secret.asc'),
      '--sign-packages',
      '--client-keyring',
      signers.path('keyring.asc'),
      '--anchor',
      signers.path('master.asc'),
      '--build',
      dir,
      repo,
    ]);

  const refused = await publish();
  expect(refused.status).toBe(1);
  expect(refused.stderr).toMatch(
    /PKG_ADD_UNVERIFIABLE: .*older-1\.0\.tgz: pkg_add cannot verify this package: its 131072 bytes are a multiple of the block size 65536/,
  );
  await expect(fs.lstat(`${repo}/pkg_summary.asc`)).rejects.toThrow(/ENOENT/);

  // Put back the package itself, as the message says, and publish again.
  await fs.writeFile(`${dir}/older-1.0.tgz`, packages['older-1.0']);
  const published = await publish();
  expect({ status: published.status, stderr: published.stderr }).toEqual({ status: 0, stderr: '' });
  for (const [name, pkg] of Object.entries(packages)) {
    expect(await verdicts(`${repo}/${name}.tgz`, pkg)).toEqual({
      pkgAdd: { installs: true, blockSize: 65535 },
      verifyPackage: 'good',
    });
  }
});
