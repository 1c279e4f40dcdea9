/** `pkgkeys update` and `pkgkeys status` against a real mirror on 127.0.0.1. */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { parseKeyring } from '../../lib/keyring/store';
import { Client, KeyringSite, MirrorServer, UPDATE_AT, etagOf } from '../helpers/mirror';
import { codeOf } from '../helpers/repo';
import { day } from '../helpers/world';

let site: KeyringSite;
let mirror: MirrorServer;

beforeAll(async () => {
  site = await KeyringSite.create();
  mirror = await MirrorServer.start();
}, 60_000);
afterAll(async () => {
  await mirror.close();
  await site.cleanup();
});

const fingerprints = async (file: string) =>
  (await parseKeyring(await fs.readFile(file), file)).trees.map((t) => t.fingerprint).sort();

describe('a first update', () => {
  let client: Client;
  beforeAll(async () => {
    mirror.serve(await site.publish(2026041001));
    client = await site.client('first');
  });

  test('installs the keyring, the release and the exports, and says so in one line', async () => {
    const result = await client.update(mirror.url);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(
      /^keyring pkgsrc release 2026041001 installed, valid until 2026-04-2\dT.*: 1 package signing key\(s\), 1 pkg-vulnerabilities key\(s\)/,
    );
    expect(result.stdout.trim().split('\n')).toHaveLength(1);
    const live = client.live;
    expect(await fs.readFile(path.join(live, 'release.asc'))).toEqual(await fs.readFile(site.path('pub/release.asc')));
    expect(await fingerprints(path.join(live, 'keyring.gpg'))).toEqual(
      [site.master, site.publisher, site.rsaHost, site.edHost, site.vuln].map((k) => k.fingerprint).sort(),
    );
    expect(await fingerprints(path.join(live, 'verify.gpg'))).toEqual([site.rsaHost.fingerprint]);
    expect(await fingerprints(path.join(live, 'pkgvuln.gpg'))).toEqual([site.vuln.fingerprint]);
    expect(await fs.readlink(path.join(live, 'verify.gpg'))).toBe('current/verify.gpg');
  });

  test('the next run asks conditionally, is told "not modified", and changes nothing', async () => {
    const before = await client.snapshot();
    const asked = mirror.requests.length;
    const result = await client.update(mirror.url, { at: day(1, UPDATE_AT) });
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/release 2026041001 up to date/);
    const requests = mirror.requests.slice(asked);
    expect(requests.map((r) => r.path)).toEqual(['release.asc']);
    expect(requests[0]!.headers['if-none-match']).toBe(etagOf(mirror.files.get('release.asc')!.body));
    expect(await client.snapshot()).toEqual(before);
  });

  test('--quiet prints nothing on success', async () => {
    const result = await client.update(mirror.url, { args: ['--quiet'] });
    expect(result).toEqual({ status: 0, stdout: '', stderr: '' });
  });

  test('status shows the release, the last update, and exits 0 while current', async () => {
    const result = await client.status({ at: day(2, UPDATE_AT) });
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/keyring pkgsrc release 2026041001 installed .* \(2 days ago\)/);
    expect(result.stdout).toMatch(/last update .*: ok; last success/);
  });

  test('status shows the latest time proven and the revocation bound: the release lifetime plus the update interval', async () => {
    const HOUR = 3600_000;
    const json = JSON.parse((await client.status({ args: ['--json'] })).stdout);
    expect(json.floor).toEqual({
      identifier: 'keyring/pkgsrc',
      signed: '2026-04-11T00:00:00Z',
      signer: site.publisher.fingerprint,
    });
    expect(json.revocationBound).toEqual({
      ms: 14 * 24 * HOUR + 25 * HOUR,
      releaseLifetimeMs: 14 * 24 * HOUR,
      updateIntervalMs: 25 * HOUR,
    });
    const text = (await client.status({ args: ['--update-interval', '7d'] })).stdout;
    expect(text).toContain(
      `latest time proven 2026-04-11T00:00:00Z (the keyring/pkgsrc signature by ${site.publisher.fingerprint})`,
    );
    expect(text).toContain(
      "a key revoked upstream is refused here within 21 d of the revocation's publication (release lifetime 14 d + update interval 7 d)",
    );
  });

  test('status fails once no update succeeded for longer than --max-age', async () => {
    const result = await client.status({ at: day(5, UPDATE_AT), args: ['--max-age', '3d'] });
    expect(result.status).toBe(1);
    expect(result.stdout).toMatch(/KEYRING_STALE: no successful update since/);
  });
});

describe('a new serial', () => {
  test('replaces the keyring; a re-signed release of the same serial renews it', async () => {
    const client = await site.client('newer');
    mirror.serve(await site.publish(2026041001));
    expect((await client.update(mirror.url)).status).toBe(0);
    mirror.serve(await site.publish(2026041002, { at: day(1, UPDATE_AT) }));
    const newer = await client.update(mirror.url, { at: day(1.1, UPDATE_AT) });
    expect(newer.stdout).toMatch(/release 2026041002 installed/);
    mirror.serve(await site.publish(2026041002, { at: day(2, UPDATE_AT) }));
    const renewed = await client.update(mirror.url, { at: day(2.1, UPDATE_AT) });
    expect(renewed.stdout).toMatch(/release 2026041002 renewed, valid until 2026-04-2/);
    expect(await fs.readFile(path.join(client.live, 'release.asc'))).toEqual(mirror.files.get('release.asc')!.body);
    expect(await fs.readdir(path.join(client.live, 'generations'))).toHaveLength(1);
  });
});

test('status without a keyring says so and fails', async () => {
  const client = await site.client('none');
  const result = await client.status();
  expect(result.status).toBe(1);
  expect(result.stdout).toMatch(/no keyring installed/);
});

test('a release signed by a key not certified for keyring/pkgsrc is refused', async () => {
  const client = await site.client('scope');
  await fs.writeFile(site.path('host-secret.asc'), site.edHost.secretArmored);
  const publish = await site.publish(2026041001, { key: site.path('host-secret.asc') }).catch((e: Error) => e);
  expect(String(publish)).toMatch(/OUT_OF_SCOPE/);
  expect(codeOf(await client.update(`${mirror.url}missing/`))).toBe('NOT_FOUND');
});

test('a damaged record of the installed release is STATE_DAMAGED (exit 3) for update and status, and nothing is installed over it', async () => {
  const client = await site.client('damaged');
  mirror.serve(await site.publish(2026041003, { at: day(3, UPDATE_AT) }));
  expect((await client.update(mirror.url, { at: day(3.1, UPDATE_AT) })).status).toBe(0);
  const record = path.join(client.live, 'current', 'release.json');
  const written = JSON.parse(await fs.readFile(record, 'utf8')) as { release: Record<string, unknown> };
  const { sha256: _sha256, ...withoutDigest } = written.release;
  for (const damage of ['{"release": ', JSON.stringify({ ...written, release: withoutDigest })]) {
    await fs.writeFile(record, damage);
    const before = await client.snapshot();
    const at = day(3.2, UPDATE_AT);
    for (const result of [await client.update(mirror.url, { at }), await client.status({ at })]) {
      expect({ status: result.status, code: codeOf(result) }).toEqual({ status: 3, code: 'STATE_DAMAGED' });
      expect(result.stderr).toMatch(/damaged keyring record; reinstall the keyring package/);
    }
    expect(await client.snapshot()).toEqual(before);
  }
});

test.each([
  ['not JSON', '{"url": '],
  ['no fields', '{}'],
  [
    'a time that is no time',
    '{"url": "http://mirror/", "lastAttempt": "yesterday", "lastSuccess": null, "validators": null, "lastError": null}',
  ],
  ['a list', '[]'],
])(
  'a damaged update record (%s), only a cache and a report, is started afresh by status and update',
  async (_what, damage) => {
    const client = await site.client(`record-${_what.replace(/\W/g, '-')}`);
    mirror.serve(await site.publish(2026041004, { at: day(4, UPDATE_AT) }));
    expect((await client.update(mirror.url, { at: day(4.1, UPDATE_AT) })).status).toBe(0);
    await fs.writeFile(path.join(client.live, 'update.json'), damage);
    const status = await client.status({ at: day(4.2, UPDATE_AT) });
    expect({ status: status.status, stderr: status.stderr }).toEqual({ status: 0, stderr: '' });
    expect(status.stdout).not.toMatch(/last update/);
    expect((await client.update(mirror.url, { at: day(4.3, UPDATE_AT) })).status).toBe(0);
    expect((await client.status({ at: day(4.4, UPDATE_AT) })).stdout).toMatch(/last update 2026-.*: ok/);
  },
);
