/** `pkgkeys check-repo`: each configured repository's current signed index, verified upstream, with its age and expiry. */
import { execFileSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { pkgkeys } from '../helpers/cli';
import { formatTime } from '../../lib/time';
import { REPO, SIGNED_AT, VERIFY_AT, codeOf, iso } from '../helpers/repo';
import { ClientRoot, Upstream, packagesOf } from '../helpers/upstream';
import { day } from '../helpers/world';

let upstream: Upstream;
let client: ClientRoot;
let signed: Buffer;

beforeAll(async () => {
  upstream = await Upstream.start();
  signed = await upstream.publish(packagesOf({ 'foo-1.0': 100, 'bar-2.0': 200 }), { expires: '7d' });
  client = await ClientRoot.create(upstream);
}, 60_000);
afterAll(() => upstream.stop());

const check = (args: string[] = [], at = VERIFY_AT) =>
  pkgkeys(['check-repo', '--now', iso(at), '--timeout', '5', ...args], client.env);

test('a good index: entries, signer, age and time left', async () => {
  const result = await check();
  expect(result.stderr).toBe('');
  expect(result.status).toBe(0);
  expect(result.stdout).toBe(
    `${REPO}: good index, 2 entries, signed ${formatTime(SIGNED_AT)} (60 min ago) by ${upstream.repo.host.fingerprint}, ` +
      `expires ${formatTime(day(7, SIGNED_AT))} (in 7 d)\n`,
  );
  expect((await check(['--quiet'])).stdout).toBe('');
});

test('records nothing: it reads the state (the floor, the newest index accepted) but writes none', async () => {
  expect((await check()).status).toBe(0);
  await expect(fs.readdir(client.path('var/db/pkgkeys'))).resolves.toEqual(['keyring.gpg']);
});

test('the compressed forms are read first: pkg_summary.asc.xz alone is enough', async () => {
  upstream.serveIndex(execFileSync('xz', ['-c'], { input: signed }), 'pkg_summary.asc.xz');
  try {
    const result = await check(['--json']);
    expect(JSON.parse(result.stdout)).toMatchObject({
      ok: true,
      repositories: [{ id: REPO, ok: true, entries: 2, source: `${upstream.url}/pkg_summary.asc.xz` }],
    });
  } finally {
    upstream.serveIndex(signed);
  }
});

test('an expired index fails the check with its code and status 1; --quiet still prints it', async () => {
  const result = await check(['--quiet'], day(8, SIGNED_AT));
  expect(result.status).toBe(1);
  expect(result.stdout).toMatch(new RegExp(`^${REPO}: INDEX_EXPIRED: the index signature expired`));
});

test('an unsigned repository (no pkg_summary.asc in any form) is NOT_FOUND, status 3', async () => {
  upstream.serveIndex(Buffer.alloc(0), 'elsewhere');
  try {
    const result = await check();
    expect(result.status).toBe(3);
    expect(result.stdout).toMatch(
      /NOT_FOUND: .*no signed index \(tried pkg_summary.asc.zst, pkg_summary.asc.xz, pkg_summary.asc.bz2, pkg_summary.asc.gz, pkg_summary.asc\)/,
    );
  } finally {
    upstream.serveIndex(signed);
  }
});

test('a repository that is not configured is a configuration error', async () => {
  const result = await check(['NetBSD/x86_64/9.0/All']);
  expect({ status: result.status, code: codeOf(result) }).toEqual({ status: 2, code: 'BAD_CONFIG' });
});
