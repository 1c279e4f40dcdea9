/**
 * A repository's signed index verified as it downloads (verifyRemoteIndex, check-repo's path): held to
 * the download verified whole (fetchBounded, then verifyIndexData), with the same verdict, or the
 * same failure with the same code and message, for every form, attack and broken transfer. And the
 * transfer it reads, fetchChunks.
 */
import { execFileSync } from 'node:child_process';
import { gzipSync } from 'node:zlib';
import { fetchBounded, fetchChunks } from '../../lib/client/fetch';
import { findSignedIndex, verifyRemoteIndex } from '../../lib/client/remote-index';
import { PkgkeysError } from '../../lib/errors';
import { MAX_INDEX_BYTES } from '../../lib/limits';
import type { TrustGraph } from '../../lib/trust/chain';
import { DEFAULT_POLICY } from '../../lib/trust/policy';
import { verifyIndexData } from '../../lib/verify';
import { clockAt } from '../../lib/verify/state';
import { REPO, VERIFY_AT, entry } from '../helpers/repo';
import type { Served } from '../helpers/mirror';
import { Upstream, packagesOf } from '../helpers/upstream';
import { day } from '../helpers/world';

let upstream: Upstream;
let signed: Buffer;
let graph: TrustGraph;
beforeAll(async () => {
  upstream = await Upstream.start();
  signed = await upstream.publish(packagesOf({ 'foo-1.0': 100, 'bar-2.0': 200 }));
  graph = await upstream.repo.world.graph(upstream.repo.master);
}, 60_000);
afterAll(() => upstream.stop());

const TIMEOUT_MS = 2000;
const options = { clock: clockAt(VERIFY_AT, null), policy: DEFAULT_POLICY, newest: null, timeoutMs: TIMEOUT_MS };

/** A verdict, or a failure's code and message. */
async function outcome(
  verify: () => Promise<{ index: { signer: string; entries: number; expires: Date }; url: string }>,
): Promise<unknown> {
  try {
    const { index, url } = await verify();
    return { signer: index.signer, entries: index.entries, expires: index.expires, url };
  } catch (error) {
    if (!(error instanceof PkgkeysError)) throw error;
    return { error: `${error.code}: ${error.message}` };
  }
}

/** The download verified whole, as check-repo did before it verified as it downloads. */
const whole = () =>
  outcome(async () => {
    const repository = { repository: REPO, url: upstream.url };
    const found = await findSignedIndex(repository, null, async (url) => {
      const got = await fetchBounded({ url, limit: MAX_INDEX_BYTES, timeoutMs: TIMEOUT_MS });
      return got.notModified ? got : { ...got, head: got.body };
    });
    const index = await verifyIndexData(found!.body, found!.url, {
      graph,
      repository: REPO,
      now: VERIFY_AT,
      clock: options.clock,
      policy: DEFAULT_POLICY,
      newest: null,
    });
    return { index, url: found!.url };
  });

const streamed = () =>
  outcome(async () => {
    const { index, download } = await verifyRemoteIndex({ repository: REPO, url: upstream.url }, { graph, ...options });
    return { index, url: download.url };
  });

/** Serves each form in turn and expects the same outcome both ways; returns it. */
async function same(body: Buffer, form = 'pkg_summary.asc', served: Partial<Served> = {}): Promise<unknown> {
  upstream.serveIndex(body, form);
  Object.assign(upstream.mirror.files.get(form)!, served);
  const expected = await whole();
  expect(await streamed()).toEqual(expected);
  return expected;
}

afterEach(() => upstream.serveIndex(signed));

const edit = (change: (doc: string) => string) => Buffer.from(change(signed.toString('latin1')), 'latin1');

it('a good index, in every form a mirror may serve it', async () => {
  expect(await same(signed)).toMatchObject({ entries: 2, signer: upstream.repo.host.fingerprint });
  for (const [tool, ext] of [
    ['gzip', 'gz'],
    ['bzip2', 'bz2'],
    ['xz', 'xz'],
    ['zstd', 'zst'],
  ]) {
    expect(await same(execFileSync(tool!, ['-c'], { input: signed }), `pkg_summary.asc.${ext}`)).toMatchObject({
      entries: 2,
      url: `${upstream.url}/pkg_summary.asc.${ext}`,
    });
  }
});

it.each<[string, (doc: string) => string]>([
  ['modified text', (d) => d.replace('foo-1.0', 'foo-6.6')],
  ['a second block', (d) => d + d],
  ['an unescaped dash line', (d) => d.replace(/^(OPSYS=.*)$/m, '-$1')],
  ['a Hash header that lies', (d) => d.replace('Hash: SHA256', 'Hash: SHA512')],
  ['an entry before BEGIN', (d) => entry('evil-6.6.6') + d],
  ['nothing at all', () => ''],
])('%s: the same refusal', async (_name, attack) => {
  expect(await same(edit(attack))).toMatchObject({ error: expect.any(String) });
});

it('signed, but not a pkg_summary, or expired: the same refusal', async () => {
  expect(await same(await upstream.repo.signIndex('PKGNAME=a\nno equals sign\n\n'))).toMatchObject({
    error: expect.stringMatching(/^SUMMARY_MALFORMED: /),
  });
  expect(
    await same(await upstream.repo.signIndex('PKGNAME=a\n\n', { created: day(90), expires: day(91) })),
  ).toMatchObject({ error: expect.stringMatching(/^INDEX_EXPIRED: /) });
});

it('a transfer cut off, also one whose start is no signed index and one of a compressed form: NETWORK_ERROR, as before', async () => {
  expect(await same(signed, 'pkg_summary.asc', { dieAfter: 300 })).toMatchObject({
    error: expect.stringMatching(/^NETWORK_ERROR: .*cut off/),
  });
  expect(
    await same(Buffer.from('not a signed index\n'.repeat(50_000)), 'pkg_summary.asc', { dieAfter: 500_000 }),
  ).toMatchObject({ error: expect.stringMatching(/^NETWORK_ERROR: /) });
  const xz = execFileSync('xz', ['-c'], { input: Buffer.from('garbage\n'.repeat(200_000)) });
  expect(await same(xz, 'pkg_summary.asc.xz', { dieAfter: xz.length >> 1 })).toMatchObject({
    error: expect.stringMatching(/^NETWORK_ERROR: /),
  });
  const gz = gzipSync(signed);
  expect(await same(gz, 'pkg_summary.asc.gz', { dieAfter: gz.length >> 1 })).toMatchObject({
    error: expect.stringMatching(/^NETWORK_ERROR: /),
  });
});

it('corrupt compressed data: the same refusal', async () => {
  const gz = gzipSync(signed);
  expect(await same(Buffer.concat([gz.subarray(0, 20), Buffer.alloc(200, 0x55)]), 'pkg_summary.asc.gz')).toMatchObject({
    error: expect.stringMatching(/^INDEX_MALFORMED: .*corrupt gzip/),
  });
});

it('no form at all: the same NOT_FOUND', async () => {
  expect(await same(signed, 'elsewhere')).toMatchObject({ error: expect.stringMatching(/^NOT_FOUND: /) });
});

describe('fetchChunks', () => {
  const url = () => new URL(`${upstream.url}/pkg_summary.asc`);

  it('gives the body in chunks as they arrive, and the validators at the end', async () => {
    upstream.mirror.files.set('pkg_summary.asc', { body: signed, etag: '"v1"' });
    const transfer = fetchChunks({ url: url(), limit: 1 << 20, timeoutMs: TIMEOUT_MS });
    const chunks: Buffer[] = [];
    for await (const chunk of transfer.chunks) chunks.push(Buffer.from(chunk));
    expect(Buffer.concat(chunks).equals(signed)).toBe(true);
    expect(await transfer.result).toMatchObject({ notModified: false, validators: { etag: '"v1"' } });
  });

  it('ends a transfer that stalls when its reader stops reading, by cancel or by leaving the loop', async () => {
    upstream.mirror.files.set('pkg_summary.asc', { body: signed, stallAfter: 100 });
    const long = { url: url(), limit: 1 << 20, timeoutMs: 600_000 };
    const cancelled = fetchChunks(long);
    for await (const _chunk of cancelled.chunks) break;
    await expect(cancelled.result).rejects.toThrow('the download was cancelled');
    const stopped = fetchChunks(long);
    await stopped.chunks[Symbol.asyncIterator]().next();
    stopped.cancel();
    await expect(stopped.result).rejects.toThrow('the download was cancelled');
  });

  it('ends its chunks with the failure of the transfer', async () => {
    upstream.mirror.files.set('pkg_summary.asc', { body: signed, dieAfter: 200 });
    const transfer = fetchChunks({ url: url(), limit: 1 << 20, timeoutMs: TIMEOUT_MS });
    const read = (async () => {
      for await (const _chunk of transfer.chunks);
    })();
    await expect(read).rejects.toMatchObject({ code: 'NETWORK_ERROR' });
  });
});
