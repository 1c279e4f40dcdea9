// Attack: rollback. A mirror replays an older index, still signed and unexpired, to hide updates (a
// security fix, a revocation). The client keeps the newest signature time accepted per repository and
// refuses anything older; a damaged record must not reopen the door. TUF "rollback"; DESIGN.md §3, §5.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { formatTime } from '../../lib/time';
import { REPO, Repo, SIGNED_AT, expectRefusal, expectVerified } from '../helpers/repo';

const ARM = 'NetBSD/aarch64/10.0/All';
const HOUR = 3600_000;
const T1 = new Date(SIGNED_AT.getTime() - 24 * HOUR);
const T2 = SIGNED_AT;
const T3 = new Date(SIGNED_AT.getTime() + 2 * HOUR);
const NOW = new Date(SIGNED_AT.getTime() + 3 * HOUR); // every index above is valid now

let repo: Repo;
const index: Record<string, string> = {};
let dirs = 0;
beforeAll(async () => {
  repo = await Repo.create({ scopes: [REPO, ARM] });
  await repo.publish([{ pkgname: 'foo-1.0', content: Buffer.from('foo package') }]);
  for (const [name, at] of [
    ['T1', T1],
    ['T2', T2],
    ['T3', T3],
  ] as const) {
    index[name] = (await repo.sign({ at, out: `${name}.asc` })).file;
    index[`arm-${name}`] = (await repo.sign({ at, out: `arm-${name}.asc`, repository: ARM })).file;
  }
});
afterAll(() => repo.cleanup());

/** A fresh state directory, so that each test starts with no index accepted. */
const freshState = () => repo.path(`state-${++dirs}`);
const verify = (name: string, stateDir: string) =>
  repo.verify(index[name]!, { at: NOW, stateDir, repository: name.startsWith('arm-') ? ARM : REPO });

/** The one state record in `stateDir` (its file name is the library's business). */
async function record(stateDir: string): Promise<{ file: string; content: { repository: string; signed: string } }> {
  const files = (await fs.readdir(stateDir)).filter((f) => f.endsWith('.json'));
  expect(files).toHaveLength(1);
  const file = path.join(stateDir, files[0]!);
  return { file, content: JSON.parse(await fs.readFile(file, 'utf8')) };
}

describe('rollback to an older index', () => {
  it('verifies each index alone (the control)', async () => {
    for (const name of ['T1', 'T2', 'T3', 'arm-T1']) expectVerified(await verify(name, freshState()));
  });

  it('refuses an older index once a newer one was accepted, and accepts the same or a newer one', async () => {
    const state = freshState();
    expectVerified(await verify('T2', state));
    expectRefusal(await verify('T1', state), 'ROLLBACK');
    expect((await record(state)).content.signed).toBe(formatTime(T2));
    expectVerified(await verify('T2', state));
    expectVerified(await verify('T3', state));
    expect((await record(state)).content).toMatchObject({ repository: REPO, signed: formatTime(T3) });
    expectRefusal(await verify('T2', state), 'ROLLBACK');
  });

  it('keeps state directories apart', async () => {
    const [a, b] = [freshState(), freshState()];
    expectVerified(await verify('T3', a));
    expectVerified(await verify('T1', b));
  });

  it('keeps repositories apart: an older index of another repository is no rollback', async () => {
    const state = freshState();
    expectVerified(await verify('T3', state));
    expectVerified(await verify('arm-T1', state));
    expectRefusal(await verify('T2', state), 'ROLLBACK');
    expectVerified(await verify('arm-T2', state));
    expectRefusal(await verify('arm-T1', state), 'ROLLBACK');
  });

  it.each([
    ['garbage', () => '{"repository": "NetBSD/x86_64/10.0/All", "signed": '],
    ['another repository', (r: { repository: string; signed: string }) => JSON.stringify({ ...r, repository: ARM })],
    ['no time', (r: { repository: string; signed: string }) => JSON.stringify({ ...r, signed: undefined })],
    [
      'a time that is no date',
      (r: { repository: string; signed: string }) => JSON.stringify({ ...r, signed: 'yesterday' }),
    ],
  ])('refuses to go on from a damaged state record (%s)', async (_name, damage) => {
    const state = freshState();
    expectVerified(await verify('T2', state));
    const { file, content } = await record(state);
    await fs.writeFile(file, damage(content));
    for (const name of ['T1', 'T2', 'T3']) expectRefusal(await verify(name, state), 'STATE_DAMAGED', 3);
  });

  it('does not advance the state for an index that is refused after its signature verified (a malformed pkg_summary)', async () => {
    const state = freshState();
    expectVerified(await verify('T2', state));
    // Good signature, newer time, but no pkg_summary inside: refused, and it must not shadow T2 or its successors.
    const garbage = await repo.write(
      'garbage-T3.asc',
      await repo.signIndex('this is not a pkg_summary\n', { created: T3 }),
    );
    expectRefusal(await repo.verify(garbage, { at: NOW, stateDir: state }), 'SUMMARY_MALFORMED');
    expect((await record(state)).content.signed).toBe(formatTime(T2));
    expectVerified(await verify('T2', state));
  });

  it('records the newer of two verifications run concurrently, never the older', async () => {
    for (let round = 0; round < 5; round++) {
      const state = freshState();
      const [older, newer] = await Promise.all([verify('T1', state), verify('T3', state)]);
      // Either order is fine: older then newer (both accepted), or newer then older (a rollback).
      expectVerified(newer);
      if (older.status !== 0) expectRefusal(older, 'ROLLBACK');
      expect((await record(state)).content.signed).toBe(formatTime(T3));
    }
  });
});
