// Attack: the policy changes under recorded verdicts. pkgkeys.conf raises min-rsa-bits above the
// keys' size, or status is asked for more anchors than there are (--threshold); verdicts recorded
// under the old policy would still trust those keys. A record stands only for the policy it was judged with.
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

async function installed(name: string): Promise<Client> {
  const client = await w.site.client(name);
  await client.update(w.mirror.url, { at: AT });
  const recorded = await client.statusLoading({ at: AT, args: ['--json'] });
  expect(loadsOpenPGP(recorded.loaded)).toBe(false);
  expect(JSON.parse(recorded.stdout).expiring.map((e: { key: string }) => e.key)).toEqual([w.site.rsaHost.fingerprint]);
  return client;
}

test('min-rsa-bits raised in pkgkeys.conf: status and update judge anew, and the RSA-3072 keys are trusted no more', async () => {
  const client = await installed('min-rsa-bits');
  await fs.writeFile(path.join(client.root, 'etc/pkgkeys/pkgkeys.conf'), 'min-rsa-bits 4096\n');
  const status = await client.statusLoading({ at: AT, args: ['--json'] });
  expect(loadsOpenPGP(status.loaded)).toBe(true);
  expect(JSON.parse(status.stdout).expiring).toEqual([]);
  const run = await client.updateLoading(w.mirror.url, { at: AT });
  expect(loadsOpenPGP(run.loaded)).toBe(true);
  expect(run.stdout).toMatch(/up to date, .*: 0 package signing key\(s\), 0 pkg-vulnerabilities key\(s\)/);
});

test('status --threshold 2 with one anchor judges anew, which refuses the threshold', async () => {
  const client = await installed('threshold');
  const run = await client.statusLoading({ at: AT, args: ['--json', '--threshold', '2'] });
  expect(loadsOpenPGP(run.loaded)).toBe(true);
  expect(JSON.parse(run.stdout)).toMatchObject({ ok: false, code: 'BAD_CONFIG' });
});
