/**
 * Attack: two keyring releases erase a revocation. Release N carries a revocation of b1 (its key, its
 * subkey, its User ID, or the master's or an intermediate's revocation of b1's certification);
 * release N+1 leaves out b1, or the revocation's issuer (the anchor's certificate, the intermediate);
 * release N+2 brings back an old copy of b1 without the revocation. The client must keep every
 * revocation it ever installed, in keyring.gpg and so in verify.gpg, whatever later releases carry or
 * leave out; while a key dropped upstream stops being trusted until a release certifies it again.
 * Releases are made with `pkgkeys keyring publish` (but one: no publish can leave out the anchor while
 * carrying its signatures, `keyring check` refuses that, so that release is signed here as another
 * publishing tool would) and fetched by `pkgkeys update` from a real HTTP server.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { describeKeyring, formatRelease } from '../../lib/keyring/release';
import { loadCertificates } from '../../lib/keyring/store';
import { REPOSITORY_NOTATION } from '../../lib/model';
import { hashCanonical, readMaterial, signData, treeBytes } from '../../lib/pgp';
import { pkgkeys } from '../helpers/cli';
import { rawKey, revokeUserID, subkeyFingerprints } from '../helpers/forge';
import { type InstalledWorld, UPDATE_AT, installedWorld } from '../helpers/mirror';
import { clearsign, iso } from '../helpers/repo';
import { type TestKey, day } from '../helpers/world';

let w: InstalledWorld;
beforeEach(async () => void (w = await installedWorld()), 60_000);
afterEach(async () => {
  await w.mirror.close();
  await w.site.cleanup();
});

/** Release `serial`, published `days` after the first install, installed an hour later. */
async function release(serial: number, days: number): Promise<void> {
  w.mirror.serve(await w.site.publish(serial, { at: day(days, UPDATE_AT) }));
  await install(days);
}

async function install(days: number): Promise<void> {
  const result = await w.client.update(w.mirror.url, { at: at(days) });
  expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 0, stderr: '' });
}

const at = (days: number) => new Date(day(days, UPDATE_AT).getTime() + 3600_000);

/** The verdict of the installed keyring.gpg on `fpr` (a key or subkey), for any repository: `trusted` or the code. */
async function verdict(fpr: string, days: number): Promise<string> {
  const result = await pkgkeys([
    'keyring',
    '--keyring',
    path.join(w.client.live, 'keyring.gpg'),
    'explain',
    fpr,
    '--anchor',
    w.site.path('master.asc'),
    '--at',
    iso(at(days)),
  ]);
  return /\ntrusted\n$/.test(result.stdout)
    ? 'trusted'
    : (/not trusted: ([A-Z_]+)/.exec(result.stdout)?.[1] ?? `failed: ${result.stderr}`);
}

/** Keys and subkeys in the installed verify.gpg, what pkg_add trusts. */
async function inVerify(): Promise<string[]> {
  return (await loadCertificates([path.join(w.client.live, 'verify.gpg')])).flatMap((c) => [
    c.fingerprint,
    ...c.subkeys.map((s) => s.fingerprint),
  ]);
}

const dirOf = (fpr: string) => w.site.path('keyrings/pkgsrc', fpr);
const save = (fpr: string) => fs.cp(dirOf(fpr), w.site.path('saved', fpr), { recursive: true });
async function restore(fpr: string): Promise<void> {
  await fs.rm(dirOf(fpr), { recursive: true, force: true });
  await fs.cp(w.site.path('saved', fpr), dirOf(fpr), { recursive: true });
}
const drop = (fpr: string) => fs.rm(dirOf(fpr), { recursive: true });

async function certifiedHost(name: string, options: { subkey?: boolean } = {}): Promise<TestKey> {
  const key = options.subkey
    ? await rawKey(name, { rsaBits: 3072, signingSubkey: true })
    : await w.site.world.key(name, { type: 'rsa3072' });
  if (options.subkey) w.site.world.add(key.public);
  await w.site.world.certify(w.site.master, key, { scopes: ['NetBSD/**'] });
  return key;
}

test('b1 dropped, then an old copy of it brought back: every kind of revocation stays', async () => {
  const world = w.site.world;
  const byKey = w.site.rsaHost;
  const bySubkey = await certifiedHost('subkeyhost', { subkey: true });
  const [subkey] = await subkeyFingerprints(bySubkey);
  const byMaster = await certifiedHost('certhost');
  const byUserID = await certifiedHost('uidhost');
  const plain = w.site.edHost; // dropped without any revocation
  await w.site.importWorld();
  await release(2026041002, 1);
  const revoked: Array<[string, string]> = [
    [byKey.fingerprint, 'KEY_REVOKED'],
    [subkey!, 'SUBKEY_REVOKED'],
    [byMaster.fingerprint, 'CERT_REVOKED'],
    [byUserID.fingerprint, 'USER_ID_REVOKED'],
  ];
  for (const [fpr] of revoked) expect(await inVerify()).toContain(fpr);
  const keys = [byKey, bySubkey, byMaster, byUserID, plain].map((k) => k.fingerprint);
  for (const fpr of keys) await save(fpr);

  // Release N: the revocations.
  await world.revokeKey(byKey, 'compromised', day(1.5, UPDATE_AT));
  await world.revokeSubkey(bySubkey, subkey!, 'compromised', day(1.5, UPDATE_AT));
  await world.revokeCertification(w.site.master, byMaster, day(1.5, UPDATE_AT));
  world.add(await revokeUserID(byUserID, day(1.5, UPDATE_AT)));
  await w.site.importWorld();
  await release(2026041003, 2);
  for (const [fpr, code] of revoked) expect([fpr, await verdict(fpr, 2)]).toEqual([fpr, code]);

  // Release N+1: the keys left out. None is trusted, the one never revoked included.
  for (const fpr of keys) await drop(fpr);
  await release(2026041004, 3);
  for (const fpr of [...keys, subkey!]) expect([fpr, await verdict(fpr, 3)]).not.toEqual([fpr, 'trusted']);
  expect(await inVerify()).toEqual([]);

  // Release N+2: the old copies, certified but without the revocations.
  for (const fpr of keys) await restore(fpr);
  await release(2026041005, 4);
  for (const [fpr, code] of revoked) expect([fpr, await verdict(fpr, 4)]).toEqual([fpr, code]);
  expect(await verdict(plain.fingerprint, 4)).toBe('trusted');
  const verify = await inVerify();
  for (const [fpr] of revoked) expect(verify).not.toContain(fpr);
  expect(verify).toContain(bySubkey.fingerprint); // its primary key was never revoked
}, 240_000);

test("the anchor's certificate left out: the master's revocation of b1's certification stays; a new certification counts", async () => {
  const b1 = w.site.rsaHost;
  await save(b1.fingerprint);
  await w.site.world.revokeCertification(w.site.master, b1, day(0.5, UPDATE_AT));
  await w.site.importWorld();
  const n = await w.site.publish(2026041002, { at: day(1, UPDATE_AT) });
  w.mirror.serve(n);
  await install(1);
  expect(await verdict(b1.fingerprint, 1)).toBe('CERT_REVOKED');

  // Release N+1: release N's keyring without the master's certificate, signed by the publisher.
  const { trees } = await readMaterial(n.keyring, 'release N');
  const keyring = Buffer.concat(trees.filter((t) => t.fingerprint !== w.site.master.fingerprint).map(treeBytes));
  const body = formatRelease(describeKeyring('pkgsrc', keyring, 2026041003));
  const spec = {
    kind: 'text' as const,
    hash: 'sha256' as const,
    created: day(2, UPDATE_AT),
    expires: day(16, UPDATE_AT),
    notations: [{ name: REPOSITORY_NOTATION, value: 'keyring/pkgsrc' }],
  };
  const statement = clearsign(
    body,
    'sha256',
    await signData(w.site.publisher.secret.signer(), spec, (hash) => hashCanonical(body, hash)),
  );
  w.mirror.serve({ serial: 2026041003, statement, keyring });
  await install(2);
  expect(await verdict(b1.fingerprint, 2)).not.toBe('trusted');

  // Release N+2: b1's old copy, with the master's certification and without its revocation.
  await restore(b1.fingerprint);
  await release(2026041004, 3);
  expect(await verdict(b1.fingerprint, 3)).toBe('CERT_REVOKED');
  expect(await inVerify()).not.toContain(b1.fingerprint);

  // Release N+3: the master certifies b1 again, after the revocation.
  await w.site.world.certify(w.site.master, b1, { at: day(3.5, UPDATE_AT) });
  await w.site.importWorld();
  await release(2026041005, 4);
  expect(await verdict(b1.fingerprint, 4)).toBe('trusted');
  expect(await inVerify()).toContain(b1.fingerprint);
}, 240_000);

test("the intermediate left out: its revocation of b1's certification stays", async () => {
  const world = w.site.world;
  const dev = await world.key('developer');
  await world.certify(w.site.master, dev, { scopes: ['NetBSD/**'], delegate: 1 });
  const b1 = await world.key('b1', { type: 'rsa3072' });
  await world.certify(dev, b1, { scopes: ['NetBSD/x86_64/**'], at: day(2) });
  await w.site.importWorld();
  await release(2026041002, 1);
  expect(await verdict(b1.fingerprint, 1)).toBe('trusted');
  await save(b1.fingerprint);
  await save(dev.fingerprint);

  // Release N: the developer revokes her certification of b1.
  await world.revokeCertification(dev, b1, day(1.5, UPDATE_AT));
  await w.site.importWorld();
  await release(2026041003, 2);
  expect(await verdict(b1.fingerprint, 2)).toBe('CERT_REVOKED');

  // Release N+1: the developer's key left out, and so (keyring check insists) every signature she made.
  await drop(dev.fingerprint);
  const uids = path.join(dirOf(b1.fingerprint), 'uid');
  for (const uid of await fs.readdir(uids)) {
    for (const kind of ['certification', 'revocation'])
      await fs.rm(path.join(uids, uid, kind, `${dev.fingerprint}.asc`), { force: true });
  }
  await release(2026041004, 3);
  expect(await verdict(b1.fingerprint, 3)).not.toBe('trusted');

  // Release N+2: the developer's key and b1's old copy, certified by her, without her revocation.
  await restore(dev.fingerprint);
  await restore(b1.fingerprint);
  await release(2026041005, 4);
  expect(await verdict(b1.fingerprint, 4)).toBe('CERT_REVOKED');
  expect(await inVerify()).not.toContain(b1.fingerprint);
}, 240_000);
