// Attack: indefinite freeze. A mirror keeps serving an old, validly signed index so that clients never
// see updates (or a revocation). Every index signature expires (RFC 9580 §5.2.3.18), and an expired one
// is refused however good it is otherwise. DESIGN.md §3, §5 (freshness).
import { Repo, SIGNED_AT, expectRefusal, expectVerified } from '../helpers/repo';

let repo: Repo;
let weekly: string;
let short: string;
const after = (seconds: number) => new Date(SIGNED_AT.getTime() + seconds * 1000);
const HOUR = 3600;
const WEEK = 7 * 24 * HOUR;

beforeAll(async () => {
  repo = await Repo.create();
  await repo.publish([{ pkgname: 'foo-1.0', content: Buffer.from('foo package') }]);
  weekly = (await repo.sign()).file; // the default expiry: 7 days
  short = (await repo.sign({ expires: '36h', out: 'short.asc' })).file;
});
afterAll(() => repo.cleanup());

describe('an expired index', () => {
  it('verifies until just before its expiry (the control)', async () => {
    expectVerified(await repo.verify(weekly, { at: after(WEEK - 1) }));
    expectVerified(await repo.verify(short, { at: after(36 * HOUR - 1) }));
  });

  it.each([
    ['at the expiry', WEEK],
    ['a second after it', WEEK + 1],
    ['a year after it', WEEK + 365 * 24 * HOUR],
  ])('is refused %s', async (_name, seconds) => {
    expectRefusal(await repo.verify(weekly, { at: after(seconds) }), 'INDEX_EXPIRED');
  });

  it('honours a custom --expires 36h', async () => {
    expectRefusal(await repo.verify(short, { at: after(36 * HOUR) }), 'INDEX_EXPIRED');
    expectRefusal(await repo.verify(short, { at: after(WEEK - 1) }), 'INDEX_EXPIRED');
  });
});
