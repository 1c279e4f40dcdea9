/**
 * Real-world input: mirrors label files as their web server's MIME map says. Debian's /etc/mime.types,
 * which Apache and Python's http.server use, makes .asc application/pgp-keys and .tgz
 * application/x-gtar-compressed; pkgkeys refused both (BAD_CONTENT_TYPE), so `update` never installed a
 * keyring (the machine ended frozen) and the proxy never served a package. The bytes are verified
 * whatever their label: only a web page (text/html: a captive portal, an error page) is refused.
 * The test mirror (test/helpers/mirror.ts) labels every file as such a server does.
 */
import * as http from 'node:http';
import { pkgkeys } from '../helpers/cli';
import { type Client, KeyringSite, MirrorServer } from '../helpers/mirror';
import { VERIFY_AT, iso } from '../helpers/repo';
import { ClientRoot, Upstream, packagesOf, pkginPackage, pkginSummary, refusalOf } from '../helpers/upstream';

/** The Content-Type the mirror sends for `url`. */
const served = (url: string) =>
  new Promise<string | undefined>((resolve, reject) => {
    http
      .get(url, (res) => {
        res.resume();
        resolve(res.headers['content-type']);
      })
      .on('error', reject);
  });

describe('a keyring mirror', () => {
  let site: KeyringSite;
  let mirror: MirrorServer;
  let client: Client;
  beforeAll(async () => {
    site = await KeyringSite.create();
    mirror = await MirrorServer.start();
    mirror.serve(await site.publish(2026041001));
    client = await site.client();
  }, 60_000);
  afterAll(async () => {
    await mirror.close();
    await site.cleanup();
  });

  test('serving release.asc as application/pgp-keys: update installs the keyring', async () => {
    expect(await served(`${mirror.url}release.asc`)).toBe('application/pgp-keys');
    const result = await client.update(mirror.url);
    expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 0, stderr: '' });
    expect(Object.keys(await client.snapshot()).sort()).toEqual([
      'keyring.gpg',
      'pkgvuln.gpg',
      'release.asc',
      'verify.gpg',
    ]);
  });
});

describe('a package mirror', () => {
  const packages = packagesOf({ 'foo-1.0': 3000 });
  let upstream: Upstream;
  let client: ClientRoot;
  beforeAll(async () => {
    upstream = await Upstream.start();
    await upstream.publish(packages);
    client = await ClientRoot.create(upstream);
  }, 60_000);
  afterAll(() => upstream.stop());

  const check = () => pkgkeys(['check-repo', '--now', iso(VERIFY_AT), '--timeout', '5'], client.env);

  /** pkgin through a proxy of a client whose cache is empty: the package is fetched from the mirror. */
  async function fetchPackage(name: string) {
    const { proxy, log, repoURL } = await (await ClientRoot.create(upstream, upstream.repo.path(name))).proxy();
    try {
      expect((await pkginSummary(repoURL)).outcome.status).toBe(200);
      return { res: await pkginPackage(repoURL, 'foo-1.0'), log };
    } finally {
      await proxy.close();
    }
  }

  test('serving pkg_summary.asc as application/pgp-keys: check-repo verifies it', async () => {
    expect(await served(`${upstream.url}/pkg_summary.asc`)).toBe('application/pgp-keys');
    const result = await check();
    expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 0, stderr: '' });
  });

  test('serving packages as application/x-gtar-compressed: the proxy hands them to pkgin', async () => {
    expect(await served(`${upstream.url}/foo-1.0.tgz`)).toBe('application/x-gtar-compressed');
    const { res, log } = await fetchPackage('client-gtar');
    expect({ status: res.status, same: res.body.equals(packages[0]!.content) }).toEqual({ status: 200, same: true });
    expect(log).toEqual([]);
  });

  test('a web page is still refused: the index as text/html, the package as text/html; charset=utf-8', async () => {
    const index = upstream.mirror.files.get('pkg_summary.asc')!;
    upstream.mirror.files.set('pkg_summary.asc', { ...index, type: 'text/html' });
    try {
      const result = await check();
      expect({ status: result.status, code: /\bBAD_CONTENT_TYPE\b/.exec(result.stdout + result.stderr)?.[0] }).toEqual({
        status: 3,
        code: 'BAD_CONTENT_TYPE',
      });
    } finally {
      upstream.mirror.files.set('pkg_summary.asc', index);
    }
    const pkg = upstream.mirror.files.get('foo-1.0.tgz')!;
    upstream.mirror.files.set('foo-1.0.tgz', { ...pkg, type: 'text/html; charset=utf-8' });
    try {
      expect(refusalOf((await fetchPackage('client-html')).res).code).toBe('BAD_CONTENT_TYPE');
    } finally {
      upstream.mirror.files.set('foo-1.0.tgz', pkg);
    }
  });
});
