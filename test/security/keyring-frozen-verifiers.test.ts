/**
 * Attack: the keyring mirror freezes (keeps serving an old release, or nothing) so that a revocation
 * published since never arrives. `pkgkeys update` says KEYRING_FROZEN; the verifiers that trust the
 * installed keyring must not go on as if nothing happened: once the installed release has expired,
 * check-repo and the proxy refuse with KEYRING_FROZEN before they look at any repository.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { VerifyingProxy } from '../../lib/client/proxy';
import { DEFAULT_POLICY } from '../../lib/trust/policy';
import { pkgkeys } from '../helpers/cli';
import { UPDATE_AT, withInstalledWorld } from '../helpers/mirror';
import { codeOf, iso } from '../helpers/repo';
import { request } from '../helpers/upstream';
import { day } from '../helpers/world';
import { checkRepository } from '../../lib/trust/scope';

const world = withInstalledWorld();
const REPO = checkRepository('NetBSD/x86_64/10.0/All');
/** The first release is valid for 14 days. */
const FROZEN = day(20, UPDATE_AT);

beforeAll(async () => {
  await fs.writeFile(
    path.join(world.client.root, 'etc/pkgkeys/pkgkeys.conf'),
    `repository ${REPO} file://${world.site.path('no-such-repository')}\n`,
  );
});

test('check-repo: looks at the repository while the release holds, refuses once it expired', async () => {
  const check = (at: Date) => pkgkeys(['check-repo', '--now', iso(at)], { PKGKEYS_ROOT: world.client.root });
  const fresh = await check(UPDATE_AT);
  expect({ status: fresh.status, line: fresh.stdout }).toEqual({
    status: 3,
    line: expect.stringMatching(/: NOT_FOUND: /),
  });
  const frozen = await check(FROZEN);
  expect({ status: frozen.status, code: codeOf(frozen) }).toEqual({ status: 1, code: 'KEYRING_FROZEN' });
});

test('the proxy: HTTP 403 and KEYRING_FROZEN for the index pkgin asks for', async () => {
  const live = world.client.live;
  const log: string[] = [];
  const proxy = await VerifyingProxy.start(
    {
      upstreams: [{ repository: REPO, url: `file://${world.site.path('no-such-repository')}` }],
      anchors: [world.site.path('master.asc')],
      keyring: path.join(live, 'keyring.gpg'),
      liveDir: live,
      stateDir: path.join(live, 'state'),
      cacheDir: path.join(live, 'cache'),
      policy: DEFAULT_POLICY,
      now: () => FROZEN,
      timeoutMs: 5000,
      log: (l) => void log.push(l),
    },
    { host: '127.0.0.1', port: 0 },
  );
  try {
    const res = await request(`${proxy.url}/${REPO}/pkg_summary.gz`);
    expect(res.status).toBe(403);
    expect(log).toEqual([expect.stringMatching(/refused .*pkg_summary.gz: KEYRING_FROZEN: /)]);
  } finally {
    await proxy.close();
  }
});
