// Attack: indefinite freeze. A mirror keeps serving an old, validly signed pkg-vulnerabilities, so that
// advisories published since never reach `pkg_admin audit`. Every signature on the list expires (seven
// days by default; upstream regenerates it daily), and an expired one is refused however good it is
// otherwise; one without an expiry is not accepted at all. RFC 9580 §5.2.3.18; DESIGN.md §3, §5.
import { expectRefusal, expectVerified } from '../helpers/repo';
import { SIGNED_AT, VulnSite } from '../helpers/vulnerabilities';

let site: VulnSite;
let weekly: string;
let short: string;
const after = (seconds: number) => new Date(SIGNED_AT.getTime() + seconds * 1000);
const HOUR = 3600;
const WEEK = 7 * 24 * HOUR;

beforeAll(async () => {
  site = await VulnSite.create();
  weekly = await site.sign(); // the default expiry: 7 days
  short = await site.sign({ out: 'short.asc', args: ['--expires', '36h'] });
}, 60_000);
afterAll(() => site.cleanup());

describe('an expired pkg-vulnerabilities', () => {
  it('verifies until just before its expiry (the control)', async () => {
    expectVerified(await site.verify(weekly, { at: after(WEEK - 1) }));
    expectVerified(await site.verify(short, { at: after(36 * HOUR - 1) }));
  });

  it.each([
    ['at the expiry', WEEK],
    ['a second after it', WEEK + 1],
    ['a year after it', WEEK + 365 * 24 * HOUR],
  ])('is refused %s (VULNERABILITIES_EXPIRED)', async (_name, seconds) => {
    const result = await site.verify(weekly, { at: after(seconds) });
    expectRefusal(result, 'VULNERABILITIES_EXPIRED');
    expect(result.stderr).toMatch(/the pkg-vulnerabilities signature expired 2026-04-18T00:00:00Z/);
  });

  it('honours a custom --expires 36h', async () => {
    expectRefusal(await site.verify(short, { at: after(36 * HOUR) }), 'VULNERABILITIES_EXPIRED');
  });

  it('is refused when its signature has no expiry at all (VULNERABILITIES_MALFORMED)', async () => {
    const forever = await site.write('forever.asc', await site.signDirect(site.text, { expires: null }));
    const result = await site.verify(forever);
    expectRefusal(result, 'VULNERABILITIES_MALFORMED');
    expect(result.stderr).toMatch(/has no expiration time/);
  });

  it('cannot be made without an expiry: sign-vulnerabilities --expires never is a usage error', async () => {
    const { result } = await site.trySign({ out: 'never.asc', args: ['--expires', 'never'] });
    expectRefusal(result, 'USAGE', 2);
  });
});
