/**
 * Attack (by accident): a build's packages arrive signed already, by another tool or another key,
 * and publish copies them as they are. Signed by GnuPG 2 (`pkg_admin gpg-sign-package` runs gpg),
 * with the right key, the signature carries its Issuer Key ID outside the hashed area, and every
 * pkg_add refuses the package ("Signature key id ... not found", TritonDataCenter/pkgsrc#409); signed
 * in pkg_add's layout by a key clients do not have, pkg_add refuses it too. publish checks every signed
 * package of the build against pkg_add's rules (PKG_ADD_UNVERIFIABLE) and its signer against the keyring
 * clients have (PUBLISH_SIGNER_UNTRUSTED), with or without --sign-packages, before anything is published.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { buildPackage } from '../../lib/pkgsrc/package';
import { pkgkeys } from '../helpers/cli';
import { GpgHome } from '../helpers/gpg';
import { PackageSigners, SIGNED_AT, packageSpec } from '../helpers/packages';
import { pkgAddModel } from '../helpers/pkg-add';
import { REPO, entry, iso } from '../helpers/repo';
import { World } from '../helpers/world';

let signers: PackageSigners;
let gpg: GpgHome;
beforeAll(async () => {
  signers = await PackageSigners.create();
  gpg = await GpgHome.create();
  await gpg.import(signers.host.secretArmored);
}, 60_000);
afterAll(async () => {
  await gpg.close();
  await signers.cleanup();
});

/** A build whose one package, foo-1.0, is signed by `sign`; returns the publish result and what the repository then holds. */
async function publishSigned(name: string, sign: (input: string, output: string) => Promise<unknown>) {
  const build = signers.path(name, 'build');
  const repo = signers.path(name, 'repo');
  await fs.mkdir(build, { recursive: true });
  const input = await signers.write(`${name}-foo-1.0.tgz`, buildPackage(packageSpec('foo-1.0', Buffer.from(name))));
  await sign(input, path.join(build, 'foo-1.0.tgz'));
  await fs.writeFile(path.join(build, 'pkg_summary.gz'), gzipSync(entry('foo-1.0')));
  const result = await pkgkeys([
    'publish',
    '--now',
    iso(SIGNED_AT),
    '--repository',
    REPO,
    '--key',
    signers.path('rsahost-secret.asc'),
    '--client-keyring',
    signers.path('keyring.asc'),
    '--anchor',
    signers.path('master.asc'),
    '--build',
    build,
    repo,
  ]);
  return {
    result,
    published: await fs.readdir(repo).catch(() => []),
    signed: await fs.readFile(path.join(build, 'foo-1.0.tgz')),
  };
}

test('signed by GnuPG 2 with the right key: pkg_add would refuse it (the layout), publish refuses it', async () => {
  const { result, published, signed } = await publishSigned('gnupg2', (input, output) =>
    signers.signByHand(input, output, {
      signature: async (hash) =>
        (await gpg.detachSign(signers.host.fingerprint, Buffer.from(hash), { at: SIGNED_AT, armor: true })).toString(),
    }),
  );
  // The blocks are fine: it is the signature pkg_add cannot place.
  expect(pkgAddModel(signed).ok).toBe(true);
  expect(result.status).toBe(1);
  expect(result.stderr).toMatch(
    /^pkgkeys: PKG_ADD_UNVERIFIABLE: .*foo-1\.0\.tgz: \+PKG_GPG_SIGNATURE: pkg_add's verifier would refuse it, so it is not written: its hashed area has no Issuer Key ID subpacket \(16\)/,
  );
  expect(published.filter((n) => !n.startsWith('.'))).toEqual([]);
}, 60_000);

test("signed in pkg_add's layout by a key clients do not have: publish refuses it", async () => {
  const stranger = await new World().key('stranger', { type: 'rsa3072' });
  const { result, published } = await publishSigned('stranger', (input, output) =>
    signers.signByHand(input, output, { key: stranger }),
  );
  expect(result.status).toBe(1);
  expect(result.stderr).toMatch(
    new RegExp(
      `^pkgkeys: PUBLISH_SIGNER_UNTRUSTED: .*foo-1\\.0\\.tgz: \\+PKG_GPG_SIGNATURE: signed by key ID ${stranger.fingerprint.slice(-16)}, which is not in the keyring`,
    ),
  );
  expect(published.filter((n) => !n.startsWith('.'))).toEqual([]);
}, 60_000);

test("signed by the certified host in pkg_add's layout (the control): published", async () => {
  const { result, published } = await publishSigned('control', (input, output) => signers.signByHand(input, output));
  expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 0, stderr: '' });
  expect(published).toEqual(expect.arrayContaining(['foo-1.0.tgz', 'pkg_summary.asc']));
}, 60_000);
