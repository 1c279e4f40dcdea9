/**
 * Attack: a statement made for something else is passed off as the pkgsrc keyring's release: one for
 * another keyring, a repository index signed by a build host, or one signed by a key the master never
 * certified for keyring/pkgsrc.
 */
import { describeKeyring, formatRelease } from '../../lib/keyring/release';
import { REPOSITORY_NOTATION } from '../../lib/model';
import { hashCanonical, signData } from '../../lib/pgp';
import { UPDATE_AT, withInstalledWorld } from '../helpers/mirror';
import { clearsign, codeOf } from '../helpers/repo';
import { type TestKey, day } from '../helpers/world';

const w = withInstalledWorld();

async function statement(key: TestKey, identifier: string, name = 'pkgsrc'): Promise<Buffer> {
  const body = formatRelease(describeKeyring(name, w.first.keyring, 2026041009));
  const spec = {
    kind: 'text' as const,
    hash: 'sha256' as const,
    created: day(1, UPDATE_AT),
    expires: day(14, UPDATE_AT),
    notations: [{ name: REPOSITORY_NOTATION, value: identifier }],
  };
  return clearsign(body, 'sha256', await signData(key.secret.signer(), spec, (hash) => hashCanonical(body, hash)));
}

test.each([
  [
    'a release of another keyring, by the publisher',
    () => statement(w.site.publisher, 'keyring/other', 'other'),
    'REPOSITORY_MISMATCH',
  ],
  [
    'a release naming keyring/pkgsrc in text but signed for another',
    () => statement(w.site.publisher, 'keyring/pkgsrc', 'other'),
    'REPOSITORY_MISMATCH',
  ],
  [
    'a release signed by a build host (certified for NetBSD/**)',
    () => statement(w.site.edHost, 'keyring/pkgsrc'),
    'OUT_OF_SCOPE',
  ],
  ['a release signed by the master itself', () => statement(w.site.master, 'keyring/pkgsrc'), 'ANCHOR_NOT_SIGNER'],
  [
    'a release signed for a repository',
    () => statement(w.site.publisher, 'NetBSD/x86_64/10.0/All'),
    'REPOSITORY_MISMATCH',
  ],
])('%s is refused', async (_what, make, code) => {
  const before = await w.client.snapshot();
  w.mirror.serve(w.first);
  w.mirror.files.set('release.asc', { body: await make() });
  const result = await w.client.update(w.mirror.url, { at: day(1.1, UPDATE_AT) });
  expect(codeOf(result)).toBe(code);
  expect(await w.client.snapshot()).toEqual(before);
});
