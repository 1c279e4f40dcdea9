/**
 * Attack (by accident): a build host publishes an index signed by a key the keyring clients have does
 * not trust for the repository: a key rotated in before the keyring release that certifies it reached
 * the mirrors ("NO_PUBKEY after rotation"), or a key certified for other repositories only. Every
 * client would refuse the index. publish and sign-summary check the signer against the release served
 * at --keyring-url (a real HTTP mirror on 127.0.0.1), verified as `pkgkeys update` verifies it, and
 * refuse with PUBLISH_SIGNER_UNTRUSTED before anything is written. A release clients would refuse
 * (expired) gives them no keys; with no keyring named at all, nothing is published either.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { pkgkeys } from '../helpers/cli';
import { KeyringSite, MirrorServer, UPDATE_AT } from '../helpers/mirror';
import { REPO, entry, iso } from '../helpers/repo';
import { type TestKey, World, day } from '../helpers/world';

let site: KeyringSite;
let mirror: MirrorServer;
let rotated: TestKey;
let armHost: TestKey;
const build = () => site.path('build');
const repo = () => site.path('repo');
const secret = (key: TestKey) => site.path(`${key.name}-secret.asc`);
const clientKeyring = () => ['--keyring-url', mirror.url, '--anchor', site.path('master.asc')];

beforeAll(async () => {
  site = await KeyringSite.create();
  mirror = await MirrorServer.start();
  // A new build host key, made on the host, not yet in any release.
  rotated = await new World().key('rotated', { type: 'rsa3072' });
  armHost = await site.world.key('armhost', { type: 'rsa3072' });
  await site.world.certify(site.master, armHost, { scopes: ['NetBSD/aarch64/**'] });
  await site.importWorld();
  mirror.serve(await site.publish(2026041001));
  for (const key of [rotated, armHost, site.rsaHost])
    await fs.writeFile(secret(key), key.secretArmored, { mode: 0o600 });
  await fs.mkdir(build());
  for (const name of ['foo-1.0', 'bar-2.0']) await fs.writeFile(path.join(build(), `${name}.tgz`), `${name} package`);
  await fs.writeFile(
    path.join(build(), 'pkg_summary.gz'),
    gzipSync(['foo-1.0', 'bar-2.0'].map((n) => entry(n)).join('')),
  );
  await fs.writeFile(site.path('pkg_summary'), entry('foo-1.0'));
}, 120_000);
afterAll(async () => {
  await mirror.close();
  await site.cleanup();
});

const publish = (key: TestKey, args: string[] = clientKeyring(), at = UPDATE_AT) =>
  pkgkeys([
    'publish',
    '--now',
    iso(at),
    '--repository',
    REPO,
    '--key',
    secret(key),
    ...args,
    '--build',
    build(),
    repo(),
  ]);
const signIndex = (key: TestKey, args: string[] = clientKeyring()) =>
  pkgkeys([
    'sign-summary',
    '--now',
    iso(UPDATE_AT),
    '--repository',
    REPO,
    '--key',
    secret(key),
    ...args,
    '--output',
    site.path('pkg_summary.asc'),
    site.path('pkg_summary'),
  ]);

/** What a mirror would copy: nothing of the refused publication. */
const published = async () =>
  (await fs.readdir(repo()).catch(() => [] as string[])).filter((n) => !n.startsWith('.')).sort();

test('a key rotated in before the keyring release certifies it: publish refuses, nothing is published', async () => {
  const result = await publish(rotated);
  expect(result.status).toBe(1);
  expect(result.stderr).toMatch(
    new RegExp(
      `^pkgkeys: PUBLISH_SIGNER_UNTRUSTED: clients with keyring pkgsrc release 2026041001 at ${mirror.url} would refuse what ${rotated.fingerprint} signs for ${REPO} \\(UNKNOWN_KEY: .*\\); publish a keyring release that certifies the key`,
    ),
  );
  expect(await published()).toEqual([]);
});

test('the same key: sign-summary refuses, and writes no signed index', async () => {
  const result = await signIndex(rotated);
  expect(result.status).toBe(1);
  expect(result.stderr).toMatch(/PUBLISH_SIGNER_UNTRUSTED: .*\(UNKNOWN_KEY: /);
  await expect(fs.stat(site.path('pkg_summary.asc'))).rejects.toThrow(/ENOENT/);
});

test('a key certified for other repositories only: refused (OUT_OF_SCOPE behind it)', async () => {
  const result = await publish(armHost);
  expect(result.status).toBe(1);
  expect(result.stderr).toMatch(
    /PUBLISH_SIGNER_UNTRUSTED: .*would refuse what [0-9A-F]{40} signs for NetBSD\/x86_64\/10\.0\/All \(OUT_OF_SCOPE: .*is for NetBSD\/aarch64\/\*\*/,
  );
  expect(await published()).toEqual([]);
});

test('clients that need two anchors to vouch (--threshold 2) would refuse a key one master certified: refused', async () => {
  const second = await new World().key('master2');
  await fs.writeFile(site.path('master2.asc'), second.public);
  const result = await publish(site.rsaHost, [
    '--client-keyring',
    site.path('pub', 'keyring.gpg'),
    '--anchor',
    site.path('master.asc'),
    '--anchor',
    site.path('master2.asc'),
    '--threshold',
    '2',
  ]);
  expect(result.status).toBe(1);
  expect(result.stderr).toMatch(
    /^pkgkeys: PUBLISH_SIGNER_UNTRUSTED: .*signs for NetBSD\/x86_64\/10\.0\/All \(BELOW_THRESHOLD: /,
  );
  expect(await published()).toEqual([]);
});

test('a release clients would refuse (expired: KEYRING_FROZEN) gives them no keys: refused', async () => {
  const result = await publish(site.rsaHost, clientKeyring(), day(20, UPDATE_AT));
  expect(result.status).toBe(1);
  expect(result.stderr).toMatch(/KEYRING_FROZEN: /);
  expect(await published()).toEqual([]);
});

test('no keyring clients have is named (no option, no pkgkeys.conf): a usage error, never a silent skip', async () => {
  for (const result of [await publish(site.rsaHost, []), await signIndex(site.rsaHost, [])]) {
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(
      /^pkgkeys: USAGE: the signing key must be checked against the keyring clients have, and none is given: pass --keyring-url URL/,
    );
  }
  expect(await published()).toEqual([]);
});

test('once a release certifies the rotated key, the same publish goes through', async () => {
  await site.world.certify(site.master, rotated, { scopes: ['NetBSD/**'] });
  await site.importWorld();
  mirror.serve(await site.publish(2026041002));
  const result = await publish(rotated);
  expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 0, stderr: '' });
  expect(result.stdout).toMatch(/^published 2 entries for NetBSD\/x86_64\/10\.0\/All/);
  expect(await published()).toEqual(expect.arrayContaining(['bar-2.0.tgz', 'foo-1.0.tgz', 'pkg_summary.asc']));
  expect((await signIndex(rotated)).status).toBe(0);
});
