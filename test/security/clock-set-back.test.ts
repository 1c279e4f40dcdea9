/**
 * Attack: a clock set back. A board without a battery reads 1970 or its last shutdown until ntpd runs;
 * an attacker on its network (or a wrong RTC) makes it believe an earlier time. By that clock an
 * expired index, keyring release or pkg-vulnerabilities list looks fresh: a freeze succeeds against
 * exactly the machines that cannot tell the time. pkgkeys keeps the latest time its verified
 * signatures proved (the floor) and judges at the later of the clock and the floor: what expired
 * before the floor stays expired, and a current signature "from the future" says the clock is wrong
 * (CLOCK_BEHIND), naming what it reads and the floor. DESIGN.md §3 (freeze), §4 (time).
 *
 * The clock is --now here, in-process; clock-1970.test.ts runs the built CLI under faketime.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { REPOSITORY_NOTATION } from '../../lib/model';
import { formatTime } from '../../lib/time';
import { type CliResult, pkgkeys } from '../helpers/cli';
import { type Client, PUBLISHED_AT, withInstalledWorld } from '../helpers/mirror';
import { entry, expectRefusal, iso, signIndexWith } from '../helpers/repo';
import { vulnerabilitiesNotation, vulnerabilitiesText } from '../helpers/vulnerabilities';
import { day } from '../helpers/world';

const REPO_A = 'NetBSD/x86_64/10.0/All';
const REPO_B = 'NetBSD/aarch64/10.0/All';
const HOUR = 3600_000;
const P = PUBLISHED_AT; // keyring release 2026041001: signed P, valid 14 days, installed at P + 1 h
const later = (date: Date, hours: number) => new Date(date.getTime() + hours * HOUR);

const world = withInstalledWorld();
let machines = 0;

/** A machine with the keyring installed and nothing else verified yet. */
async function machine(): Promise<Client> {
  const client = await world.site.client(`machine-${++machines}`);
  await fs.cp(world.client.root, client.root, { recursive: true, force: true, verbatimSymlinks: true });
  return client;
}

const run = (client: Client, command: string, clock: Date, args: string[]): Promise<CliResult> =>
  pkgkeys([command, '--now', iso(clock), ...args], { PKGKEYS_ROOT: client.root });

/** An index for `repository` signed by a build host of the keyring at `created`, valid 7 days. */
async function index(repository: string, created: Date): Promise<string> {
  const file = world.site.path(`index-${repository.replace(/\//g, '_')}-${created.getTime()}.asc`);
  await fs.writeFile(
    file,
    await signIndexWith(world.site.edHost, entry('foo-1.0'), {
      created,
      notations: [{ name: REPOSITORY_NOTATION, value: repository }],
    }),
  );
  return file;
}

/** A pkg-vulnerabilities list signed at `created`, valid 7 days. */
async function vulnerabilities(created: Date): Promise<string> {
  const file = world.site.path(`pkg-vulnerabilities-${created.getTime()}.asc`);
  await fs.writeFile(
    file,
    await signIndexWith(world.site.vuln, vulnerabilitiesText(), {
      created,
      hash: 'sha512',
      notations: vulnerabilitiesNotation,
    }),
  );
  return file;
}

/** Verifies `file` for `repository` on `client` with the clock at `clock`. */
const verifyIndex = (client: Client, repository: string, file: string, clock: Date) =>
  run(client, 'verify-summary', clock, ['--repository', repository, file]);

/** The machine verifies a current index of REPO_A at `signed` + 1 h: the floor is then `signed`. */
async function proven(client: Client, signed: Date): Promise<void> {
  const result = await verifyIndex(client, REPO_A, await index(REPO_A, signed), later(signed, 1));
  expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 0, stderr: '' });
}

const F = day(2, P); // the floor in most tests: an index signed then was accepted
const BACK = day(-3, P); // the clock set back, before the floor (and before the keyring release)
const behind = (reads: Date, floor: Date, by: string, what: string) =>
  `this machine's clock reads ${formatTime(reads)}, ${by} before ${formatTime(floor)}, the latest time proven here (when the ${what} was made): ` +
  'the clock is wrong; set the clock (ntpdate -b pool.ntp.org, or start ntpd) and try again';

describe('a clock set back, before the latest time proven here', () => {
  test('an index that expired before the floor stays expired, for a repository never seen before too', async () => {
    const client = await machine();
    await proven(client, F);
    const old = await index(REPO_B, day(-8, P)); // valid until P - 1 d: fresh by the clock set back
    const result = await verifyIndex(client, REPO_B, old, BACK);
    expectRefusal(result, 'INDEX_EXPIRED');
    expect(result.stderr).toContain(
      `expired ${formatTime(day(-1, P))} (now ${formatTime(F)}): it stays expired, as ${behind(BACK, F, '5 d', `${REPO_A} signature by ${world.site.edHost.fingerprint}`)}`,
    );
  });

  test('pkg-vulnerabilities that expired before the floor stays expired', async () => {
    const client = await machine();
    await proven(client, F);
    expectRefusal(
      await run(client, 'verify-vulnerabilities', BACK, [await vulnerabilities(day(-8, P))]),
      'VULNERABILITIES_EXPIRED',
    );
  });

  test('the installed keyring release stays expired: update refuses it, status says why', async () => {
    const client = await machine();
    // A list signed after the installed release expired (P + 14 d) is the latest time proven.
    const signed = day(15, P);
    const list = await run(client, 'verify-vulnerabilities', later(signed, 1), [await vulnerabilities(signed)]);
    expect(list.status).toBe(0);
    const frozen = await client.update(world.mirror.url, { at: day(5, P) }); // the mirror still serves release 2026041001
    expectRefusal(frozen, 'KEYRING_FROZEN');
    const status = await client.status({ at: day(5, P), args: ['--json'] });
    expect(status.status).toBe(1);
    const report = JSON.parse(status.stdout);
    expect(report.floor).toEqual({
      identifier: 'pkg-vulnerabilities',
      signed: formatTime(signed),
      signer: world.site.vuln.fingerprint,
    });
    expect(report.clock).toBe(formatTime(day(5, P)));
    expect(report.problems.map((p: { code: string }) => p.code)).toEqual([
      'CLOCK_BEHIND',
      'KEYRING_FROZEN',
      'KEYRING_STALE',
    ]);
    expect(report.problems[0].message).toBe(
      behind(day(5, P), signed, '10 d', `pkg-vulnerabilities signature by ${world.site.vuln.fingerprint}`),
    );
  });

  test('a current index is CLOCK_BEHIND, saying what the clock reads and what was proven', async () => {
    const client = await machine();
    await proven(client, F);
    const current = day(1, F);
    const result = await verifyIndex(client, REPO_A, await index(REPO_A, current), BACK);
    expectRefusal(result, 'CLOCK_BEHIND');
    expect(result.stderr).toBe(
      `pkgkeys: warning: ${behind(BACK, F, '5 d', `${REPO_A} signature by ${world.site.edHost.fingerprint}`)}\n` +
        `pkgkeys: CLOCK_BEHIND: the index was signed ${formatTime(current)}, but ${behind(BACK, F, '5 d', `${REPO_A} signature by ${world.site.edHost.fingerprint}`)}\n`,
    );
  });

  test('what is valid at the floor verifies, judged as of the floor, with a warning about the clock', async () => {
    const client = await machine();
    await proven(client, F);
    const result = await verifyIndex(client, REPO_B, await index(REPO_B, later(F, -1)), BACK);
    expect(result.status).toBe(0);
    expect(result.stderr).toBe(
      `pkgkeys: warning: ${behind(BACK, F, '5 d', `${REPO_A} signature by ${world.site.edHost.fingerprint}`)}\n`,
    );
  });
});

describe('1970 on a fresh install with only the keyring package', () => {
  const EPOCH = new Date('1970-01-02T00:00:00Z');
  const gap = `${Math.round((P.getTime() - EPOCH.getTime()) / 86400_000)} d`;
  const keyringPackage = (client: Client, clock: Date) =>
    client.update(`file://${world.site.path('pub')}/`, { at: clock, args: ['--allow-expired'] });

  test('the keyring package installed at 1970: CLOCK_BEHIND, nothing installed, nothing proven', async () => {
    const client = await world.site.client('fresh-1970');
    const result = await keyringPackage(client, EPOCH);
    expectRefusal(result, 'CLOCK_BEHIND');
    expect(result.stderr).toContain(`the keyring release was signed ${formatTime(P)}, ${gap} after now`);
    expect(result.stderr).toContain(
      `this machine's clock reads ${formatTime(EPOCH)} (nothing is proven here yet). If the clock is wrong, set the clock (ntpdate`,
    );
    await expect(fs.readdir(client.live)).resolves.not.toContain('current');
    await expect(fs.readdir(path.join(client.live, 'state')).catch(() => [])).resolves.toEqual([]);
  });

  test('installed, then booted at 1970: its signing time is the floor; no expired index is accepted', async () => {
    const client = await world.site.client('board-1970');
    expect((await keyringPackage(client, later(P, 1))).status).toBe(0);
    const what = `keyring/pkgsrc signature by ${world.site.publisher.fingerprint}`;
    const current = await verifyIndex(client, REPO_A, await index(REPO_A, day(1, P)), EPOCH);
    expectRefusal(current, 'CLOCK_BEHIND');
    expect(current.stderr).toContain(`but ${behind(EPOCH, P, gap, what)}`);
    expectRefusal(await verifyIndex(client, REPO_A, await index(REPO_A, day(-8, P)), EPOCH), 'INDEX_EXPIRED');
    const status = await client.status({ at: EPOCH });
    expect(status.status).toBe(1);
    expect(status.stdout).toContain(`CLOCK_BEHIND: ${behind(EPOCH, P, gap, what)}`);
  });
});
