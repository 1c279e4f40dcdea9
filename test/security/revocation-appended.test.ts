// Attack (or accident): a standalone revocation certificate appended to a keyring file (`cat keyring.asc
// b1-revoked.asc`) follows another key's certificate, so a reader files it under that key and drops it.
// Key revocations are self-authenticating: each counts for the key it verifies over, wherever it stands
// in the file, and a keyring directory written from such a file files it under that key.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { cleanup, pkgkeys, tempDir } from '../helpers/cli';
import { NOW, REPO } from '../helpers/chain';
import { revocationCertificate } from '../helpers/forge';
import { World, day } from '../helpers/world';
import { formatTime } from '../../lib/time';

let dir: string;
beforeEach(async () => {
  dir = await tempDir();
});
afterEach(() => cleanup(dir));

async function world() {
  const w = new World();
  const master = await w.key('master');
  const b1 = await w.key('b1');
  const b2 = await w.key('b2');
  const certified = { b1: await w.certify(master, b1), b2: await w.certify(master, b2) };
  await fs.writeFile(path.join(dir, 'master.asc'), master.public);
  return { master, b1, b2, certified, revocation: await revocationCertificate(b1, 'compromised', day(50)) };
}

const explain = (keyring: string, key: string) =>
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
    formatTime(NOW),
  ]);

describe('a revocation certificate appended to a keyring', () => {
  it.each([
    [
      'after another key (cat keyring.asc b1-revoked.asc)',
      (k: { b1: string; b2: string; master: string }, r: string) => [k.b1, k.master, k.b2, r],
    ],
    ['between two other keys', (k: { b1: string; b2: string; master: string }, r: string) => [k.b1, k.b2, r, k.master]],
    ['before every key', (k: { b1: string; b2: string; master: string }, r: string) => [r, k.master, k.b2, k.b1]],
  ])('%s: the key it revokes is revoked, the others are not', async (_, order) => {
    const { master, b1, b2, certified, revocation } = await world();
    const keyring = path.join(dir, 'keyring.asc');
    await fs.writeFile(keyring, order({ ...certified, master: master.public }, revocation).join('\n'));
    expect((await explain(keyring, b1.fingerprint)).stdout).toMatch(
      /FAIL KEY_REVOKED .* was revoked .*compromised.*\n.*not trusted: KEY_REVOKED\n$/,
    );
    const other = await explain(keyring, b2.fingerprint);
    expect(other.stdout).toMatch(/\ntrusted\n$/);
    expect(other.status).toBe(0);
  });

  it('importing the file into a keyring directory files the revocation under the key it revokes', async () => {
    const { master, b1, b2, certified, revocation } = await world();
    const file = path.join(dir, 'keyring.asc');
    await fs.writeFile(file, [certified.b1, master.public, certified.b2, revocation].join('\n'));
    const keyring = path.join(dir, 'keyring');
    const imported = await pkgkeys(['keyring', '--keyring', keyring, 'import', file]);
    expect(imported.status).toBe(0);
    expect(imported.stdout).toContain(`  ${b1.fingerprint}/revocation/${b1.fingerprint}.asc\n`);
    await expect(fs.readdir(path.join(keyring, b2.fingerprint))).resolves.not.toContain('revocation');
    const check = await pkgkeys(['keyring', '--keyring', keyring, 'check']);
    expect(check.stdout).toContain('no problems');
    expect(check.status).toBe(0);
    expect((await explain(keyring, b1.fingerprint)).stdout).toMatch(/not trusted: KEY_REVOKED\n$/);
    expect((await explain(keyring, b2.fingerprint)).stdout).toMatch(/\ntrusted\n$/);
  });
});
