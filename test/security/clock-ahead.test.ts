/**
 * A clock far ahead (a wrong RTC, a bad ntp server, an attacker's): everything current looks expired,
 * and is refused as expired, which is the truth by that clock. The floor is never raised by it: the
 * floor comes only from signatures that verified, whose times are those of the signers. Once the
 * clock is right again, the machine verifies as before: a bogus clock cannot lock it out.
 * DESIGN.md §4 (time).
 */
import { promises as fs } from 'node:fs';
import { REPOSITORY_NOTATION } from '../../lib/model';
import { formatTime } from '../../lib/time';
import { pkgkeys } from '../helpers/cli';
import { PUBLISHED_AT, withInstalledWorld } from '../helpers/mirror';
import { entry, expectRefusal, expectVerified, iso, signIndexWith } from '../helpers/repo';
import { day } from '../helpers/world';

const REPO = 'NetBSD/x86_64/10.0/All';
const SIGNED = day(2, PUBLISHED_AT);
const RIGHT = new Date(SIGNED.getTime() + 3600_000);
const AHEAD = day(400, RIGHT);

const world = withInstalledWorld();

test('an index is expired by a clock far ahead, the floor stays, and the right clock verifies it again', async () => {
  const client = world.client;
  const file = world.site.path('index.asc');
  await fs.writeFile(
    file,
    await signIndexWith(world.site.edHost, entry('foo-1.0'), {
      created: SIGNED,
      notations: [{ name: REPOSITORY_NOTATION, value: REPO }],
    }),
  );
  const verify = (clock: Date) =>
    pkgkeys(['verify-summary', '--now', iso(clock), '--repository', REPO, file], { PKGKEYS_ROOT: client.root });
  const floor = async (clock: Date) => JSON.parse((await client.status({ at: clock, args: ['--json'] })).stdout).floor;

  expect((await verify(RIGHT)).status).toBe(0);
  const proven = { identifier: REPO, signed: formatTime(SIGNED), signer: world.site.edHost.fingerprint };
  expect(await floor(RIGHT)).toEqual(proven);

  const ahead = await verify(AHEAD);
  expectRefusal(ahead, 'INDEX_EXPIRED');
  expect(ahead.stderr).toContain(`(now ${formatTime(AHEAD)}): the mirror may be frozen or stale`);
  // Neither the refusal nor status (which judges the keyring at that clock) moved the floor to the clock.
  expect(await floor(AHEAD)).toEqual(proven);

  const again = await verify(RIGHT);
  expectVerified(again);
  expect(await floor(RIGHT)).toEqual(proven);
});
