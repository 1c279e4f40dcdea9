/**
 * A build host's key is compromised: the master revokes it, publishes a new keyring serial, and one
 * update later the key is gone from every export pkg_install reads and refused by pkgkeys' verifier.
 * A later release that lacks the revocation (a publisher's mistake, or an attacker's) cannot bring it back.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { importKeys, parseKeyring } from '../../lib/keyring/store';
import { pkgkeys } from '../helpers/cli';
import { UPDATE_AT, withInstalledWorld } from '../helpers/mirror';
import { day } from '../helpers/world';

const w = withInstalledWorld();

const fingerprints = async (file: string) =>
  (await parseKeyring(await fs.readFile(file), file)).trees.map((t) => t.fingerprint);
const explain = (at: Date) =>
  pkgkeys([
    'keyring',
    '--keyring',
    path.join(w.client.live, 'keyring.gpg'),
    'explain',
    w.site.rsaHost.fingerprint,
    '--anchor',
    w.site.path('master.asc'),
    '--at',
    at.toISOString(),
  ]);

test('a revocation published upstream removes the key from the exports after one update', async () => {
  expect(await fingerprints(path.join(w.client.live, 'verify.gpg'))).toEqual([w.site.rsaHost.fingerprint]);
  const revokedAt = day(1, UPDATE_AT);
  const revocation = await w.site.world.revokeKey(w.site.rsaHost, 'compromised', revokedAt);
  await w.site.importWorld();
  w.mirror.serve(await w.site.publish(2026041002, { at: revokedAt }));

  const at = day(1.1, UPDATE_AT);
  const result = await w.client.update(w.mirror.url, { at });
  expect(result.stdout).toMatch(
    /release 2026041002 installed.*: 0 package signing key\(s\), 1 pkg-vulnerabilities key\(s\)/,
  );
  expect(await fingerprints(path.join(w.client.live, 'verify.gpg'))).toEqual([]);
  expect(await fingerprints(path.join(w.client.live, 'pkgvuln.gpg'))).toEqual([w.site.vuln.fingerprint]);
  const explained = await explain(at);
  expect(explained.stdout).toMatch(/not trusted: KEY_REVOKED/);

  // The next release forgets the revocation: the w.client keeps it.
  await fs.rm(w.site.path('keyrings/pkgsrc'), { recursive: true });
  await fs.mkdir(w.site.path('keyrings/pkgsrc'));
  const material = w.site.world.material.filter((m) => m !== revocation);
  await importKeys(w.site.path('keyrings/pkgsrc'), Buffer.from(material.join('\n')), 'without the revocation');
  w.mirror.serve(await w.site.publish(2026041003, { at: day(2, UPDATE_AT) }));
  const later = await w.client.update(w.mirror.url, { at: day(2.1, UPDATE_AT) });
  expect(later.stdout).toMatch(/release 2026041003 installed.*: 0 package signing key\(s\)/);
  expect((await explain(day(2.1, UPDATE_AT))).stdout).toMatch(/not trusted: KEY_REVOKED/);
});
