/**
 * The keyrings pkgkeys exports for pkg_install (GPG_KEYRING_VERIFY, GPG_KEYRING_PKGVULN), read by gpg
 * and gpgv: binary transferable keys, RSA only, each with a User ID (DESIGN.md §4), holding exactly the
 * keys the chain makes valid now.
 */
import { execFileSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { armor, signData } from '../../lib/pgp';
import { withInstalledWorld } from '../helpers/mirror';
import { peerSync } from '../helpers/peer';
import { type TestKey, day } from '../helpers/world';

const w = withInstalledWorld();

/** `gpg --list-packets`, as [packet header, its w.first detail line] pairs. */
function packets(file: string): Array<[string, string]> {
  const out = execFileSync('gpg', ['--batch', '--homedir', w.site.path('gnupg-none'), '--list-packets', file], {
    encoding: 'utf8',
  });
  const lines = out.split('\n');
  return lines.flatMap((line, i) =>
    line.startsWith(':') ? [[line.trim(), (lines[i + 1] ?? '').trim()] as [string, string]] : [],
  );
}

beforeAll(() => fs.mkdir(w.site.path('gnupg-none'), { recursive: true, mode: 0o700 }));

test.each([
  ['verify.gpg', () => w.site.rsaHost],
  ['pkgvuln.gpg', () => w.site.vuln],
])('gpg --list-packets on %s shows one RSA key with its User ID and self-signature only', (file, key) => {
  const list = packets(path.join(w.client.live, file));
  expect(list.map(([header]) => header.replace(/^(:[a-zA-Z ]+packet:).*/, '$1'))).toEqual([
    ':public key packet:',
    ':user ID packet:',
    ':signature packet:',
  ]);
  expect(list[0]![1]).toMatch(/^version 4, algo 1, /);
  expect(list[1]![0]).toContain(key().userID);
  expect(list[2]![0]).toContain(`keyid ${key().fingerprint.slice(-16)}`);
  expect(list[2]![1]).toMatch(/sigclass 0x13$/);
});

async function detachedSignature(key: TestKey, data: Buffer): Promise<string> {
  const spec = { kind: 'binary' as const, hash: 'sha256' as const, created: day(100), expires: null, notations: [] };
  return armor('signature', await signData(key.secret.signer(), spec, (hash) => void hash.update(data)));
}

test('gpgv accepts a signature by the RSA build host against verify.gpg, and not one by the Ed25519 host', async () => {
  const data = Buffer.from('pkgsrc signature\n');
  await fs.writeFile(w.site.path('data'), data);
  for (const [key, ok] of [
    [w.site.rsaHost, true],
    [w.site.edHost, false],
  ] as const) {
    await fs.writeFile(w.site.path('data.asc'), await detachedSignature(key, data));
    const run = peerSync('gpgv', [
      '--keyring',
      path.join(w.client.live, 'verify.gpg'),
      w.site.path('data.asc'),
      w.site.path('data'),
    ]);
    expect({ key: key.name, ok: run.status === 0 }).toEqual({ key: key.name, ok });
  }
});
