/**
 * The verifying proxy against a real upstream on 127.0.0.1, driven by pkgin's request sequence. The
 * attacks it refuses have a file each under test/security/proxy-*.test.ts.
 */
import { promises as fs } from 'node:fs';
import { REPO, SIGNED_AT, VERIFY_AT } from '../helpers/repo';
import { ClientRoot, Upstream, packagesOf, pkginPackage, pkginSummary, summaryOf } from '../helpers/upstream';

let upstream: Upstream;
let client: ClientRoot;
const packages = packagesOf({ 'foo-1.0': 3000, 'bar-2.1nb3': 70_000, 'baz-0.9': 1 });

beforeAll(async () => {
  upstream = await Upstream.start();
  await upstream.publish(packages);
  client = await ClientRoot.create(upstream);
}, 60_000);
afterAll(() => upstream.stop());

test('pkgin gets the verified text, dated by the signature, then 304 while it is unchanged, then the packages', async () => {
  const { proxy, log, repoURL } = await client.proxy();
  try {
    const first = await pkginSummary(repoURL);
    expect(first.tried).toEqual([{ ext: 'zst', status: 200 }]);
    expect(first.outcome.status).toBe(200);
    const got = first.outcome as { text: Buffer; lastModified: string };
    expect(got.text.toString('latin1')).toBe(summaryOf(packages));
    expect(got.lastModified).toBe(SIGNED_AT.toUTCString());

    const again = await pkginSummary(repoURL, got.lastModified);
    expect(again.outcome).toEqual({ status: 304 });

    for (const p of packages) {
      const res = await pkginPackage(repoURL, p.pkgname);
      expect({ status: res.status, truncated: res.truncated, same: res.body.equals(p.content) }).toEqual({ status: 200, truncated: false, same: true });
    }
    expect(log).toEqual([]);
  } finally {
    await proxy.close();
  }
});
