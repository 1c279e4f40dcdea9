/**
 * Attack: rollback through the proxy. Once the proxy accepted an index, the mirror serves an older
 * one again, still validly signed and unexpired (to bring back a package with a known hole, say).
 * The proxy refuses it with ROLLBACK, also after a restart (the state directory remembers), and keeps
 * to the newer index it verified: a package only the old index lists is unknown. DESIGN.md §3, §5.
 */
import { SIGNED_AT } from '../helpers/repo';
import {
  ClientRoot,
  Upstream,
  loggedCodes,
  packagesOf,
  pkginPackage,
  pkginSummary,
  refusalOf,
  summaryOf,
} from '../helpers/upstream';

const OLDER = new Date(SIGNED_AT.getTime() - 86400_000);
const old = packagesOf({ 'foo-1.0': 4000 });
const current = packagesOf({ 'foo-1.1': 4100 });

let upstream: Upstream;
let client: ClientRoot;
let oldIndex: Buffer;
let newIndex: Buffer;

beforeAll(async () => {
  upstream = await Upstream.start();
  oldIndex = await upstream.publish(old, { at: OLDER });
  newIndex = await upstream.publish(current, { at: SIGNED_AT });
  client = await ClientRoot.create(upstream);
}, 60_000);
afterAll(() => upstream?.stop());

test('the older index is refused once the newer one was accepted, by the running proxy and after a restart', async () => {
  const first = await client.proxy();
  try {
    upstream.serveIndex(newIndex);
    const accepted = await pkginSummary(first.repoURL);
    expect(accepted.outcome.status).toBe(200);
    expect((accepted.outcome as { text: Buffer }).text.toString('latin1')).toBe(summaryOf(current));
    expect(first.log).toEqual([]);

    upstream.serveIndex(oldIndex);
    const replayed = await pkginSummary(first.repoURL);
    expect(replayed.tried).toEqual([{ ext: 'zst', status: 403 }]);
    // Nor may pkgin, holding the newer copy, be told it is current by an answer built on the replay.
    const held = await pkginSummary(first.repoURL, (accepted.outcome as { lastModified: string }).lastModified);
    expect(held.outcome).toEqual({ status: 403 });
    // The old package is no more than a name the verified (newer) index does not list; the newer one is still served.
    expect(refusalOf(await pkginPackage(first.repoURL, 'foo-1.0'))).toEqual({ status: 404, code: 'UNKNOWN_PACKAGE' });
    expect((await pkginPackage(first.repoURL, 'foo-1.1')).body.equals(current[0]!.content)).toBe(true);
    expect(loggedCodes(first.log)).toEqual([
      'pkg_summary.zst: ROLLBACK',
      'pkg_summary.zst: ROLLBACK',
      'foo-1.0.tgz: UNKNOWN_PACKAGE',
    ]);
    expect(upstream.mirror.requests.map((r) => r.path)).not.toContain('foo-1.0.tgz');
  } finally {
    await first.proxy.close();
  }

  const restarted = await client.proxy();
  try {
    const replayed = await pkginSummary(restarted.repoURL);
    expect(replayed.outcome).toEqual({ status: 403 });
    expect(refusalOf(await pkginPackage(restarted.repoURL, 'foo-1.0'))).toEqual({ status: 403, code: 'ROLLBACK' });
    expect(loggedCodes(restarted.log)).toEqual(['pkg_summary.zst: ROLLBACK', 'foo-1.0.tgz: ROLLBACK']);
    expect(upstream.mirror.requests.map((r) => r.path)).not.toContain('foo-1.0.tgz');
  } finally {
    await restarted.proxy.close();
  }
});
