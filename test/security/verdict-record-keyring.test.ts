// Attack: the installed files change under recorded verdicts. A key certified only for
// pkg-vulnerabilities is slipped into verify.gpg, which pkg_add trusts for every package; or the
// keyring itself is replaced by one that holds a revocation. Verdicts recorded on the old files would
// leave the one in place and miss the other. A record stands only for the files it was made with.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { parseKeyring } from '../../lib/keyring/store';
import { loadsOpenPGP } from '../helpers/cli';
import { type Client, UPDATE_AT, withInstalledWorld } from '../helpers/mirror';
import { day } from '../helpers/world';

const AT = day(1, UPDATE_AT);

const w = withInstalledWorld(
  async (site) =>
    void (await site.world.certify(site.master, site.rsaHost, {
      scopes: ['NetBSD/**'],
      at: day(2),
      expires: day(20, UPDATE_AT),
    })),
);

const fingerprints = async (client: Client, file: string) =>
  (await parseKeyring(await fs.readFile(path.join(client.live, file)), file)).trees.map((t) => t.fingerprint);

async function installed(name: string): Promise<Client> {
  const client = await w.site.client(name);
  await client.update(w.mirror.url, { at: AT });
  const recorded = await client.updateLoading(w.mirror.url, { at: AT });
  expect(loadsOpenPGP(recorded.loaded)).toBe(false);
  return client;
}

test('a key slipped into verify.gpg: update judges anew and writes the exports again', async () => {
  const client = await installed('verify-gpg');
  await fs.writeFile(
    path.join(client.live, 'verify.gpg'),
    Buffer.concat([
      await fs.readFile(path.join(client.live, 'verify.gpg')),
      await fs.readFile(path.join(client.live, 'pkgvuln.gpg')),
    ]),
  );
  expect(await fingerprints(client, 'verify.gpg')).toEqual([w.site.rsaHost.fingerprint, w.site.vuln.fingerprint]);
  const run = await client.updateLoading(w.mirror.url, { at: AT });
  expect(loadsOpenPGP(run.loaded)).toBe(true);
  expect(run.stdout).toMatch(/up to date, .*: 1 package signing key\(s\), 1 pkg-vulnerabilities key\(s\)/);
  expect(await fingerprints(client, 'verify.gpg')).toEqual([w.site.rsaHost.fingerprint]);
});

test('a keyring with a revocation in place of the installed one: status and update judge anew and trust the key no more', async () => {
  const client = await installed('keyring-gpg');
  const before = await client.statusLoading({ at: AT, args: ['--json'] });
  expect(JSON.parse(before.stdout).expiring.map((e: { key: string }) => e.key)).toEqual([w.site.rsaHost.fingerprint]);
  await w.site.world.revokeKey(w.site.rsaHost, 'compromised', day(0.5, UPDATE_AT));
  await fs.writeFile(path.join(client.live, 'keyring.gpg'), w.site.world.material.join('\n'));
  const status = await client.statusLoading({ at: AT, args: ['--json'] });
  expect(loadsOpenPGP(status.loaded)).toBe(true);
  expect(JSON.parse(status.stdout).expiring).toEqual([]);
  const run = await client.updateLoading(w.mirror.url, { at: AT });
  expect(loadsOpenPGP(run.loaded)).toBe(true);
  expect(run.stdout).toMatch(/up to date, .*: 0 package signing key\(s\)/);
  expect(await fingerprints(client, 'verify.gpg')).toEqual([]);
});
