/**
 * pkgin asks for pkg_summary on every run, with If-Modified-Since; the proxy asks the mirror in turn,
 * conditionally. An index the mirror reports unchanged (304) is not read and hashed again while its
 * last reading is less than ten minutes old, which on a full index is most of the work (issue 18:
 * 3.8 s at 250,000 entries). The steps that depend on the time, the keyring and the state still run
 * on it: an index that expired meanwhile is refused all the same. The readings are counted through
 * the proxy's onVerified hook, not timed.
 */
import { etagOf } from '../helpers/mirror';
import { SIGNED_AT } from '../helpers/repo';
import { ClientRoot, Upstream, packagesOf, pkginPackage, refusalOf, request } from '../helpers/upstream';

const MINUTE = 60_000;
/** An hour after signing, as the other tests verify; the index below expires a quarter of an hour later. */
const FIRST = new Date(SIGNED_AT.getTime() + 60 * MINUTE);

let upstream: Upstream;
let client: ClientRoot;
const packages = packagesOf({ 'foo-1.0': 5000 });

beforeAll(async () => {
  upstream = await Upstream.start();
  await upstream.publish(packages, { expires: '75min' });
  // A mirror that answers If-None-Match, as common web servers do.
  const served = upstream.mirror.files.get('pkg_summary.asc')!;
  served.etag = etagOf(served.body);
  client = await ClientRoot.create(upstream);
}, 60_000);
afterAll(() => upstream?.stop());

test('an unchanged index is judged again without being read for ten minutes, and read again after', async () => {
  let now = FIRST;
  const verified: string[] = [];
  const { proxy, log, repoURL } = await client.proxy({
    at: () => now,
    onVerified: (_id, how) => void verified.push(how),
  });
  const summary = (lastModified?: string) =>
    request(`${repoURL}/pkg_summary.gz`, { headers: lastModified ? { 'if-modified-since': lastModified } : {} });
  const conditional = () =>
    upstream.mirror.requests.filter((r) => r.path === 'pkg_summary.asc' && r.headers['if-none-match']).length;
  try {
    const first = await summary();
    expect(first.status).toBe(200);
    const lastModified = String(first.headers['last-modified']);
    expect(verified).toEqual(['read']);

    // Within ten minutes: the mirror is asked, says 304, and the index is not read again.
    now = new Date(FIRST.getTime() + 2 * MINUTE);
    expect((await summary(lastModified)).status).toBe(304);
    expect((await summary()).status).toBe(200);
    expect((await pkginPackage(repoURL, 'foo-1.0')).status).toBe(200);
    expect(verified).toEqual(['read', 'rechecked', 'rechecked']);
    expect(conditional()).toBe(2);

    // Ten minutes after the reading: read and hashed again, though the mirror still says 304.
    now = new Date(FIRST.getTime() + 10 * MINUTE);
    expect((await summary(lastModified)).status).toBe(304);
    expect(verified).toEqual(['read', 'rechecked', 'rechecked', 'read']);
    expect(conditional()).toBe(3);
    expect(log).toEqual([]);
  } finally {
    await proxy.close();
  }
});

test('an index judged again without being read is refused once it expired', async () => {
  let now = new Date(FIRST.getTime() + 9 * MINUTE);
  const verified: string[] = [];
  const { proxy, log, repoURL } = await client.proxy({
    at: () => now,
    onVerified: (_id, how) => void verified.push(how),
  });
  try {
    const first = await request(`${repoURL}/pkg_summary.gz`);
    expect(first.status).toBe(200);
    // Seven minutes after that reading, the index has expired.
    now = new Date(FIRST.getTime() + 16 * MINUTE);
    const again = await request(`${repoURL}/pkg_summary.gz`, {
      headers: { 'if-modified-since': String(first.headers['last-modified']) },
    });
    expect(refusalOf(again)).toEqual({ status: 403, code: 'INDEX_EXPIRED' });
    expect(refusalOf(await pkginPackage(repoURL, 'foo-1.0'))).toEqual({ status: 403, code: 'INDEX_EXPIRED' });
    expect(verified).toEqual(['read']);
    expect(log).toHaveLength(2);
  } finally {
    await proxy.close();
  }
});
