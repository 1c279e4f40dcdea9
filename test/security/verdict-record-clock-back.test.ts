// Attack (clock set back): verdicts recorded at one time are taken for an earlier one. A certification
// made on day 3 is valid from day 3 on; with the clock set back to day 2 (still after the newest
// signature accepted here, so no floor stops it) it is not, and a record made on day 5 cannot say so.
// A record stands only from the time it was judged.
import { loadsOpenPGP } from '../helpers/cli';
import { UPDATE_AT, withInstalledWorld } from '../helpers/mirror';
import { day } from '../helpers/world';

const CERTIFIED_AT = day(3, UPDATE_AT);
const JUDGED = day(5, UPDATE_AT);
const SET_BACK = day(2, UPDATE_AT);

const w = withInstalledWorld(
  async (site) =>
    void (await site.world.certify(site.master, site.rsaHost, {
      scopes: ['NetBSD/**'],
      at: CERTIFIED_AT,
      expires: day(20, UPDATE_AT),
    })),
);

beforeAll(async () => {
  const judged = await w.client.update(w.mirror.url, { at: JUDGED });
  expect(judged.stdout).toMatch(/: 1 package signing key\(s\)/);
});

test('status with the clock set back judges anew: the certification is not valid yet', async () => {
  const recorded = await w.client.statusLoading({ at: JUDGED, args: ['--json'] });
  expect(loadsOpenPGP(recorded.loaded)).toBe(false);
  expect(JSON.parse(recorded.stdout).expiring.map((e: { key: string }) => e.key)).toEqual([w.site.rsaHost.fingerprint]);
  const run = await w.client.statusLoading({ at: SET_BACK, args: ['--json'] });
  expect(loadsOpenPGP(run.loaded)).toBe(true);
  expect(JSON.parse(run.stdout).expiring).toEqual([]);
});

test('update with the clock set back judges anew, and exports no key whose certification is not valid yet', async () => {
  const run = await w.client.updateLoading(w.mirror.url, { at: SET_BACK });
  expect(loadsOpenPGP(run.loaded)).toBe(true);
  expect(run.stdout).toMatch(/up to date, .*: 0 package signing key\(s\)/);
});
