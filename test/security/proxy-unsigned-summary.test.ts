/**
 * Attack (or an unsigned repository): the mirror has pkg_summary.gz, which pkgin would happily read,
 * but no signed index, or a "signed index" that is plain text. The proxy never passes the mirror's
 * pkg_summary.gz on (it does not even fetch it): no signed index is NOT_FOUND (502), an unsigned one
 * INDEX_MALFORMED (403), and no package is served without a verified index. DESIGN.md §3, §4.
 */
import { gzipSync } from 'node:zlib';
import {
  PKGIN_EXTENSIONS,
  loggedCodes,
  packagesOf,
  pkginPackage,
  pkginSummary,
  refusalOf,
  request,
  summaryOf,
  withPublished,
} from '../helpers/upstream';

const packages = packagesOf({ 'foo-1.0': 3000 });
const text = summaryOf(packages);

const published = withPublished(packages);

/** Removes every form of the signed index from the mirror, leaving pkg_summary.gz and the packages. */
function unsign(): void {
  for (const name of [...published.upstream.mirror.files.keys()])
    if (name.startsWith('pkg_summary.asc')) published.upstream.mirror.files.delete(name);
}

const cases: Array<[string, () => void, number, string]> = [
  ['no pkg_summary.asc at all, only pkg_summary.gz', unsign, 502, 'NOT_FOUND'],
  [
    'pkg_summary.asc that is the plain summary',
    () => published.upstream.serveIndex(Buffer.from(text)),
    403,
    'INDEX_MALFORMED',
  ],
  [
    'pkg_summary.asc.gz that is the plain summary, compressed',
    () => published.upstream.serveIndex(gzipSync(text), 'pkg_summary.asc.gz'),
    403,
    'INDEX_MALFORMED',
  ],
  [
    'pkg_summary.asc that is an HTML page',
    () => published.upstream.serveIndex(Buffer.from('<html><body>Welcome</body></html>\n')),
    403,
    'INDEX_MALFORMED',
  ],
];

test.each(cases)('%s: pkgin gets no summary and no package', async (_what, arrange, status, code) => {
  arrange();
  const upstreamGz = published.upstream.mirror.files.get('pkg_summary.gz')!.body;
  const { proxy, log, repoURL } = await published.client.proxy();
  try {
    const fetched = await pkginSummary(repoURL);
    expect(fetched.tried).toEqual([{ ext: 'zst', status }]);
    for (const ext of PKGIN_EXTENSIONS) {
      const res = await request(`${repoURL}/pkg_summary.${ext}`);
      expect(refusalOf(res)).toEqual({ status, code });
      expect(res.body.includes(upstreamGz.subarray(0, 16))).toBe(false);
      // The one-line reason may quote a bit of the first line; the summary itself is not in it.
      expect(res.body.length).toBeLessThan(500);
      expect(res.body.toString('latin1')).not.toMatch(/FILE_CKSUM=/);
    }
    expect(refusalOf(await pkginPackage(repoURL, 'foo-1.0'))).toEqual({ status, code });
    expect(loggedCodes(log)).toEqual([
      ...['zst', ...PKGIN_EXTENSIONS].map((ext) => `pkg_summary.${ext}: ${code}`),
      `foo-1.0.tgz: ${code}`,
    ]);
    const asked = published.upstream.mirror.requests.map((r) => r.path);
    expect(asked).not.toContain('pkg_summary.gz');
    expect(asked).not.toContain('foo-1.0.tgz');
    expect(await published.client.cacheFiles()).toEqual([]);
  } finally {
    await proxy.close();
  }
});
