/**
 * Attack (by accident): the signing daemon holds a key the keyring clients have does not trust yet
 * (rotated in before the keyring release that certifies it). Whoever asks, publish or a script talking
 * to the socket, the daemon checks its own key against that keyring before every signature
 * (lib/publish/gates.ts) and refuses with PUBLISH_SIGNER_UNTRUSTED: nothing is signed, nothing recorded.
 */
import { signIndexVia, signdRequest } from '../../lib/signd/client';
import { REPO } from '../helpers/repo';
import { PASSPHRASE, STAGED, codeOf, withDaemon } from '../helpers/signd';

// The keyring clients have: one that does not have the daemon's key yet (the anchor alone).
const fixture = withDaemon((repo) => ({ clientKeyring: { file: repo.path('master.asc') } }));

test('the daemon refuses to sign with a key clients would not trust, and records nothing', async () => {
  await signdRequest(fixture.config.socket, { op: 'unlock', passphrase: PASSPHRASE });
  const error = await signIndexVia(fixture.config.socket, REPO, STAGED).catch(
    (e: unknown) => e as Error & { code: string },
  );
  expect(error).toMatchObject({
    code: 'PUBLISH_SIGNER_UNTRUSTED',
    message: expect.stringMatching(
      /^signd: clients with the keyring .*master\.asc would refuse what [0-9A-F]{40} signs for NetBSD\/x86_64\/10\.0\/All \(UNKNOWN_KEY: /,
    ),
  });
  expect(await fixture.records()).toBe(0);
  expect(fixture.log.at(-1)).toMatch(/^pkgkeys: signd: refused: PUBLISH_SIGNER_UNTRUSTED: /);
  expect(await codeOf(signIndexVia(fixture.config.socket, REPO, STAGED))).toBe('PUBLISH_SIGNER_UNTRUSTED');
});
