/**
 * Attack: indefinite freeze through the proxy. The mirror keeps serving an index whose signature has
 * expired, to hide updates. pkgin must get no pkg_summary in any form (nor a 304 telling it that its
 * old copy is still good) and no package, whether the proxy first sees the index after its expiry or
 * accepted it while it was fresh and keeps running past the expiry. DESIGN.md §3, §5 (freshness).
 */
import { SIGNED_AT, VERIFY_AT } from '../helpers/repo';
import {
  ClientRoot,
  PKGIN_EXTENSIONS,
  Upstream,
  loggedCodes,
  packagesOf,
  pkginPackage,
  pkginSummary,
  refusalOf,
  request,
} from '../helpers/upstream';

const DAY = 86400_000;
const EXPIRED = new Date(SIGNED_AT.getTime() + 2 * DAY); // the index below expires a day after SIGNED_AT

let upstream: Upstream;
let client: ClientRoot;
const packages = packagesOf({ 'foo-1.0': 5000, 'bar-2.0': 7000 });

beforeAll(async () => {
  upstream = await Upstream.start();
  await upstream.publish(packages, { expires: '1d' });
  client = await ClientRoot.create(upstream);
}, 60_000);
afterAll(() => upstream?.stop());

/** Every form of pkg_summary and every package is refused with INDEX_EXPIRED, and none of the index's text goes out. */
async function expectAllRefused(repoURL: string, log: string[], lastModified?: string): Promise<void> {
  const fetched = await pkginSummary(repoURL, lastModified);
  expect(fetched.tried).toEqual([{ ext: 'zst', status: 403 }]);
  expect(fetched.outcome).toEqual({ status: 403 });
  for (const ext of PKGIN_EXTENSIONS) {
    const res = await request(`${repoURL}/pkg_summary.${ext}`, {
      headers: lastModified ? { 'if-modified-since': lastModified } : {},
    });
    expect(refusalOf(res)).toEqual({ status: 403, code: 'INDEX_EXPIRED' });
    expect(res.body.toString('latin1')).not.toMatch(/PKGNAME=/);
  }
  for (const p of packages) {
    const res = await pkginPackage(repoURL, p.pkgname);
    expect(refusalOf(res)).toEqual({ status: 403, code: 'INDEX_EXPIRED' });
  }
  expect(new Set(loggedCodes(log).map((l) => l.replace(/^.*: /, '')))).toEqual(new Set(['INDEX_EXPIRED']));
  expect(log).toHaveLength(1 + PKGIN_EXTENSIONS.length + packages.length);
}

test('a proxy that first sees the index two days after it was signed refuses it', async () => {
  const { proxy, log, repoURL } = await client.proxy({ at: EXPIRED });
  try {
    await expectAllRefused(repoURL, log);
    expect(await client.cacheFiles()).toEqual([]);
  } finally {
    await proxy.close();
  }
});

test('a proxy that accepted the index while fresh refuses it, and the packages it lists, once it expired', async () => {
  // The proxy reads the clock on every request: move this Date to move its time.
  const clock = new Date(VERIFY_AT);
  const { proxy, log, repoURL } = await client.proxy({ at: clock });
  try {
    const fresh = await pkginSummary(repoURL);
    expect(fresh.outcome.status).toBe(200);
    const lastModified = (fresh.outcome as { lastModified: string }).lastModified;
    expect((await pkginPackage(repoURL, 'foo-1.0')).status).toBe(200);
    expect(log).toEqual([]);

    clock.setTime(EXPIRED.getTime());
    // pkgin holding the copy it was given must not be told that copy is still current (304).
    await expectAllRefused(repoURL, log, lastModified);
  } finally {
    await proxy.close();
  }
});
