/**
 * Attack: a keyring directory that holds a key's revocation, but not where the layout puts it: under
 * a lower-case fingerprint, as gpg's `<FPR>.rev`, or behind a `revocation/` directory that is a
 * symlink. Read for a verdict, the directory used to skip such files silently (while `keyring check`
 * reported them), so the revoked key was trusted. A directory that check refuses is not used at all:
 * KEYRING_INVALID, naming the stray.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { importKeys } from '../../lib/keyring/store';
import { cleanup, pkgkeys, tempDir } from '../helpers/cli';
import { codeOf, iso } from '../helpers/repo';
import { type TestKey, World, day } from '../helpers/world';

const NOW = day(100);
let dir: string;
const w = new World();
let master: TestKey;
let host: TestKey;

beforeAll(async () => {
  dir = await tempDir();
  master = await w.key('master');
  host = await w.key('host');
  await w.certify(master, host);
  await w.revokeKey(host, 'compromised', day(50));
  await fs.writeFile(path.join(dir, 'master.asc'), master.public);
});
afterAll(() => cleanup(dir));

/**
 * keyrings/<name> as import writes it, revocation and all; then `move` takes the revocation's file
 * (one packet, as the layout has it) somewhere else and returns where, relative to the keyring.
 */
async function keyringWith(
  name: string,
  move: (keyring: string, fpr: string, file: string) => Promise<string>,
): Promise<{ keyring: string; stray: string }> {
  const keyring = path.join(dir, name);
  await importKeys(keyring, Buffer.from(w.material.join('\n')), 'the world');
  const fpr = host.fingerprint;
  return { keyring, stray: await move(keyring, fpr, path.join(keyring, fpr, 'revocation', `${fpr}.asc`)) };
}

const explain = (keyring: string) =>
  pkgkeys([
    'keyring',
    '--keyring',
    keyring,
    'explain',
    host.fingerprint,
    '--anchor',
    path.join(dir, 'master.asc'),
    '--at',
    iso(NOW),
  ]);

test('in its place, the revocation counts', async () => {
  const { keyring } = await keyringWith('placed', async () => '');
  const check = await pkgkeys(['keyring', '--keyring', keyring, 'check']);
  expect(check.status).toBe(0);
  expect((await explain(keyring)).stdout).toMatch(/not trusted: KEY_REVOKED\n$/);
});

test.each([
  [
    'under a lower-case fingerprint',
    async (k: string, fpr: string, file: string) => {
      await fs.rename(file, path.join(k, fpr, 'revocation', `${fpr.toLowerCase()}.asc`));
      return `${fpr}/revocation/${fpr.toLowerCase()}.asc`;
    },
  ],
  [
    "as gpg's <FPR>.rev",
    async (k: string, fpr: string, file: string) => {
      await fs.rename(file, path.join(k, fpr, `${fpr}.rev`));
      await fs.rmdir(path.join(k, fpr, 'revocation'));
      return `${fpr}/${fpr}.rev`;
    },
  ],
  [
    'behind a symlinked revocation/ directory',
    async (k: string, fpr: string) => {
      const elsewhere = path.join(dir, 'elsewhere');
      await fs.rename(path.join(k, fpr, 'revocation'), elsewhere);
      await fs.symlink(elsewhere, path.join(k, fpr, 'revocation'));
      return `${fpr}/revocation`;
    },
  ],
])('a revocation %s: the directory is refused for verdicts, naming the stray', async (name, place) => {
  const { keyring, stray } = await keyringWith(name.replace(/\W+/g, '-'), place);
  const check = await pkgkeys(['keyring', '--keyring', keyring, 'check']);
  expect(check.stdout).toContain(`${stray}: file has no place in the keyring layout`);

  const result = await explain(keyring);
  expect({ status: result.status, code: codeOf(result), trusted: /\ntrusted\n$/.test(result.stdout) }).toEqual({
    status: 1,
    code: 'KEYRING_INVALID',
    trusted: false,
  });
  expect(result.stderr).toContain(stray);
  expect(codeOf(await pkgkeys(['keyring', '--keyring', keyring, 'export']))).toBe('KEYRING_INVALID');
});
