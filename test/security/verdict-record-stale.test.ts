// Attack (freeze): an update or status answers from verdicts recorded before a certification expired,
// and so goes on trusting, and exporting to pkg_add, a key the chain refuses now. Recorded verdicts
// stand only until their horizon, the first instant at which one could change (lib/keyring/verdicts.ts).
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { parseKeyring } from '../../lib/keyring/store';
import { loadsOpenPGP } from '../helpers/cli';
import { UPDATE_AT, withInstalledWorld } from '../helpers/mirror';
import { day } from '../helpers/world';

const CERTIFIED_UNTIL = day(2, UPDATE_AT);
const AFTER = day(3, UPDATE_AT);

const w = withInstalledWorld(
  async (site) =>
    void (await site.world.certify(site.master, site.rsaHost, {
      scopes: ['NetBSD/**'],
      at: day(2),
      expires: CERTIFIED_UNTIL,
    })),
);

const horizon = async () =>
  new Date(JSON.parse(await fs.readFile(path.join(w.client.live, 'verdicts.json'), 'utf8')).horizon);
const exported = async () =>
  (await parseKeyring(await fs.readFile(path.join(w.client.live, 'verify.gpg')), 'verify.gpg')).trees.map(
    (t) => t.fingerprint,
  );

test('the horizon comes no later than the expiry, and until then the record answers', async () => {
  const until = await horizon();
  expect(until.getTime()).toBeLessThanOrEqual(CERTIFIED_UNTIL.getTime());
  const before = await w.client.updateLoading(w.mirror.url, { at: new Date(until.getTime() - 1000) });
  expect(loadsOpenPGP(before.loaded)).toBe(false);
  expect(before.stdout).toMatch(/up to date, .*: 1 package signing key\(s\)/);
});

test('at the horizon, update judges anew', async () => {
  const run = await w.client.updateLoading(w.mirror.url, { at: await horizon() });
  expect(loadsOpenPGP(run.loaded)).toBe(true);
  expect(run.status).toBe(0);
});

test('after the expiry, status judges anew and no longer counts the key among those that expire soon', async () => {
  const before = await w.client.statusLoading({ at: day(1, UPDATE_AT), args: ['--json'] });
  expect(JSON.parse(before.stdout).expiring.map((e: { key: string }) => e.key)).toEqual([w.site.rsaHost.fingerprint]);
  const after = await w.client.statusLoading({ at: AFTER, args: ['--json'] });
  expect(loadsOpenPGP(after.loaded)).toBe(true);
  expect(JSON.parse(after.stdout).expiring).toEqual([]);
});

test('after the expiry, update judges anew and takes the key out of what pkg_add trusts', async () => {
  expect(await exported()).toEqual([w.site.rsaHost.fingerprint]);
  const run = await w.client.updateLoading(w.mirror.url, { at: AFTER });
  expect(loadsOpenPGP(run.loaded)).toBe(true);
  expect(run.stdout).toMatch(/up to date, .*: 0 package signing key\(s\), 1 pkg-vulnerabilities key\(s\)/);
  expect(await exported()).toEqual([]);
});
