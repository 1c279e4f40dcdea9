/**
 * Attack: a build account (or whoever reaches the socket) asks the signing daemon to sign what it
 * should not: an index other than the staged one, a repository it does not sign for, a path where an
 * identifier belongs, raw bytes. Each is SIGND_REFUSED and nothing is signed: the audit log stays as it was.
 */
import { signdRequest } from '../../lib/signd/client';
import { REPO } from '../helpers/repo';
import { PASSPHRASE, STAGED, codeOf, sha256, withDaemon } from '../helpers/signd';

const fixture = withDaemon();

beforeAll(async () => {
  await signdRequest(fixture.config.socket, { op: 'unlock', passphrase: PASSPHRASE });
});

test.each([
  ['a hash that is not the staged index', { op: 'sign', repository: REPO, sha256: sha256(Buffer.from('other')) }],
  ['a repository it does not sign for', { op: 'sign', repository: 'NetBSD/x86_64/9.0/All', sha256: sha256(STAGED) }],
  ['a path for a repository', { op: 'sign', repository: `../../${REPO}`, sha256: sha256(STAGED) }],
  ['a hash that is not hex', { op: 'sign', repository: REPO, sha256: 'x'.repeat(64) }],
  ['bytes to sign, under an op of its own', { op: 'sign-bytes', data: 'aGVsbG8=' }],
])('%s is SIGND_REFUSED and nothing is signed', async (_what, request) => {
  const before = await fixture.records();
  expect(await codeOf(signdRequest(fixture.config.socket, request))).toBe('SIGND_REFUSED');
  expect(await fixture.records()).toBe(before);
});
