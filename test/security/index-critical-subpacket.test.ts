// Attack: an index signature carrying a condition pkgkeys does not understand, marked critical (a
// subpacket type, a notation). Ignoring it would accept the signature on terms its signer did not give.
// RFC 9580 §5.2.3.7 (critical bit), §5.2.3.24 (notations); DESIGN.md §3.
import { REPOSITORY_NOTATION } from '../../lib/model';
import { REPO, Repo, expectRefusal, expectVerified, forgeIndex, notationSubpacket, subpacket } from '../helpers/repo';

let repo: Repo;
let summary: string;
beforeAll(async () => {
  repo = await Repo.create();
  summary = await repo.publish([{ pkgname: 'foo-1.0', content: Buffer.from('foo package') }]);
});
afterAll(() => repo.cleanup());

const repository = notationSubpacket(REPOSITORY_NOTATION, REPO);
const verifyWith = async (...extra: Buffer[]) =>
  repo.verify(
    await repo.write(
      'attack.asc',
      forgeIndex(repo.host, summary, { hash: 'sha512', subpackets: [repository, ...extra] }),
    ),
  );

describe('unknown critical subpackets in the index signature', () => {
  it('verifies with the same unknown subpacket and notation when they are not critical (the control)', async () => {
    expectVerified(await verifyWith());
    expectVerified(await verifyWith(subpacket(100, Buffer.from('x'))));
    expectVerified(await verifyWith(notationSubpacket('only-on-tuesdays@example.org', 'yes')));
  });

  it('is refused with an unknown critical subpacket', async () => {
    expectRefusal(await verifyWith(subpacket(100, Buffer.from('x'), true)), 'BAD_SIGNATURE');
    expectRefusal(await verifyWith(subpacket(110, Buffer.alloc(0), true)), 'BAD_SIGNATURE');
  });

  it('is refused with an unknown critical notation', async () => {
    expectRefusal(await verifyWith(notationSubpacket('only-on-tuesdays@example.org', 'yes', true)), 'BAD_SIGNATURE');
  });
});
