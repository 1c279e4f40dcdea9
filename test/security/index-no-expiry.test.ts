// Attack: an index signature that never expires could be replayed for ever (freeze). pkgkeys refuses
// to verify one, and refuses to make one. RFC 9580 §5.2.3.18 (absent or zero: never expires);
// DESIGN.md §3, §5 (freshness).
import { existsSync } from 'node:fs';
import { Repo, SIGNED_AT, expectRefusal, expectVerified } from '../helpers/repo';
import { day } from '../helpers/world';

let repo: Repo;
let summary: string;
beforeAll(async () => {
  repo = await Repo.create();
  summary = await repo.publish([{ pkgname: 'foo-1.0', content: Buffer.from('foo package') }]);
});
afterAll(() => repo.cleanup());

const verifyIndex = async (index: Buffer) => repo.verify(await repo.write('attack.asc', index));

describe('an index signature without expiry', () => {
  it('verifies when the same construction sets an expiry (the control)', async () => {
    expectVerified(await verifyIndex(await repo.signIndex(summary, { expires: day(7, SIGNED_AT) })));
  });

  it('is refused without an expiration subpacket', async () => {
    expectRefusal(await verifyIndex(await repo.signIndex(summary, { expires: null })), 'INDEX_NO_EXPIRY');
  });

  it('is refused with an expiration time of zero, which means never', async () => {
    expectRefusal(await verifyIndex(await repo.signIndex(summary, { expires: SIGNED_AT })), 'INDEX_NO_EXPIRY');
  });

  it('is never made: sign-summary --expires never is a usage error', async () => {
    const { result, file } = await repo.trySign({ expires: 'never', out: 'never.asc' });
    expectRefusal(result, 'USAGE', 2);
    expect(existsSync(file)).toBe(false);
  });
});
