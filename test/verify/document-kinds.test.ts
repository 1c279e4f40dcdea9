/**
 * Every signed document kind reports what is wrong with its signature under its own malformed code,
 * chosen where the signature is read (issue 17): an index INDEX_MALFORMED, a keyring release
 * RELEASE_MALFORMED, pkg-vulnerabilities VULNERABILITIES_MALFORMED, a signed package PACKAGE_MALFORMED.
 * The signature is refused before any key is looked at, so an empty keyring does.
 */
import { promises as fs } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { writeAtomicWith } from '../../lib/fsutil';
import { armor } from '../../lib/pgp';
import { buildPackage } from '../../lib/pkgsrc/package';
import { BLOCK_SIZE, blockHashes, formatHashFile, signedPackageWriter } from '../../lib/pkgsrc/signed-package';
import { TrustGraph } from '../../lib/trust/chain';
import { DEFAULT_POLICY } from '../../lib/trust/policy';
import { checkRepository } from '../../lib/trust/scope';
import { verifyIndexData } from '../../lib/verify';
import { readClaim } from '../../lib/verify/release';
import { verifyRelease } from '../../lib/verify/release';
import { verifySignedPackage } from '../../lib/verify/signed-package';
import { verifyVulnerabilities } from '../../lib/verify/vulnerabilities';
import { caught } from '../helpers/caught';
import { cleanup, tempDir } from '../helpers/cli';
import { packageSpec } from '../helpers/packages';
import { T0 } from '../helpers/world';

const graph = new TrustGraph([], []);
const common = { graph, now: T0, policy: DEFAULT_POLICY };
/** A User ID packet (tag 13, old format): well-formed OpenPGP, but no signature. */
const USER_ID = Buffer.from([0xb4, 4, ...Buffer.from('mine')]);

/** Signature blocks that cannot be read, each armored as a signature. */
const DAMAGED: Array<[string, string]> = [
  ['a packet that is not a signature', armor('signature', USER_ID)],
  ['an armor checksum that does not match', armor('signature', USER_ID).replace(/^=.{4}$/m, '=AAAA')],
  ['armor that is not base64', '-----BEGIN PGP SIGNATURE-----\n\n!!!!\n-----END PGP SIGNATURE-----\n'],
];

const cleartext = (text: string, signature: string) =>
  Buffer.from(`-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA512\n\n${text}${signature}`);
const code = async (run: () => Promise<unknown>) => ((await caught(run)) as { code?: string }).code;

let dir: string;
beforeAll(async () => {
  dir = await tempDir('pkgkeys-kinds-');
});
afterAll(() => cleanup(dir));

describe.each(DAMAGED)('%s', (_name, signature) => {
  test('in an index: INDEX_MALFORMED, plain or compressed', async () => {
    const options = { ...common, repository: checkRepository('NetBSD/x86_64/10.0/All'), newest: null };
    const signed = cleartext('PKGNAME=foo-1.0\n', signature);
    expect(await code(() => verifyIndexData(signed, 'index', options))).toBe('INDEX_MALFORMED');
    expect(await code(() => verifyIndexData(gzipSync(signed), 'index.gz', options))).toBe('INDEX_MALFORMED');
  });

  test('in a keyring release statement: RELEASE_MALFORMED, read or verified', async () => {
    const statement = cleartext('keyring pkgsrc\n', signature);
    expect(await code(() => readClaim(statement, 'release.asc'))).toBe('RELEASE_MALFORMED');
    expect(
      await code(() =>
        verifyRelease(statement, Buffer.alloc(0), 'release.asc', { ...common, name: 'pkgsrc', installed: null }),
      ),
    ).toBe('RELEASE_MALFORMED');
  });

  test('in pkg-vulnerabilities: VULNERABILITIES_MALFORMED', async () => {
    expect(
      await code(() => verifyVulnerabilities(cleartext('#FORMAT 1.1.0\n', signature), 'pkg-vulnerabilities', common)),
    ).toBe('VULNERABILITIES_MALFORMED');
  });

  test('in a signed package (+PKG_GPG_SIGNATURE): PACKAGE_MALFORMED', async () => {
    expect(await code(async () => verifySignedPackage(await packageSignedWith(signature), common))).toBe(
      'PACKAGE_MALFORMED',
    );
  });
});

test('a signed package whose +PKG_GPG_SIGNATURE is not armored and not OpenPGP: PACKAGE_MALFORMED', async () => {
  expect(await code(async () => verifySignedPackage(await packageSignedWith('signed, honestly\n'), common))).toBe(
    'PACKAGE_MALFORMED',
  );
});

test('a corrupt gzip stream where a signed index is expected: INDEX_MALFORMED', async () => {
  const options = { ...common, repository: checkRepository('NetBSD/x86_64/10.0/All'), newest: null };
  expect(
    await code(() => verifyIndexData(Buffer.from([0x1f, 0x8b, 8, 0, 1, 2, 3, 4, 5, 6, 7]), 'index.gz', options)),
  ).toBe('INDEX_MALFORMED');
});

let packages = 0;
/** A package with a well-formed +PKG_HASH and `signature` as its +PKG_GPG_SIGNATURE. */
async function packageSignedWith(signature: string): Promise<string> {
  const input = `${dir}/foo-1.0.tgz`;
  await fs.writeFile(input, buildPackage(packageSpec('foo-1.0', Buffer.from('foo'))));
  const output = `${dir}/signed-${++packages}.tgz`;
  const handle = await fs.open(input, 'r');
  try {
    const { size } = await handle.stat();
    const hash = formatHashFile({
      pkgname: 'foo-1.0',
      size,
      blockSize: BLOCK_SIZE,
      blocks: await blockHashes(handle, 0, size, BLOCK_SIZE, input),
    });
    await writeAtomicWith(
      output,
      signedPackageWriter({
        hash,
        signature,
        name: 'foo-1.0.tgz',
        input: handle,
        size,
        meta: { mtime: 0, uid: 0, gid: 0, mode: 0o100644 },
      }),
    );
  } finally {
    await handle.close();
  }
  return output;
}
