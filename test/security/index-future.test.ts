// Attack: an index dated in the future. Signed ahead of time (by a compromised build host, or with a
// wrong clock), it would pass the rollback check for every real index signed until then and freeze the
// client. Only the usual clock skew (300 s) is allowed. The refusal is CLOCK_BEHIND, and says which
// clock to look at: this machine's is the likelier to be wrong. DESIGN.md §3, §5 (freshness).
import { formatTime } from '../../lib/time';
import { Repo, VERIFY_AT, expectRefusal, expectVerified } from '../helpers/repo';

let repo: Repo;
const ahead = (seconds: number) => new Date(VERIFY_AT.getTime() + seconds * 1000);
beforeAll(async () => {
  repo = await Repo.create();
  await repo.publish([{ pkgname: 'foo-1.0', content: Buffer.from('foo package') }]);
});
afterAll(() => repo.cleanup());

async function signedAhead(seconds: number): Promise<string> {
  return (await repo.sign({ at: ahead(seconds), out: `ahead-${seconds}.asc` })).file;
}

describe('an index from the future', () => {
  it('verifies when made within the clock skew (the control)', async () => {
    expectVerified(await repo.verify(await signedAhead(299), { stateDir: repo.path('state-299') }));
    expectVerified(await repo.verify(await signedAhead(300), { stateDir: repo.path('state-300') }));
  });

  it.each([301, 3600, 30 * 86400])('is refused when made %i s after now', async (seconds) => {
    const result = await repo.verify(await signedAhead(seconds));
    expectRefusal(result, 'CLOCK_BEHIND');
    expect(result.stderr).toContain(`the index was signed ${formatTime(ahead(seconds))}`);
    expect(result.stderr).toContain(
      `this machine's clock reads ${formatTime(VERIFY_AT)} (nothing is proven here yet). If the clock is wrong, set the clock (ntpdate`,
    );
  });

  it('is accepted once its time has come', async () => {
    expectVerified(await repo.verify(await signedAhead(3600), { at: ahead(3600) }));
  });
});
