// Attack: mix-and-match. A mirror serves the index of another repository (another architecture or
// release) that the same build host signed validly: its packages would install on the wrong system.
// The index signature names its repository (pkgsrc-repository@pkgsrc.org notation, exactly one), and the
// chain must grant the signer the repository asked for. TUF "mix-and-match"; DESIGN.md §3, §5.
import { REPOSITORY_NOTATION } from '../../lib/model';
import { REPO, Repo, expectRefusal, expectVerified } from '../helpers/repo';

const ARM = 'NetBSD/aarch64/10.0/All';
const SPARC = 'NetBSD/sparc64/10.0/All';
let repo: Repo;
let summary: string;
let amd64: string;
beforeAll(async () => {
  repo = await Repo.create({ scopes: [REPO, ARM] }); // the host builds for both
  summary = await repo.publish([{ pkgname: 'foo-1.0', content: Buffer.from('foo package') }]);
  amd64 = (await repo.sign({ repository: REPO })).file;
});
afterAll(() => repo.cleanup());

const verifyIndex = async (index: Buffer, repository: string = REPO) =>
  repo.verify(await repo.write('attack.asc', index), { repository });
const named = (...repositories: string[]) => repositories.map((value) => ({ name: REPOSITORY_NOTATION, value }));

describe('an index for another repository', () => {
  it('verifies for the repository it names (the control)', async () => {
    expectVerified(await repo.verify(amd64, { repository: REPO }));
    expectVerified(await repo.verify((await repo.sign({ repository: ARM, out: 'arm.asc' })).file, { repository: ARM }));
    expectVerified(await verifyIndex(await repo.signIndex(summary, { notations: named(REPO) })));
  });

  it('is refused for another repository the signer is certified for', async () => {
    expectRefusal(await repo.verify(amd64, { repository: ARM }), 'REPOSITORY_MISMATCH');
  });

  it('is refused when the signature names no repository', async () => {
    expectRefusal(await verifyIndex(await repo.signIndex(summary, { notations: [] })), 'REPOSITORY_MISMATCH');
  });

  it('is refused when the signature names two repositories, even the right one twice', async () => {
    expectRefusal(
      await verifyIndex(await repo.signIndex(summary, { notations: named(REPO, ARM) })),
      'REPOSITORY_MISMATCH',
    );
    expectRefusal(
      await verifyIndex(await repo.signIndex(summary, { notations: named(ARM, REPO) }), ARM),
      'REPOSITORY_MISMATCH',
    );
    expectRefusal(
      await verifyIndex(await repo.signIndex(summary, { notations: named(REPO, REPO) })),
      'REPOSITORY_MISMATCH',
    );
  });

  it('is refused when the name is only close to the repository', async () => {
    for (const value of ['NetBSD/x86_64/10.*/All', `${REPO}/`, REPO.toLowerCase(), `${REPO} `]) {
      expectRefusal(
        await verifyIndex(await repo.signIndex(summary, { notations: named(value) })),
        'REPOSITORY_MISMATCH',
      );
    }
  });

  it('is refused by the chain first when the signer is not certified for the repository asked', async () => {
    expectRefusal(await repo.verify(amd64, { repository: SPARC }), 'OUT_OF_SCOPE');
    // Even an index that names that repository.
    expectRefusal(await verifyIndex(await repo.signIndex(summary, { notations: named(SPARC) }), SPARC), 'OUT_OF_SCOPE');
  });
});
