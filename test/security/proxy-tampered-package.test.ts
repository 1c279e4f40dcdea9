/**
 * Attack: arbitrary package through the proxy. The mirror serves other bytes under a package's name:
 * the same size with other content, a bigger file (announced or not), a shorter one. The proxy must
 * check FILE_SIZE and FILE_CKSUM before pkgin sees anything: an error status with the one-line reason
 * as the body, not one byte of the package, nothing left in the cache, one log line. DESIGN.md §3.
 */
import { createHash } from 'node:crypto';
import type { Served } from '../helpers/mirror';
import { ClientRoot, Upstream, loggedCodes, packagesOf, pkginPackage, refusalOf } from '../helpers/upstream';

let upstream: Upstream;
let client: ClientRoot;
const [pkg] = packagesOf({ 'foo-1.0': 100_000 });
const good = pkg!.content;
const flipped = Buffer.from(good);
flipped[50_000] ^= 1;

beforeAll(async () => {
  upstream = await Upstream.start();
  await upstream.publish([pkg!]);
  client = await ClientRoot.create(upstream);
}, 60_000);
afterAll(() => upstream?.stop());

const cases: Array<[string, Served, string]> = [
  ['the same size, one bit flipped', { body: flipped }, 'HASH_MISMATCH'],
  ['the same size, other bytes altogether', { body: Buffer.alloc(good.length, 0x41) }, 'HASH_MISMATCH'],
  ['bigger, announced', { body: Buffer.concat([good, Buffer.from('trailer')]) }, 'SIZE_MISMATCH'],
  [
    'bigger, not announced',
    { body: Buffer.concat([good, Buffer.alloc(200_000, 0x42)]), contentLength: null },
    'SIZE_MISMATCH',
  ],
  [
    'shorter (the package cut at a boundary the server calls complete)',
    { body: good.subarray(0, 60_000) },
    'SIZE_MISMATCH',
  ],
];

test.each(cases)('a package %s is refused, and nothing of it is served or kept', async (_what, served, code) => {
  const { proxy, log, repoURL } = await client.proxy();
  try {
    upstream.mirror.files.set('foo-1.0.tgz', served);
    const asked = upstream.mirror.requests.length;
    const res = await pkginPackage(repoURL, 'foo-1.0');
    expect(refusalOf(res)).toEqual({ status: 403, code });
    expect(res.body.length).toBeLessThan(1000);
    expect(res.body.includes(served.body.subarray(0, 64))).toBe(false);
    // The proxy did go upstream for it: the refusal is its check, not a failure to ask.
    expect(upstream.mirror.requests.slice(asked).map((r) => r.path)).toContain('foo-1.0.tgz');
    expect(loggedCodes(log)).toEqual([`foo-1.0.tgz: ${code}`]);
    expect(await client.cacheFiles()).toEqual([]);
  } finally {
    await proxy.close();
  }
});

test('concurrent requests for a tampered package are all refused', async () => {
  const { proxy, repoURL } = await client.proxy();
  try {
    upstream.mirror.files.set('foo-1.0.tgz', { body: flipped });
    const all = await Promise.all(Array.from({ length: 10 }, () => pkginPackage(repoURL, 'foo-1.0')));
    expect(all.map(refusalOf)).toEqual(Array(10).fill({ status: 403, code: 'HASH_MISMATCH' }));
    expect(await client.cacheFiles()).toEqual([]);
  } finally {
    await proxy.close();
  }
});

test('once the mirror serves the true package, it is served (the control)', async () => {
  const { proxy, log, repoURL } = await client.proxy();
  try {
    upstream.mirror.files.set('foo-1.0.tgz', { body: good });
    const res = await pkginPackage(repoURL, 'foo-1.0');
    expect({ status: res.status, same: res.body.equals(good) }).toEqual({ status: 200, same: true });
    expect(log).toEqual([]);
    expect(await client.cacheFiles()).toEqual([`${createHash('sha256').update(good).digest('hex')}.tgz`]);
  } finally {
    await proxy.close();
  }
});
