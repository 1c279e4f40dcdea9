/**
 * A fresh machine, with only the base system (the anchor in /etc/pkgkeys/anchors/), reaches pkgkeys,
 * pkgin and the keyring from a repository whose packages are signed (publish --sign-packages), as
 * sysinst does it (docs/releng.md, section 4), against a model of pkg_add (test/helpers/pkg-install.ts):
 * pkg_add verifies every signed package whatever VERIFIED_INSTALLATION says, and stops when it has no
 * keyring or the signer is not in it. So the first pkg_add needs a keyring, and the base system ships
 * one: /etc/pkgkeys/bootstrap-verify.gpg, the package signing keys the release's keyring made valid,
 * exported by `pkgkeys update` for pkg_install.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { buildPackage } from '../../lib/pkgsrc/package';
import { pkgkeys } from '../helpers/cli';
import { GpgHome, colonRecords, keyIDOf } from '../helpers/gpg';
import { BIN, KeyringSite, PUBLISHED_AT, UPDATE_AT } from '../helpers/mirror';
import { packageSpec } from '../helpers/packages';
import { PkgInstall } from '../helpers/pkg-install';
import { entry, iso } from '../helpers/repo';

const REPO = 'NetBSD/x86_64/10.0/All';
const BOOTSTRAP = '/etc/pkgkeys/bootstrap-verify.gpg';
const LIVE = '/var/db/pkgkeys/verify.gpg';
let site: KeyringSite;
let serial = 2026041001;
const repo = () => site.path('mirror/packages', REPO);
const release = () => `file://${site.path('pub')}/`;

/** A stand-in package: `bin/NAME`, a script; pkgkeys' runs the real CLI (with the tests' clock). */
function standIn(pkgname: string): Buffer {
  const name = pkgname.replace(/-[^-]*$/, '');
  const script =
    name === 'pkgkeys'
      ? `#!/bin/sh\nexec "${process.execPath}" "${BIN}" "$@" --now ${iso(UPDATE_AT)}\n`
      : `#!/bin/sh\necho ${name}\n`;
  return buildPackage({
    ...packageSpec(pkgname, Buffer.alloc(0)),
    files: [{ path: `bin/${name}`, data: Buffer.from(script), mode: 0o755 }],
  });
}

beforeAll(async () => {
  site = await KeyringSite.create();
  await site.publish(serial);

  // Release engineering: the bootstrap keyring, exported by pkgkeys from the release it verified against the anchor.
  const releng = await site.client('release-engineering');
  expect((await releng.update(release())).status).toBe(0);
  await fs.mkdir(site.path('base/etc/pkgkeys'), { recursive: true });
  await fs.copyFile(path.join(releng.live, 'verify.gpg'), site.path('base/etc/pkgkeys/bootstrap-verify.gpg'));

  // A build host publishes the bootstrap packages, signed for pkg_add by its RSA key.
  const build = site.path('build');
  await fs.mkdir(build, { recursive: true });
  expect(
    (
      await pkgkeys([
        'keyring',
        'package',
        '--release',
        site.path('pub'),
        '--opsys',
        'NetBSD',
        '--os-version',
        '10.0',
        '--machine-arch',
        'x86_64',
        '--out',
        build,
      ])
    ).status,
  ).toBe(0);
  const names = ['pkgkeys-0.1.0', 'pkgin-25.4.0', 'tmux-3.5'];
  for (const name of names) await fs.writeFile(path.join(build, `${name}.tgz`), standIn(name));
  await fs.writeFile(
    path.join(build, 'pkg_summary.gz'),
    gzipSync(
      [...names, `pkgsrc-keyring-${serial}`]
        .sort()
        .map((n) => entry(n))
        .join(''),
    ),
  );
  await fs.writeFile(site.path('b1-secret.asc'), site.rsaHost.secretArmored, { mode: 0o600 });
  const published = await pkgkeys([
    'publish',
    '--now',
    iso(UPDATE_AT),
    '--repository',
    REPO,
    '--key',
    site.path('b1-secret.asc'),
    '--sign-packages',
    '--build',
    build,
    '--keyring-url',
    pathToFileURL(site.path('pub')).href,
    '--anchor',
    site.path('master.asc'),
    repo(),
  ]);
  expect({ status: published.status, stderr: published.stderr }).toEqual({ status: 0, stderr: '' });
}, 120_000);
afterAll(() => site.cleanup());

/** A fresh machine: the base system (anchor and bootstrap keyring), an empty $HOME, pkg_install.conf as given. */
async function machine(name: string, conf: string[]): Promise<PkgInstall> {
  const client = await site.client(name);
  await fs.copyFile(site.path('base/etc/pkgkeys/bootstrap-verify.gpg'), path.join(client.root, BOOTSTRAP));
  await fs.mkdir(site.path(`${name}-home`));
  if (conf.length > 0)
    await fs.writeFile(path.join(client.root, 'etc/pkg_install.conf'), conf.map((l) => `${l}\n`).join(''));
  return new PkgInstall(client.root, site.path(`${name}-home`), { PKGKEYS_ROOT: client.root });
}

const pkg = (name: string) => path.join(repo(), `${name}.tgz`);
const setConf = (m: PkgInstall, lines: string[]) =>
  fs.writeFile(path.join(m.root, 'etc/pkg_install.conf'), lines.map((l) => `${l}\n`).join(''));

/** The key IDs gpg reads from a binary keyring. */
async function keyIDs(file: string): Promise<string[]> {
  const gpg = await GpgHome.create();
  try {
    return colonRecords((await gpg.gpg(['--with-colons', '--show-keys', file])).stdout.toString('utf8'))
      .filter((r) => r[0] === 'pub')
      .map((r) => r[4]!);
  } finally {
    await gpg.close();
  }
}

test('the bootstrap keyring holds the RSA package signer the release trusts, and no other key', async () => {
  expect(await keyIDs(site.path('base', BOOTSTRAP))).toEqual([keyIDOf(site.rsaHost.fingerprint)]);
});

test.each([
  ['unset', []],
  ['never', ['VERIFIED_INSTALLATION=never']],
  ['trusted', ['VERIFIED_INSTALLATION=trusted']],
  ['always', ['VERIFIED_INSTALLATION=always']],
])(
  'without GPG_KEYRING_VERIFY (VERIFIED_INSTALLATION %s), pkg_add installs no signed package: the old first step fails',
  async (mode, conf) => {
    const m = await machine(`no-keyring-${mode}`, conf);
    for (const name of ['pkgkeys-0.1.0', 'pkgin-25.4.0', `pkgsrc-keyring-${serial}`]) {
      const added = await m.add(pkg(name));
      expect({ name, status: added.status, stderr: added.stderr }).toEqual({
        name,
        status: 1,
        stderr: 'pkg_add: cannot read keyring ~/.gnupg/pubring.gpg\n',
      });
    }
    expect(await m.installed()).toEqual([]);
  },
);

test('a keyring pkg_add cannot use stops it too: empty, with an Ed25519 key (the anchor), or without the signer', async () => {
  const m = await machine('bad-keyrings', []);
  const gpg = await GpgHome.create();
  try {
    const write = async (name: string, armored: string) => {
      await fs.writeFile(site.path(`${name}.asc`), armored);
      const { stdout } = await gpg.gpg(['--dearmor'], { input: armored });
      await fs.writeFile(path.join(m.root, 'etc', `${name}.gpg`), stdout);
    };
    await fs.writeFile(path.join(m.root, 'etc/empty.gpg'), '');
    await write('anchor', site.master.public);
    await write('pkgvuln', site.vuln.public);
  } finally {
    await gpg.close();
  }
  for (const [keyring, message] of [
    ['empty', 'cannot read keyring /etc/empty.gpg'],
    ['anchor', 'cannot read keyring /etc/anchor.gpg'],
    ['pkgvuln', `Signature key id ${keyIDOf(site.rsaHost.fingerprint)} not found`],
  ]) {
    await setConf(m, ['VERIFIED_INSTALLATION=never', `GPG_KEYRING_VERIFY=/etc/${keyring}.gpg`]);
    expect({ keyring, ...(await m.add(pkg('pkgkeys-0.1.0'))) }).toMatchObject({
      keyring,
      status: 1,
      stderr: `pkg_add: ${message}\n`,
    });
  }
  expect(await m.installed()).toEqual([]);
});

test('the model checks what pkg_add checks: a changed package or +PKG_HASH is refused even with the right keyring', async () => {
  const m = await machine('tampered', ['VERIFIED_INSTALLATION=never', `GPG_KEYRING_VERIFY=${BOOTSTRAP}`]);
  const signed = await fs.readFile(pkg('pkgin-25.4.0'));
  const payload = Buffer.from(signed);
  payload[payload.length - 5] ^= 1; // the inner package's gzip trailer
  await fs.writeFile(site.path('tampered-payload.tgz'), payload);
  expect(await m.add(site.path('tampered-payload.tgz'))).toMatchObject({
    status: 1,
    stderr: 'pkg_add: Invalid signature of block 0\n',
  });
  const hash = Buffer.from(signed);
  const line = hash.indexOf('file size: ') + 'file size: '.length;
  hash[hash.indexOf('\n\n', line) + 2] ^= 1; // a hex digit of the first block's hash
  await fs.writeFile(site.path('tampered-hash.tgz'), hash);
  expect((await m.add(site.path('tampered-hash.tgz'))).stderr).toMatch(/^pkg_add: Bad signature on /);
  expect(await m.installed()).toEqual([]);
});

test("sysinst's sequence: the bootstrap keyring, pkgkeys and pkgin, the keyring package, the live keyring; each package verified", async () => {
  // 1. Before the first pkg_add: pkg_install.conf names the bootstrap keyring from the base system.
  const m = await machine('sysinst', ['VERIFIED_INSTALLATION=always', `GPG_KEYRING_VERIFY=${BOOTSTRAP}`]);
  // 2. pkgkeys and pkgin, each signature checked against it.
  for (const name of ['pkgkeys-0.1.0', 'pkgin-25.4.0'])
    expect({ name, ...(await m.add(pkg(name))) }).toMatchObject({ name, status: 0, stderr: '' });
  // 3. The keyring package: its signature by pkg_add as above, its keyring by pkgkeys against the anchor (POST-INSTALL).
  const keyring = await m.add(pkg(`pkgsrc-keyring-${serial}`));
  expect({ status: keyring.status, stderr: keyring.stderr }).toEqual({ status: 0, stderr: '' });
  expect(await keyIDs(path.join(m.root, LIVE))).toEqual([keyIDOf(site.rsaHost.fingerprint)]);
  // 4. The current release from the mirror, then pkg_install.conf switched to the live keyring.
  expect(
    (await pkgkeys(['update', '--url', release(), '--now', iso(UPDATE_AT)], { PKGKEYS_ROOT: m.root })).status,
  ).toBe(0);
  await setConf(m, [
    'VERIFIED_INSTALLATION=always',
    `GPG_KEYRING_VERIFY=${LIVE}`,
    'GPG_KEYRING_PKGVULN=/var/db/pkgkeys/pkgvuln.gpg',
  ]);
  expect(await m.add(pkg('tmux-3.5'))).toMatchObject({ status: 0, stderr: '' });
  expect(await m.installed()).toEqual(['pkgin-25.4.0', 'pkgkeys-0.1.0', `pkgsrc-keyring-${serial}`, 'tmux-3.5']);
  // An unsigned package is refused from now on.
  await fs.writeFile(site.path('unsigned-1.0.tgz'), standIn('unsigned-1.0'));
  expect(await m.add(site.path('unsigned-1.0.tgz'))).toMatchObject({
    status: 1,
    stderr: 'pkg_add: unsigned-1.0.tgz: No valid signature found, rejected\n',
  });
}, 60_000);

test('what the bootstrap keyring cannot know: a signer certified after the release is refused (fails closed), a signer revoked after it is still accepted, until the live keyring replaces it', async () => {
  // After the release: b2 certified, b1 revoked, in keyring release 2.
  const b2 = await site.world.key('b2', { type: 'rsa3072' });
  await site.world.certify(site.master, b2, { scopes: ['NetBSD/**'] });
  await site.world.revokeKey(site.rsaHost, 'compromised', new Date(PUBLISHED_AT.getTime() - 60_000));
  await site.importWorld();
  serial++;
  await site.publish(serial);
  await fs.writeFile(site.path('b2-secret.asc'), b2.secretArmored, { mode: 0o600 });
  await fs.writeFile(site.path('late-1.0.tgz'), standIn('late-1.0'));
  expect(
    (
      await pkgkeys([
        'sign-package',
        '--now',
        iso(UPDATE_AT),
        '--key',
        site.path('b2-secret.asc'),
        site.path('late-1.0.tgz'),
        site.path('late-1.0.signed.tgz'),
      ])
    ).status,
  ).toBe(0);

  const m = await machine('stale', ['VERIFIED_INSTALLATION=always', `GPG_KEYRING_VERIFY=${BOOTSTRAP}`]);
  expect(await m.add(site.path('late-1.0.signed.tgz'))).toMatchObject({
    status: 1,
    stderr: `pkg_add: Signature key id ${keyIDOf(b2.fingerprint)} not found\n`,
  });
  // The revoked b1's packages still pass pkg_add with the bootstrap keyring: nothing in the base system can learn of the revocation.
  expect(await m.add(pkg('pkgkeys-0.1.0'))).toMatchObject({ status: 0 });
  // Once pkgkeys has installed the current keyring, pkg_add follows it.
  expect(
    (await pkgkeys(['update', '--url', release(), '--now', iso(UPDATE_AT)], { PKGKEYS_ROOT: m.root })).status,
  ).toBe(0);
  await setConf(m, ['VERIFIED_INSTALLATION=always', `GPG_KEYRING_VERIFY=${LIVE}`]);
  expect(await m.add(site.path('late-1.0.signed.tgz'))).toMatchObject({ status: 0 });
  expect(await m.add(pkg('tmux-3.5'))).toMatchObject({
    status: 1,
    stderr: `pkg_add: Signature key id ${keyIDOf(site.rsaHost.fingerprint)} not found\n`,
  });
}, 60_000);
