/**
 * Attack: path traversal and open-proxy use. Whoever can reach the proxy sends request targets meant
 * to read local files, reach another repository, fetch the unverified files of the mirror, or use the
 * proxy to fetch arbitrary URLs (absolute-form, RFC 9112 §3.2.2). Everything but `/<ID>/pkg_summary.<ext>`
 * and `/<ID>/<PKGNAME>.tgz` is 404, other methods than GET and HEAD 405, and none of it makes the proxy
 * send a single request upstream. DESIGN.md §3.
 */
import { REPO } from '../helpers/repo';
import { ClientRoot, Upstream, packagesOf, request } from '../helpers/upstream';

let upstream: Upstream;
let client: ClientRoot;

beforeAll(async () => {
  upstream = await Upstream.start();
  await upstream.publish(packagesOf({ 'foo-1.0': 3000 }));
  client = await ClientRoot.create(upstream);
}, 60_000);
afterAll(() => upstream?.stop());

const tricks = (upstreamURL: string) => [
  '/../etc/passwd',
  '/..\\..\\etc\\passwd',
  `/${REPO}/../../../../../../etc/passwd`,
  `/${REPO}/../${REPO}/pkg_summary.gz`,
  `/${REPO}/./pkg_summary.gz`,
  `/${REPO}/%2e%2e/x.tgz`,
  `/${REPO}/%2E%2E%2F%2E%2E%2Fetc%2Fpasswd`,
  `/${REPO}/foo%2d1.0.tgz`,
  `/${REPO.replace('10.0', '9.0')}/pkg_summary.gz`, // a repository not configured
  `/${REPO.toLowerCase()}/pkg_summary.gz`,
  `//${REPO}/pkg_summary.gz`,
  `/${REPO}//pkg_summary.gz`,
  `/${REPO}/pkg_summary.gz/`,
  `/${REPO}/pkg_summary.asc`, // the unverified signed index, as the mirror has it
  `/${REPO}/pkg_summary`,
  `/${REPO}/pkg_summary.tar`,
  `/${REPO}/foo-1.0.tgz?x=1`,
  `/${REPO}/foo-1.0.tgz#x`,
  `/${REPO}/foo-1.0.tbz`,
  `/${REPO}`,
  `/${REPO}/`,
  '/',
  'http://example.org/',
  `http://example.org/${REPO}/pkg_summary.gz`,
  `${upstreamURL}/pkg_summary.gz`, // the mirror itself, through the proxy
  '*',
];

test('every other request target is 404 and reaches nothing upstream', async () => {
  const { proxy, repoURL } = await client.proxy();
  try {
    const answers: Record<string, number> = {};
    for (const path of tricks(upstream.url)) answers[path] = (await request(repoURL, { path })).status;
    expect(answers).toEqual(Object.fromEntries(tricks(upstream.url).map((path) => [path, 404])));
    expect(upstream.mirror.requests).toEqual([]);
  } finally {
    await proxy.close();
  }
});

test('methods other than GET and HEAD are 405, even on a valid path', async () => {
  const { proxy, repoURL } = await client.proxy();
  const asked = upstream.mirror.requests.length;
  try {
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']) {
      for (const file of ['pkg_summary.gz', 'foo-1.0.tgz']) {
        expect([method, file, (await request(`${repoURL}/${file}`, { method })).status]).toEqual([method, file, 405]);
      }
    }
    expect(upstream.mirror.requests.slice(asked)).toEqual([]);

    // The control: the same proxy serves the real thing.
    expect((await request(`${repoURL}/pkg_summary.gz`)).status).toBe(200);
    expect((await request(`${repoURL}/foo-1.0.tgz`)).status).toBe(200);
  } finally {
    await proxy.close();
  }
});
