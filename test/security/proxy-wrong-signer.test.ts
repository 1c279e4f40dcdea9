/**
 * Attack: an index signed by the wrong key or for the wrong repository, served through the proxy: a
 * key the keyring does not have (an impostor with the host's user ID), a key in the keyring the master
 * never certified, a key certified by the host (which may not delegate), and the host's own signature
 * on another repository's index (mix-and-match). Then a host key compromised after it signed: once the
 * revocation reaches the live keyring, the running proxy must stop serving what that key vouched for,
 * packages already cached included. DESIGN.md §2, §3.
 */
import type { VerifyingProxy } from '../../lib/client/proxy';
import { REPOSITORY_NOTATION } from '../../lib/model';
import { SIGNED_AT } from '../helpers/repo';
import {
  ClientRoot,
  Upstream,
  loggedCodes,
  packagesOf,
  pkginPackage,
  pkginSummary,
  refusalOf,
  summaryOf,
  withPublished,
} from '../helpers/upstream';
import { World } from '../helpers/world';

const packages = packagesOf({ 'foo-1.0': 3000, 'bar-2.0': 9000 });
const text = summaryOf(packages);

const published = withPublished(packages);

const cases: Array<[string, () => Promise<Buffer>, string]> = [
  [
    "an impostor key with the host's user ID, not in the keyring",
    async () => published.upstream.repo.signIndex(text, { key: await new World().key('host') }),
    'UNKNOWN_KEY',
  ],
  [
    'a key in the keyring that nobody certified',
    async () => {
      const stranger = await published.upstream.repo.world.key('stranger');
      await published.client.installKeyring(published.upstream.repo);
      return published.upstream.repo.signIndex(text, { key: stranger });
    },
    'NO_PATH',
  ],
  [
    'a key certified by the host, which may not delegate',
    async () => {
      const { world, host } = published.upstream.repo;
      const minion = await world.key('minion');
      await world.certify(host, minion, { scopes: ['NetBSD/**'] });
      await published.client.installKeyring(published.upstream.repo);
      return published.upstream.repo.signIndex(text, { key: minion });
    },
    'NOT_DELEGATED',
  ],
  // sign-summary no longer makes it (PUBLISH_SIGNER_UNTRUSTED: the host is not certified for 9.0): made by hand.
  [
    "the host's signature on the index of another repository",
    async () =>
      published.upstream.repo.signIndex(text, {
        notations: [{ name: REPOSITORY_NOTATION, value: 'NetBSD/x86_64/9.0/All' }],
      }),
    'REPOSITORY_MISMATCH',
  ],
];

test.each(cases)('%s: no summary, no package', async (_what, make, code) => {
  published.upstream.serveIndex(await make());
  const { proxy, log, repoURL } = await published.client.proxy();
  try {
    const fetched = await pkginSummary(repoURL);
    expect(fetched.tried).toEqual([{ ext: 'zst', status: 403 }]);
    expect(refusalOf(await pkginPackage(repoURL, 'foo-1.0'))).toEqual({ status: 403, code });
    expect(loggedCodes(log)).toEqual([`pkg_summary.zst: ${code}`, `foo-1.0.tgz: ${code}`]);
    expect(published.upstream.mirror.requests.map((r) => r.path)).not.toContain('foo-1.0.tgz');
  } finally {
    await proxy.close();
  }
});

describe('a host key revoked after it signed, installed while the proxy runs', () => {
  const REVOKED_AT = new Date(SIGNED_AT.getTime() + 1800_000); // before the proxy's clock (VERIFY_AT)

  it.each([
    [
      'compromised',
      'a hard revocation voids the index: nothing more is served, cached packages included',
      'KEY_REVOKED',
    ],
    ['superseded', 'a soft revocation leaves the index signed before it standing (the control)', null],
  ] as const)('%s: %s', async (reason, _what, code) => {
    const own = await Upstream.start();
    let proxy: VerifyingProxy | undefined;
    try {
      await own.publish(packages);
      const ownClient = await ClientRoot.create(own);
      const started = await ownClient.proxy();
      proxy = started.proxy;
      const { log, repoURL } = started;
      expect((await pkginSummary(repoURL)).outcome.status).toBe(200);
      expect((await pkginPackage(repoURL, 'foo-1.0')).status).toBe(200);

      await own.repo.world.revokeKey(own.repo.host, reason, REVOKED_AT);
      await ownClient.installKeyring(own.repo);

      const answers = [await pkginPackage(repoURL, 'bar-2.0'), await pkginPackage(repoURL, 'foo-1.0')];
      const summary = await pkginSummary(repoURL);
      if (code === null) {
        expect(answers.map((r) => r.status)).toEqual([200, 200]);
        expect(summary.outcome.status).toBe(200);
        expect(log).toEqual([]);
      } else {
        expect(answers.map(refusalOf)).toEqual([
          { status: 403, code },
          { status: 403, code },
        ]);
        expect(summary.tried).toEqual([{ ext: 'zst', status: 403 }]);
        expect(loggedCodes(log)).toEqual([`bar-2.0.tgz: ${code}`, `foo-1.0.tgz: ${code}`, `pkg_summary.zst: ${code}`]);
        expect(own.mirror.requests.map((r) => r.path)).not.toContain('bar-2.0.tgz');
      }
    } finally {
      await proxy?.close();
      await own.stop();
    }
  });
});
