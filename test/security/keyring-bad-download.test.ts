/**
 * Attack (and accident): a mirror serves a truncated, endless, garbage or mislabelled file, or dies in
 * the middle of the transfer. Every such update is refused with the reason, and the installed keyring
 * stays exactly as it was.
 */
import { describeKeyring, formatRelease } from '../../lib/keyring/release';
import { REPOSITORY_NOTATION } from '../../lib/model';
import { hashCanonical, signData } from '../../lib/pgp';
import { type Release, type Served, UPDATE_AT, withInstalledWorld } from '../helpers/mirror';
import { clearsign, codeOf } from '../helpers/repo';
import { day } from '../helpers/world';

let next: Release;

const w = withInstalledWorld();
beforeAll(async () => {
  next = await w.site.publish(2026041002, { at: day(1, UPDATE_AT) });
});

const BIG = Buffer.alloc(20 << 20, 0x99);

const cases: Array<[string, 'release.asc' | 'keyring.gpg', (r: Release) => Served, string]> = [
  [
    'a truncated keyring (the whole file, shorter)',
    'keyring.gpg',
    (r) => ({ body: r.keyring.subarray(0, r.keyring.length - 100) }),
    'SIZE_MISMATCH',
  ],
  [
    'a keyring cut off mid-transfer (the server dies)',
    'keyring.gpg',
    (r) => ({ body: r.keyring, dieAfter: 1000 }),
    'NETWORK_ERROR',
  ],
  [
    'a release cut off mid-transfer (the server dies)',
    'release.asc',
    (r) => ({ body: r.statement, dieAfter: 200 }),
    'NETWORK_ERROR',
  ],
  [
    'a keyring that is cut off without a Content-Length',
    'keyring.gpg',
    (r) => ({ body: r.keyring, contentLength: null, dieAfter: 1000 }),
    'NETWORK_ERROR',
  ],
  ['an oversized keyring, announced', 'keyring.gpg', () => ({ body: BIG }), 'TOO_LARGE'],
  ['an oversized keyring, not announced', 'keyring.gpg', () => ({ body: BIG, contentLength: null }), 'TOO_LARGE'],
  ['an oversized release', 'release.asc', () => ({ body: BIG, contentLength: null }), 'TOO_LARGE'],
  ['a garbage release', 'release.asc', () => ({ body: Buffer.from('<html>hello</html>\n') }), 'RELEASE_MALFORMED'],
  ['a garbage keyring', 'keyring.gpg', () => ({ body: Buffer.from('not a keyring at all') }), 'SIZE_MISMATCH'],
  ['an empty keyring', 'keyring.gpg', () => ({ body: Buffer.alloc(0) }), 'SIZE_MISMATCH'],
  [
    'a release served as text/html (a captive portal)',
    'release.asc',
    (r) => ({ body: r.statement, type: 'text/html' }),
    'BAD_CONTENT_TYPE',
  ],
  [
    'a keyring served as text/html',
    'keyring.gpg',
    (r) => ({ body: r.keyring, type: 'text/html; charset=utf-8' }),
    'BAD_CONTENT_TYPE',
  ],
  ['a server error', 'keyring.gpg', (r) => ({ body: r.keyring, status: 500 }), 'NETWORK_ERROR'],
];

test.each(cases)('%s is refused with the old keyring intact', async (_what, file, serve, code) => {
  const before = await w.client.snapshot();
  w.mirror.serve(next);
  w.mirror.files.set(file, serve(next));
  const result = await w.client.update(w.mirror.url, { at: day(1.1, UPDATE_AT) });
  expect(codeOf(result)).toBe(code);
  expect(result.status).toBe(['NETWORK_ERROR', 'BAD_CONTENT_TYPE'].includes(code) ? 3 : 1);
  expect(result.stderr.trim().split('\n')).toHaveLength(1);
  expect(await w.client.snapshot()).toEqual(before);
});

test('a mirror that stops sending is given up on after --timeout', async () => {
  const before = await w.client.snapshot();
  w.mirror.serve(next);
  w.mirror.files.set('keyring.gpg', { body: next.keyring, stallAfter: 100 });
  const result = await w.client.update(w.mirror.url, { at: day(1.1, UPDATE_AT), args: ['--timeout', '1'] });
  expect(codeOf(result)).toBe('NETWORK_ERROR');
  // The limit that fired, by its message: --timeout's, not another's.
  expect(result.stderr).toMatch(/keyring\.gpg: no complete answer within 1 s$/m);
  expect(await w.client.snapshot()).toEqual(before);
});

test('a keyring of the right size with other bytes fails the digest', async () => {
  const before = await w.client.snapshot();
  w.mirror.serve(next);
  const forged = Buffer.from(next.keyring);
  forged[forged.length - 1] ^= 1;
  w.mirror.files.set('keyring.gpg', { body: forged });
  const result = await w.client.update(w.mirror.url, { at: day(1.1, UPDATE_AT) });
  expect(codeOf(result)).toBe('HASH_MISMATCH');
  expect(await w.client.snapshot()).toEqual(before);
});

test('garbage that a validly signed release describes is still no keyring', async () => {
  const before = await w.client.snapshot();
  const garbage = Buffer.from('not a keyring at all, though the statement says so\n');
  const body = formatRelease(describeKeyring('pkgsrc', garbage, 2026041009));
  const spec = {
    kind: 'text' as const,
    hash: 'sha256' as const,
    created: day(1, UPDATE_AT),
    expires: day(14, UPDATE_AT),
    notations: [{ name: REPOSITORY_NOTATION, value: 'keyring/pkgsrc' }],
  };
  w.mirror.files.set('release.asc', {
    body: clearsign(
      body,
      'sha256',
      await signData(w.site.publisher.secret.signer(), spec, (hash) => hashCanonical(body, hash)),
    ),
  });
  w.mirror.files.set('keyring.gpg', { body: garbage });
  const result = await w.client.update(w.mirror.url, { at: day(1.1, UPDATE_AT) });
  expect(codeOf(result)).toBe('KEYRING_INVALID');
  expect(await w.client.snapshot()).toEqual(before);
});

test('after all that, the good release installs', async () => {
  w.mirror.serve(next);
  const result = await w.client.update(w.mirror.url, { at: day(1.1, UPDATE_AT) });
  expect(result.stdout).toMatch(/release 2026041002 installed/);
});
