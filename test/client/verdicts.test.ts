/**
 * An update that finds nothing new, and `pkgkeys status`, answer from the verdicts the last judging
 * update recorded (lib/keyring/verdicts.ts): without loading OpenPGP.js, and exactly as judging anew
 * would. Run as their own processes (the compiled CLI), which report the modules they loaded.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { formatTime } from '../../lib/time';
import { loadsOpenPGP } from '../helpers/cli';
import { UPDATE_AT, withInstalledWorld } from '../helpers/mirror';
import { day } from '../helpers/world';

const LATER = day(1, UPDATE_AT);
/** Within status's 30-day window, and after the release expires: status lists it, and the horizon is the release's expiry. */
const CERTIFIED_UNTIL = day(20, UPDATE_AT);

const w = withInstalledWorld(
  async (site) =>
    void (await site.world.certify(site.master, site.rsaHost, {
      scopes: ['NetBSD/**'],
      at: day(2),
      expires: CERTIFIED_UNTIL,
    })),
);

const record = () => path.join(w.client.live, 'verdicts.json');

test('the first update recorded the verdicts, standing until the release expires', async () => {
  const recorded = JSON.parse(await fs.readFile(record(), 'utf8'));
  expect(recorded).toMatchObject({
    judged: UPDATE_AT.toISOString(),
    horizon: '2026-04-25T00:00:00.000Z',
    verifyKeys: 1,
    pkgvulnKeys: 1,
  });
  expect(recorded.expiries).toContainEqual({
    key: w.site.rsaHost.fingerprint,
    what: `certification by ${w.site.master.fingerprint}`,
    expires: CERTIFIED_UNTIL.toISOString(),
  });
});

test('update, told "not modified", answers from the record without OpenPGP.js, as judging anew does', async () => {
  const recorded = await w.client.updateLoading(w.mirror.url, { at: LATER, args: ['--json'] });
  expect(loadsOpenPGP(recorded.loaded)).toBe(false);
  expect(JSON.parse(recorded.stdout)).toMatchObject({
    change: 'not-modified',
    release: { serial: 2026041001 },
    verifyKeys: 1,
    pkgvulnKeys: 1,
  });
  await fs.rm(record());
  const judged = await w.client.updateLoading(w.mirror.url, { at: LATER, args: ['--json'] });
  expect(loadsOpenPGP(judged.loaded)).toBe(true);
  expect(judged.stdout).toBe(recorded.stdout);
});

test('update, served the installed statement again without validators, answers from the record and fetches no keyring', async () => {
  w.mirror.files.set('release.asc', { body: w.first.statement });
  try {
    const asked = w.mirror.requests.length;
    const run = await w.client.updateLoading(w.mirror.url, { at: LATER, args: ['--json'] });
    expect(loadsOpenPGP(run.loaded)).toBe(false);
    expect(JSON.parse(run.stdout)).toMatchObject({
      change: 'unchanged',
      release: { serial: 2026041001 },
      verifyKeys: 1,
      pkgvulnKeys: 1,
    });
    expect(w.mirror.requests.slice(asked).map((r) => r.path)).toEqual(['release.asc']);
  } finally {
    w.mirror.serve(w.first);
  }
});

test('status answers from the record without OpenPGP.js, as judging anew does', async () => {
  const recorded = await w.client.statusLoading({ at: LATER, args: ['--json'] });
  expect(loadsOpenPGP(recorded.loaded)).toBe(false);
  expect(JSON.parse(recorded.stdout).expiring).toEqual([
    {
      key: w.site.rsaHost.fingerprint,
      what: `certification by ${w.site.master.fingerprint}`,
      expires: formatTime(CERTIFIED_UNTIL),
    },
  ]);
  await fs.rm(record());
  const judged = await w.client.statusLoading({ at: LATER, args: ['--json'] });
  expect(loadsOpenPGP(judged.loaded)).toBe(true);
  expect(judged.stdout).toBe(recorded.stdout);
});

test('a new release is judged, though the verdicts on the installed one stand, and its verdicts are recorded for the runs after it', async () => {
  await w.client.update(w.mirror.url, { at: LATER });
  expect(loadsOpenPGP((await w.client.updateLoading(w.mirror.url, { at: LATER })).loaded)).toBe(false);
  w.mirror.serve(await w.site.publish(2026041002, { at: LATER }));
  const judged = await w.client.updateLoading(w.mirror.url, { at: day(1.1, UPDATE_AT) });
  expect(judged.stdout).toMatch(/release 2026041002 installed/);
  expect(loadsOpenPGP(judged.loaded)).toBe(true);
  const next = await w.client.updateLoading(w.mirror.url, { at: day(1.2, UPDATE_AT) });
  expect(next.stdout).toMatch(/release 2026041002 up to date/);
  expect(loadsOpenPGP(next.loaded)).toBe(false);
  expect(JSON.parse(await fs.readFile(record(), 'utf8')).judged).toBe(day(1.1, UPDATE_AT).toISOString());
});
