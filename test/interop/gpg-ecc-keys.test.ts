/**
 * Elliptic-curve keys as gpg makes them. ECDSA on curves OpenPGP.js cannot verify here (brainpool,
 * secp256k1) is refused as such (WEAK_ALGORITHM, naming the curve), not as a key without a valid
 * self-signature; the default key of gpg >= 2.3 (Ed25519 with a Curve25519 encryption subkey, made
 * here with gpg 2.2's --quick-add-key) is a valid signing key, and its encryption subkey is no fault.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { cleanup, pkgkeys, tempDir } from '../helpers/cli';
import { GpgHome } from '../helpers/gpg';

const at = (iso: string) => new Date(`${iso}T00:00:00Z`);
const KEYS = at('2025-01-01');
const CERT = at('2025-02-01');
const JUDGED = at('2025-06-01');
const REPO = 'NetBSD/x86_64/10.0/All';

let home: GpgHome;
let dir: string;
let master: string;
const keys: Record<string, string> = {};
let ecdsaSubkey: string;
let encryptionSubkey: string;

beforeAll(async () => {
  home = await GpgHome.create();
  dir = await tempDir();
  master = await home.genKey('Master <master@example.org>', 'ed25519', KEYS);
  for (const curve of ['nistp256', 'nistp384', 'brainpoolP256r1', 'brainpoolP384r1', 'secp256k1']) {
    keys[curve] = await home.genKey(`Host ${curve} <${curve}@example.org>`, curve, KEYS);
  }
  keys.mixed = await home.genKey('Host mixed <mixed@example.org>', 'ed25519', KEYS);
  ecdsaSubkey = await home.addSigningSubkey(keys.mixed, 'brainpoolP256r1/sign', KEYS);
  keys.modern = await home.genKey('Host modern <modern@example.org>', 'ed25519', KEYS);
  await home.gpg(['--quick-add-key', keys.modern, 'cv25519', 'encr', 'never'], { at: KEYS });
  encryptionSubkey = (await home.fingerprints(keys.modern)).subkeys[0]!;
  for (const key of Object.values(keys))
    await home.certify(master, key, { at: CERT, scopes: ['NetBSD/x86_64/10.*/All'], expire: '10y' });
  await fs.writeFile(path.join(dir, 'master.asc'), await home.exportArmored(master));
  await fs.writeFile(path.join(dir, 'keyring.asc'), await home.exportArmored(...Object.values(keys)));
});

afterAll(async () => {
  await home?.close();
  if (dir) await cleanup(dir);
});

const explain = (key: string, keyring = path.join(dir, 'keyring.asc')) =>
  pkgkeys([
    'keyring',
    '--keyring',
    keyring,
    'explain',
    key,
    '--anchor',
    path.join(dir, 'master.asc'),
    '--repository',
    REPO,
    '--at',
    JUDGED.toISOString(),
  ]);

test.each(['nistp256', 'nistp384'])('ECDSA on %s: trusted', async (curve) => {
  const result = await explain(keys[curve]!);
  expect(result.stdout).toMatch(/\ntrusted\n$/);
  expect(result.status).toBe(0);
});

test.each([
  ['brainpoolP256r1', 'brainpoolP256r1'],
  ['brainpoolP384r1', 'brainpoolP384r1'],
  ['secp256k1', 'secp256k1'],
])('ECDSA on %s: refused as a curve pkgkeys does not support, not as a broken key', async (curve, name) => {
  const result = await explain(keys[curve]!);
  expect(result.stdout).toContain(`ECDSA on curve ${name} is not supported`);
  expect(result.stdout).toMatch(/not trusted: WEAK_ALGORITHM\n$/);
  expect(result.status).toBe(1);
});

test('an ECDSA brainpoolP256r1 signing subkey of an Ed25519 key: refused for its curve', async () => {
  const result = await explain(ecdsaSubkey);
  expect(result.stdout).toContain(
    `subkey ${ecdsaSubkey} of ${keys.mixed}: ECDSA on curve brainpoolP256r1 is not supported`,
  );
  expect(result.stdout).toMatch(/not trusted: WEAK_ALGORITHM\n$/);
});

describe('the default key of gpg >= 2.3: Ed25519 with a Curve25519 encryption subkey', () => {
  let keyring: string;
  beforeAll(async () => {
    keyring = path.join(dir, 'modern');
    await fs.writeFile(
      path.join(dir, 'modern.asc'),
      [await home.exportArmored(master), await home.exportArmored(keys.modern!)].join('\n'),
    );
    expect((await pkgkeys(['keyring', '--keyring', keyring, 'import', path.join(dir, 'modern.asc')])).status).toBe(0);
  });

  test('keyring check accepts it: an encryption subkey is not a signing key', async () => {
    const check = await pkgkeys(['keyring', '--keyring', keyring, 'check']);
    expect(check.stdout).toContain('no problems');
    expect(check.status).toBe(0);
  });

  test('the primary key is trusted; asked about the encryption subkey, NOT_SIGNING_KEY', async () => {
    expect((await explain(keys.modern!, keyring)).stdout).toMatch(/\ntrusted\n$/);
    const sub = await explain(encryptionSubkey, keyring);
    expect(sub.stdout).toContain(`subkey ${encryptionSubkey} of ${keys.modern} is not flagged for signing`);
    expect(sub.stdout).toMatch(/not trusted: NOT_SIGNING_KEY\n$/);
  });

  test('keyring check still reports an ECDSA key on a curve pkgkeys does not support', async () => {
    const other = path.join(dir, 'brainpool');
    await fs.writeFile(path.join(dir, 'brainpool.asc'), await home.exportArmored(keys.brainpoolP256r1!));
    await pkgkeys(['keyring', '--keyring', other, 'import', path.join(dir, 'brainpool.asc')]);
    const check = await pkgkeys(['keyring', '--keyring', other, 'check']);
    expect(check.stdout).toContain(`key ${keys.brainpoolP256r1}: ECDSA on curve brainpoolP256r1 is not supported`);
    expect(check.status).toBe(1);
  });
});
