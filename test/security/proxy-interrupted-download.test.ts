/**
 * Attack (and accident): the mirror dies in the middle of a package, or stops sending and keeps the
 * connection open. pkgin gets an error status, never a short package; no partial file stays in the
 * cache (which a later request could take for the package); and once the mirror is fixed, the next
 * request fetches the package again and gets exactly its bytes. DESIGN.md §3, §5 (atomic writes).
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import type { Served } from '../helpers/mirror';
import { ClientRoot, Upstream, loggedCodes, packagesOf, pkginPackage, refusalOf } from '../helpers/upstream';

const SIZE = 600_000;
const [pkg] = packagesOf({ 'big-1.0': SIZE });
const content = pkg!.content;

let upstream: Upstream;
let dirs = 0;

beforeAll(async () => {
  upstream = await Upstream.start();
  await upstream.publish([pkg!]);
}, 60_000);
afterAll(() => upstream?.stop());

// Each with the reason the proxy gives: a cut-off transfer is reported as such at once, not after waiting
// for a limit; a stalled one by the silence limit (timeoutMs), not the whole download's deadline.
const cases: Array<[string, Served, RegExp]> = [
  [
    'the mirror closes the connection mid-transfer',
    { body: content, dieAfter: 200_000 },
    /: transfer cut off after \d+ of 600000 bytes$/,
  ],
  [
    'the mirror closes the connection mid-transfer, with no Content-Length',
    { body: content, dieAfter: 200_000, contentLength: null },
    /: transfer cut off after \d+ bytes$/,
  ],
  [
    'the mirror stops sending and keeps the connection open',
    { body: content, stallAfter: 200_000 },
    /: nothing received for 1 s$/,
  ],
];

test.each(cases)(
  '%s: an error, no partial file, then the whole package once the mirror is fixed',
  async (_what, served, reason) => {
    const client = await ClientRoot.create(upstream, upstream.repo.path(`client-${++dirs}`));
    const { proxy, log, repoURL } = await client.proxy({ timeoutMs: 1000 });
    try {
      upstream.mirror.files.set('big-1.0.tgz', served);
      const failed = await pkginPackage(repoURL, 'big-1.0');
      expect(refusalOf(failed)).toEqual({ status: 502, code: 'NETWORK_ERROR' });
      expect(loggedCodes(log)).toEqual(['big-1.0.tgz: NETWORK_ERROR']);
      expect(log[0]).toMatch(reason);
      expect(await client.cacheFiles()).toEqual([]);

      upstream.mirror.files.set('big-1.0.tgz', { body: content });
      const res = await pkginPackage(repoURL, 'big-1.0');
      expect({ status: res.status, truncated: res.truncated, same: res.body.equals(content) }).toEqual({
        status: 200,
        truncated: false,
        same: true,
      });
      expect(await client.cacheFiles()).toEqual([`${createHash('sha256').update(content).digest('hex')}.tgz`]);
      expect(log).toHaveLength(1);
    } finally {
      await proxy.close();
    }
  },
);

test('what a killed proxy or a damaged disk left in the cache is never served', async () => {
  const client = await ClientRoot.create(upstream, upstream.repo.path(`client-${++dirs}`));
  const sha = createHash('sha256').update(content).digest('hex');
  const first = await client.proxy();
  await first.proxy.close();
  // A download a killed proxy left two days ago, and one another proxy sharing the cache is writing now.
  const dead = client.path('var/db/pkgkeys/cache', `.${sha}.0123456789ab.part`);
  await fs.writeFile(dead, content.subarray(0, 1000));
  const twoDaysAgo = new Date(Date.now() - 2 * 86400_000);
  await fs.utimes(dead, twoDaysAgo, twoDaysAgo);
  const live = `.${sha}.ba9876543210.part`;
  await fs.writeFile(client.path('var/db/pkgkeys/cache', live), content.subarray(0, 1000));
  // And other bytes of the right size under the final name (a disk error, or planted there).
  await fs.writeFile(client.path('var/db/pkgkeys/cache', `${sha}.tgz`), Buffer.alloc(SIZE, 0x5a));
  const { proxy, log, repoURL } = await client.proxy({ timeoutMs: 1000 });
  try {
    expect(await client.cacheFiles()).toEqual([live, `${sha}.tgz`]);
    await fs.rm(client.path('var/db/pkgkeys/cache', live));
    upstream.mirror.files.set('big-1.0.tgz', { body: content });
    const asked = upstream.mirror.requests.length;
    const res = await pkginPackage(repoURL, 'big-1.0');
    expect({ status: res.status, same: res.body.equals(content) }).toEqual({ status: 200, same: true });
    expect(upstream.mirror.requests.slice(asked).map((r) => r.path)).toContain('big-1.0.tgz');
    expect(await client.cacheFiles()).toEqual([`${sha}.tgz`]);
    expect(log).toEqual([]);
  } finally {
    await proxy.close();
  }
});
