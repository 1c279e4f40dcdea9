/** Attack: a mirror freezes the keyring, serving an old release for ever so that a revocation never arrives. */
import { REPOSITORY_NOTATION } from '../../lib/model';
import { hashCanonical, signData } from '../../lib/pgp';
import { PUBLISHED_AT, withInstalledWorld } from '../helpers/mirror';
import { clearsign, codeOf, expectRefusal } from '../helpers/repo';
import { day } from '../helpers/world';

const w = withInstalledWorld();

const AFTER_EXPIRY = day(15, PUBLISHED_AT);

test('an expired release is reported as a frozen keyring, and the installed one stays', async () => {
  const fresh = await w.site.client('fresh');
  const result = await fresh.update(w.mirror.url, { at: AFTER_EXPIRY });
  expectRefusal(result, 'KEYRING_FROZEN');
  expect(result.stderr).toMatch(/keyring release signature expired .*: the mirror may be frozen or stale/);
  expect(await fresh.snapshot()).toEqual({});
});

test('a mirror that answers "not modified" after the release expired is frozen too; status says so', async () => {
  const before = await w.client.snapshot();
  const result = await w.client.update(w.mirror.url, { at: AFTER_EXPIRY });
  expect(w.mirror.requests.at(-1)!.headers['if-none-match']).toBeDefined();
  expectRefusal(result, 'KEYRING_FROZEN');
  expect(result.stderr).toMatch(
    /release 2026041001 expired .* no newer one was installed: the keyring mirror may be frozen/,
  );
  expect(await w.client.snapshot()).toEqual(before);
  const status = await w.client.status({ at: AFTER_EXPIRY });
  expect(status.status).toBe(1);
  expect(status.stdout).toMatch(/KEYRING_FROZEN: release 2026041001 expired/);
  expect(status.stdout).toMatch(/last update .*: KEYRING_FROZEN/);
});

test('a release without an expiry is not a release', async () => {
  const text = w.first.statement
    .toString()
    .split('\n')
    .slice(3)
    .join('\n')
    .replace(/\n-----BEGIN PGP SIGNATURE-----[^]*$/, '\n');
  const body = Buffer.from(text);
  const spec = {
    kind: 'text' as const,
    hash: 'sha256' as const,
    created: PUBLISHED_AT,
    expires: null,
    notations: [{ name: REPOSITORY_NOTATION, value: 'keyring/pkgsrc' }],
  };
  const statement = clearsign(
    body,
    'sha256',
    await signData(w.site.publisher.secret.signer(), spec, (hash) => hashCanonical(body, hash)),
  );
  w.mirror.files.set('release.asc', { body: statement });
  const fresh = await w.site.client('noexpiry');
  const result = await fresh.update(w.mirror.url);
  expect(codeOf(result)).toBe('RELEASE_MALFORMED');
  expect(result.stderr).toMatch(/has no expiration time/);
  expect(await fresh.snapshot()).toEqual({});
});
