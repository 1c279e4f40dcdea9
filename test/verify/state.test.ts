// Freshness state (lib/verify/state.ts): the newest index signature accepted per repository, so that
// an older one, however valid, is refused (DESIGN.md §5 rollback).
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { ClientState, checkRollback } from '../../lib/verify/state';
import { expectCode } from '../helpers/caught';
import { cleanup, tempDir } from '../helpers/cli';
import { day } from '../helpers/world';
import { checkRepository } from '../../lib/trust/scope';

const REPO = checkRepository('NetBSD/x86_64/10.0/All');
const SIGNER = 'A'.repeat(40);
let dir: string;
beforeEach(async () => (dir = await tempDir()));
afterEach(() => cleanup(dir));

const file = () => path.join(dir, `${encodeURIComponent(REPO)}.json`);

describe('ClientState', () => {
  it('knows nothing of a repository at first, then the newest signature it accepted', async () => {
    const state = new ClientState(dir);
    expect(await state.newest(REPO)).toBeNull();
    await state.acceptIndex({ repository: REPO, signed: day(10), signer: SIGNER });
    await state.acceptIndex({ repository: REPO, signed: day(12), signer: SIGNER });
    expect(await state.newest(REPO)).toEqual({ repository: REPO, signed: day(12), signer: SIGNER });
    expect(JSON.parse(await fs.readFile(file(), 'utf8'))).toEqual({
      repository: REPO,
      signed: '2026-01-13T00:00:00Z',
      signer: SIGNER,
    });
    expect(await new ClientState(dir).newest(checkRepository('NetBSD/x86_64/9.0/All'))).toBeNull();
  });

  it('accepts the same index again, and refuses an older one (ROLLBACK), keeping the newest', async () => {
    const state = new ClientState(dir);
    await state.acceptIndex({ repository: REPO, signed: day(12), signer: SIGNER });
    await state.acceptIndex({ repository: REPO, signed: day(12), signer: 'B'.repeat(40) });
    const error = await expectCode(
      state.acceptIndex({ repository: REPO, signed: day(11), signer: SIGNER }),
      'ROLLBACK',
    );
    expect(error.message).toBe(
      `index for ${REPO} signed 2026-01-12T00:00:00Z is older than the one already accepted, signed 2026-01-13T00:00:00Z by ${SIGNER}`,
    );
    expect((await state.newest(REPO))?.signed).toEqual(day(12));
  });

  it('the pure step: checkRollback refuses an older signature than the newest accepted, and takes an equal one', () => {
    const newest = { repository: REPO, signed: day(12), signer: SIGNER };
    expect(() => checkRollback({ ...newest, signed: day(12) }, newest)).not.toThrow();
    expect(() => checkRollback({ ...newest, signed: day(11) }, null)).not.toThrow();
    expect(() => checkRollback({ ...newest, signed: day(11) }, newest)).toThrow(
      /ROLLBACK|older than the one already accepted/,
    );
  });

  it.each([
    ['not JSON', '{"repository":'],
    [
      'another repository',
      JSON.stringify({ repository: 'NetBSD/x86_64/9.0/All', signed: '2026-01-13T00:00:00Z', signer: SIGNER }),
    ],
    ['no valid time', JSON.stringify({ repository: REPO, signed: 'yesterday', signer: SIGNER })],
    ['no signer', JSON.stringify({ repository: REPO, signed: '2026-01-13T00:00:00Z' })],
  ])(
    'refuses to go on from a damaged file (%s): STATE_DAMAGED, which must not reopen the door to rollback',
    async (_what, text) => {
      await fs.writeFile(file(), text);
      const error = await expectCode(
        new ClientState(dir).acceptIndex({ repository: REPO, signed: day(1), signer: SIGNER }),
        'STATE_DAMAGED',
      );
      expect(error.message).toContain('damaged verification state');
    },
  );
});
