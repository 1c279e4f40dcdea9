// Attack: a key names a designated revoker (RFC 9580 §5.2.3.23; `gpg --edit-key addrevoker`) and that
// revoker revokes it (`gpg --desig-revoke`). gpg 2.2 lists the key revoked; pkgkeys must refuse it too,
// wherever the revocation stands. A revocation by a revoker whose certificate is not in the keyring
// cannot be checked: such a key is refused (KEY_INVALID), never trusted silently. A newer self-signature
// that no longer names the revoker (what a thief holding the key could make) does not take it back.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { armor, inspectAll, packetBytes, readTrees } from '../../lib/pgp';
import { cleanup, pkgkeys, tempDir } from '../helpers/cli';
import { addDirectSignature } from '../helpers/forge';
import { GpgHome, colonRecords } from '../helpers/gpg';

const at = (iso: string) => new Date(`${iso}T00:00:00Z`);
const KEYS = at('2025-01-01');
const CERT = at('2025-02-01');
const ADDED = at('2025-02-15'); // addrevoker
const REVOKED = at('2025-03-01'); // desig-revoke
const LATER = at('2025-04-01'); // a newer self-signature without the revoker
const JUDGED = at('2025-06-01');
const REPO = 'NetBSD/x86_64/10.0/All';

let home: GpgHome;
let dir: string;
let master: string;
let host: string;
let revoker: string;
const files: Record<'anchor' | 'host' | 'revoker' | 'revocation' | 'bareRevocation' | 'hostNewer', string> = {
  anchor: '',
  host: '',
  revoker: '',
  revocation: '',
  bareRevocation: '',
  hostNewer: '',
};

beforeAll(async () => {
  home = await GpgHome.create();
  dir = await tempDir();
  master = await home.genKey('Master <master@example.org>', 'ed25519', KEYS);
  host = await home.genKey('Host <host@example.org>', 'ed25519', KEYS);
  revoker = await home.genKey('Revoker <revoker@example.org>', 'ed25519', KEYS);
  await home.certify(master, host, { at: CERT, scopes: ['NetBSD/x86_64/10.*/All'], expire: '10y' });
  await home.addRevoker(host, revoker, { at: ADDED });
  const material = {
    anchor: await home.exportArmored(master),
    host: await home.exportArmored(host),
    revoker: await home.exportArmored(revoker),
    revocation: await home.desigRevoke(host, 'compromised', { at: REVOKED }),
    bareRevocation: '',
    hostNewer: '',
  };
  // The revocation packet alone, as it would stand appended to a keyring.
  const [revoked] = await readTrees(material.revocation, 'desig-revoke output');
  material.bareRevocation = armor('publicKey', packetBytes(revoked!.sigs.find((s) => s.signatureType === 0x20)!));
  const secret = (await home.gpg(['--armor', '--export-secret-keys', host])).stdout.toString('utf8');
  material.hostNewer = await addDirectSignature(secret, material.host, LATER);
  for (const [name, text] of Object.entries(material)) {
    files[name as keyof typeof files] = path.join(dir, `${name}.asc`);
    await fs.writeFile(files[name as keyof typeof files], text);
  }
});

afterAll(async () => {
  await home?.close();
  if (dir) await cleanup(dir);
});

/** A keyring file of the named parts, in that order. */
async function keyring(...parts: Array<keyof typeof files>): Promise<string> {
  const file = path.join(dir, `keyring-${parts.join('-')}.asc`);
  await fs.writeFile(file, (await Promise.all(parts.map((p) => fs.readFile(files[p], 'utf8')))).join('\n'));
  return file;
}

const explain = (keyringPath: string) =>
  pkgkeys([
    'keyring',
    '--keyring',
    keyringPath,
    'explain',
    host,
    '--anchor',
    files.anchor,
    '--repository',
    REPO,
    '--at',
    JUDGED.toISOString(),
  ]);

test('gpg itself lists the key revoked once it has the revoker and the revocation', async () => {
  const peer = await GpgHome.create();
  try {
    for (const part of ['host', 'revoker', 'revocation'] as const) await peer.import(await fs.readFile(files[part]));
    const { stdout } = await peer.gpg(['--with-colons', '--list-keys', host], { at: JUDGED });
    expect(colonRecords(stdout.toString('utf8')).find((r) => r[0] === 'pub')?.[1]).toBe('r');
  } finally {
    await peer.close();
  }
});

const certificate = async (...parts: Array<keyof typeof files>) =>
  (await inspectAll(await readTrees(await fs.readFile(await keyring(...parts), 'utf8'), 'keyring'))).find(
    (c) => c.fingerprint === host,
  )!;

test('pkgkeys reads the revoker, from an older self-signature too, and the revocation by it', async () => {
  const cert = await certificate('host', 'revoker', 'revocation');
  expect(cert.revokers).toMatchObject([{ fingerprint: revoker, known: true }]);
  expect(cert.revocations).toMatchObject([{ issuer: revoker, created: REVOKED, reason: 'compromised', hard: true }]);
  const newer = await certificate('hostNewer', 'revocation');
  expect(newer.direct?.created).toEqual(LATER);
  expect(newer.revokers).toMatchObject([{ fingerprint: revoker, known: false }]);
});

test.each([
  ['as gpg --desig-revoke writes it', ['host', 'revoker', 'revocation'] as const],
  ['alone, appended after the revoker', ['host', 'revoker', 'bareRevocation'] as const],
  ['alone, before every key', ['bareRevocation', 'revoker', 'host'] as const],
  ['after a newer self-signature that no longer names the revoker', ['hostNewer', 'revoker', 'revocation'] as const],
])('revoked by its designated revoker, %s: KEY_REVOKED', async (_, parts) => {
  const result = await explain(await keyring(...parts));
  expect(result.stdout).toContain(`was revoked by designated revoker ${revoker}`);
  expect(result.stdout).toMatch(/not trusted: KEY_REVOKED\n$/);
  expect(result.status).toBe(1);
});

test("the revoker's certificate missing: refused, with the revoker named, whether or not a revocation is there", async () => {
  for (const parts of [['host', 'revocation'], ['host']] as const) {
    const result = await explain(await keyring(...parts));
    expect(result.stdout).toContain(
      `names ${revoker} as a designated revoker, whose certificate is not in the keyring`,
    );
    expect(result.stdout).toMatch(/not trusted: KEY_INVALID\n$/);
    expect(result.status).toBe(1);
  }
});

test('naming a revoker is no fault in itself: with the revoker known and no revocation, trusted', async () => {
  const result = await explain(await keyring('host', 'revoker'));
  expect(result.stdout).toMatch(/\ntrusted\n$/);
  expect(result.status).toBe(0);
});

test('a keyring directory files the revocation under the revoked key, by its issuer, and keeps the self-signature naming the revoker', async () => {
  const directory = path.join(dir, 'keyring-dir');
  expect(
    (
      await pkgkeys([
        'keyring',
        '--keyring',
        directory,
        'import',
        await keyring('anchor', 'hostNewer', 'revoker', 'revocation'),
      ])
    ).status,
  ).toBe(0);
  await expect(fs.access(path.join(directory, host, 'revocation', `${revoker}.asc`))).resolves.toBeUndefined();
  await expect(fs.access(path.join(directory, host, 'direct', `${revoker}.asc`))).resolves.toBeUndefined();
  const check = await pkgkeys(['keyring', '--keyring', directory, 'check']);
  expect(check.stdout).toContain('no problems');
  expect((await explain(directory)).stdout).toMatch(/not trusted: KEY_REVOKED\n$/);
});

test('keyring check reports a key whose designated revoker is missing', async () => {
  const directory = path.join(dir, 'keyring-no-revoker');
  expect((await pkgkeys(['keyring', '--keyring', directory, 'import', files.host])).status).toBe(0);
  const check = await pkgkeys(['keyring', '--keyring', directory, 'check']);
  expect(check.stdout).toContain(`${host}: key ${host}: its designated revoker ${revoker} is not in the keyring`);
  expect(check.status).toBe(1);
});
