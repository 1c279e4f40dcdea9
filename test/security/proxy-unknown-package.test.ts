/**
 * Attack: arbitrary package by name. pkgin (or whoever reaches the proxy) asks for a PKGNAME the
 * verified index does not list: another version, another case, a file the mirror does have but the
 * index does not name. The proxy answers 404 UNKNOWN_PACKAGE from the index alone: the mirror is not
 * even asked for it. DESIGN.md §3.
 */
import {
  ClientRoot,
  Upstream,
  loggedCodes,
  packagesOf,
  pkginPackage,
  pkginSummary,
  refusalOf,
} from '../helpers/upstream';

let upstream: Upstream;
const packages = packagesOf({ 'foo-1.0': 3000, 'bar-2.1nb3': 5000 });

beforeAll(async () => {
  upstream = await Upstream.start();
  await upstream.publish(packages);
  // On the mirror, not in the signed index.
  upstream.mirror.files.set('evil-1.0.tgz', { body: Buffer.from('not listed') });
  upstream.mirror.files.set('foo-1.1.tgz', { body: Buffer.from('a newer foo nobody signed') });
}, 60_000);
afterAll(() => upstream?.stop());

const UNKNOWN = ['evil-1.0', 'foo-1.1', 'foo', 'Foo-1.0', 'bar-2.1', 'bar-2.1nb3.tgz', 'foo-1.0.tgz'];

test.each([
  ['after pkgin fetched the summary', true],
  ['with no summary fetched first', false],
])('%s, a PKGNAME not in the verified index is 404 and never asked of the mirror', async (_what, summaryFirst) => {
  const client = await ClientRoot.create(upstream, upstream.repo.path(summaryFirst ? 'client-pkgin' : 'client-direct'));
  const { proxy, log, repoURL } = await client.proxy();
  try {
    if (summaryFirst) expect((await pkginSummary(repoURL)).outcome.status).toBe(200);
    const asked = upstream.mirror.requests.length;
    for (const pkgname of UNKNOWN)
      expect(refusalOf(await pkginPackage(repoURL, pkgname))).toEqual({ status: 404, code: 'UNKNOWN_PACKAGE' });
    expect(loggedCodes(log)).toEqual(UNKNOWN.map((pkgname) => `${pkgname}.tgz: UNKNOWN_PACKAGE`));
    // At most the signed index was fetched (to know what is listed); no package file.
    expect(upstream.mirror.requests.slice(asked).filter((r) => !r.path.startsWith('pkg_summary.asc'))).toEqual([]);
    expect(await client.cacheFiles()).toEqual([]);

    // The control: a listed package is fetched and served.
    const res = await pkginPackage(repoURL, 'bar-2.1nb3');
    expect({ status: res.status, same: res.body.equals(packages[1]!.content) }).toEqual({ status: 200, same: true });
  } finally {
    await proxy.close();
  }
});
