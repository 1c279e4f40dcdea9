/**
 * Attack (by accident): a keyring release that clients will refuse before its successor reaches them.
 * One that expires within the interval clients update at (daily, from cron) is found expired between
 * two runs, and every client reports the keyring frozen (PUBLISH_RELEASE_TOO_SHORT); one whose signer's
 * certification for keyring/pkgsrc (or key) lapses before the release expires is refused by every
 * client from that moment (PUBLISH_RELEASE_OUTLIVES_SIGNER). keyring publish refuses both and writes
 * nothing; a release within both bounds is published.
 */
import { promises as fs } from 'node:fs';
import { pkgkeys } from '../helpers/cli';
import { KEYRING, KeyringSite, PUBLISHED_AT } from '../helpers/mirror';
import { iso } from '../helpers/repo';
import { type TestKey, day } from '../helpers/world';

let site: KeyringSite;
/** Certified for keyring/pkgsrc until five days after PUBLISHED_AT. */
let shortPublisher: TestKey;
beforeAll(async () => {
  site = await KeyringSite.create();
  shortPublisher = await site.world.key('shortpub');
  await site.world.certify(site.master, shortPublisher, { scopes: [KEYRING], expires: day(5, PUBLISHED_AT) });
  await site.importWorld();
  await fs.writeFile(site.path('shortpub-secret.asc'), shortPublisher.secretArmored, { mode: 0o600 });
}, 60_000);
afterAll(() => site.cleanup());

const publish = (args: string[], key = site.path('publisher-secret.asc')) =>
  pkgkeys([
    'keyring',
    '--keyring',
    site.path('keyrings/pkgsrc'),
    'publish',
    '--now',
    iso(PUBLISHED_AT),
    '--key',
    key,
    '--anchor',
    site.path('master.asc'),
    '--out',
    site.path('pub'),
    ...args,
  ]);
const written = () => fs.readdir(site.path('pub')).catch(() => [] as string[]);

test.each([
  ['12h', []],
  ['1d', []],
  ['3d', ['--update-interval', '1w']],
])('--expires %s %j: not longer than the update interval: refused, nothing written', async (expires, extra) => {
  const result = await publish(['--expires', expires, ...extra]);
  expect(result.status).toBe(2);
  expect(result.stderr).toMatch(
    /^pkgkeys: PUBLISH_RELEASE_TOO_SHORT: the release would expire .* after it is made .*, within the .* between two runs of pkgkeys update: clients would find it expired/,
  );
  expect(await written()).toEqual([]);
});

test('a signer whose certification expires before the release does: refused, nothing written', async () => {
  const result = await publish(['--expires', '14d'], site.path('shortpub-secret.asc'));
  expect(result.status).toBe(1);
  expect(result.stderr).toMatch(
    new RegExp(
      `^pkgkeys: PUBLISH_RELEASE_OUTLIVES_SIGNER: the release would be valid until ${iso(day(14, PUBLISHED_AT)).replace('.000', '')}, but its signer ${shortPublisher.fingerprint} is not trusted for keyring/pkgsrc by then \\(CERT_EXPIRED: .*expired ${iso(day(5, PUBLISHED_AT)).replace('.000', '')}\\)`,
    ),
  );
  expect(await written()).toEqual([]);
});

test('within both bounds, the release is published: the same signer for 4 days, the long-lived publisher for 14', async () => {
  expect((await publish(['--expires', '4d', '--serial', '2026041001'], site.path('shortpub-secret.asc'))).status).toBe(
    0,
  );
  const result = await publish(['--expires', '14d', '--serial', '2026041002']);
  expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 0, stderr: '' });
  expect((await written()).sort()).toEqual(['2026041001', '2026041002', 'keyring.gpg', 'release.asc']);
});
