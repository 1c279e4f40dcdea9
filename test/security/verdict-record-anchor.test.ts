// Attack: the trust anchors change under recorded verdicts. The master's revocation certificate is
// installed beside its key in the anchors directory (it was compromised), or another master's key
// replaces it; verdicts recorded with the old anchor would go on trusting every key it certified. A
// record stands only for the anchors it was judged with, byte for byte.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
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

describe.each([
  [
    'with its revocation beside it',
    async () =>
      `${w.site.master.public}\n${await w.site.world.revokeKey(w.site.master, 'compromised', day(1, UPDATE_AT))}`,
  ],
  ['replaced by another master', async () => (await w.site.world.key('other-master')).public],
])('the anchor %s', (name, replacement) => {
  let client: Client;

  beforeAll(async () => {
    client = await w.site.client(name.replace(/\W+/g, '-'));
    await client.update(w.mirror.url, { at: AT });
    const recorded = await client.statusLoading({ at: AT, args: ['--json'] });
    expect(loadsOpenPGP(recorded.loaded)).toBe(false);
    expect(JSON.parse(recorded.stdout).expiring.map((e: { key: string }) => e.key)).toEqual([
      w.site.rsaHost.fingerprint,
    ]);
    await fs.writeFile(path.join(client.root, 'etc/pkgkeys/anchors/pkgsrc.asc'), await replacement());
  });

  test('status judges anew, and no key is trusted', async () => {
    const run = await client.statusLoading({ at: AT, args: ['--json'] });
    expect(loadsOpenPGP(run.loaded)).toBe(true);
    expect(JSON.parse(run.stdout).expiring).toEqual([]);
  });

  test('update judges anew, and exports no key', async () => {
    const run = await client.updateLoading(w.mirror.url, { at: AT });
    expect(loadsOpenPGP(run.loaded)).toBe(true);
    expect(run.stdout).toMatch(/up to date, .*: 0 package signing key\(s\), 0 pkg-vulnerabilities key\(s\)/);
  });
});
