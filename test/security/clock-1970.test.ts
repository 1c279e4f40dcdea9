/**
 * Attack (or plain hardware): a board without a battery boots with its clock at 1970, and pkgkeys
 * runs from cron before ntpd has set it. The built CLI runs here as its own process under faketime(1),
 * without --now, so the clock it reads is the system's. With nothing proven yet, the keyring package
 * is refused with CLOCK_BEHIND (not installed, nothing proven); once it was installed, its signing
 * time is the floor: a current index says the clock is wrong, an expired one stays expired, and status
 * fails with CLOCK_BEHIND. DESIGN.md §4 (time); clock-set-back.test.ts has the same with --now.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { REPOSITORY_NOTATION } from '../../lib/model';
import { formatTime } from '../../lib/time';
import { pkgkeysWithClock } from '../helpers/cli';
import { PUBLISHED_AT, withInstalledWorld } from '../helpers/mirror';
import { codeOf, entry, signIndexWith } from '../helpers/repo';
import { day } from '../helpers/world';

const REPO = 'NetBSD/x86_64/10.0/All';
const BOOT = '1970-01-02 00:00:00';
/** What a clock started at BOOT reads a few seconds later. */
const EPOCH_READING = /this machine's clock reads 1970-01-02T00:0\d:\d\dZ/;

const world = withInstalledWorld();

beforeAll(async () => {
  await fs.access(path.resolve(__dirname, '../../dist/pkgkeys.js')).catch(() => {
    throw new Error('dist/pkgkeys.js is missing: run `make build` first (`make test` does)');
  });
});

async function index(name: string, created: Date): Promise<string> {
  const file = world.site.path(name);
  await fs.writeFile(
    file,
    await signIndexWith(world.site.edHost, entry('foo-1.0'), {
      created,
      notations: [{ name: REPOSITORY_NOTATION, value: REPO }],
    }),
  );
  return file;
}

test('the keyring package installed at 1970: CLOCK_BEHIND, saying so; nothing installed', async () => {
  const client = await world.site.client('fresh');
  const result = await pkgkeysWithClock(
    BOOT,
    ['update', '--url', `file://${world.site.path('pub')}/`, '--allow-expired', '--quiet'],
    { PKGKEYS_ROOT: client.root },
  );
  expect({ status: result.status, code: codeOf(result) }).toEqual({ status: 1, code: 'CLOCK_BEHIND' });
  expect(result.stderr).toContain(`the keyring release was signed ${formatTime(PUBLISHED_AT)}`);
  expect(result.stderr).toMatch(EPOCH_READING);
  expect(result.stderr).toContain(
    '(nothing is proven here yet). If the clock is wrong, set the clock (ntpdate -b pool.ntp.org, or start ntpd) and try again',
  );
  await expect(fs.readdir(client.live)).resolves.not.toContain('current');
});

test('installed, then booted at 1970: a current index is CLOCK_BEHIND, an expired one stays expired, status fails', async () => {
  const env = { PKGKEYS_ROOT: world.client.root }; // release 2026041001 installed: its signing time is the floor
  const floor = `before ${formatTime(PUBLISHED_AT)}, the latest time proven here (when the keyring/pkgsrc signature by ${world.site.publisher.fingerprint} was made): the clock is wrong`;

  const current = await pkgkeysWithClock(
    BOOT,
    ['verify-summary', '--repository', REPO, await index('current.asc', day(1, PUBLISHED_AT))],
    env,
  );
  expect({ status: current.status, code: codeOf(current), stdout: current.stdout }).toEqual({
    status: 1,
    code: 'CLOCK_BEHIND',
    stdout: '',
  });
  expect(current.stderr).toMatch(EPOCH_READING);
  expect(current.stderr).toContain(floor);

  // Valid until a day before the release was signed: by the clock, made in the future; by the floor, expired.
  const old = await pkgkeysWithClock(
    BOOT,
    ['verify-summary', '--repository', REPO, await index('old.asc', day(-8, PUBLISHED_AT))],
    env,
  );
  expect({ status: old.status, code: codeOf(old), stdout: old.stdout }).toEqual({
    status: 1,
    code: 'INDEX_EXPIRED',
    stdout: '',
  });
  expect(old.stderr).toContain(
    `expired ${formatTime(day(-1, PUBLISHED_AT))} (now ${formatTime(PUBLISHED_AT)}): it stays expired`,
  );

  const status = await pkgkeysWithClock(BOOT, ['status', '--json'], env);
  expect(status.status).toBe(1);
  const report = JSON.parse(status.stdout);
  expect(report.clock).toMatch(/^1970-01-02T00:0\d:\d\dZ$/);
  expect(report.floor).toEqual({
    identifier: 'keyring/pkgsrc',
    signed: formatTime(PUBLISHED_AT),
    signer: world.site.publisher.fingerprint,
  });
  expect(report.problems[0]).toEqual({ code: 'CLOCK_BEHIND', message: expect.stringContaining(floor) });
});
