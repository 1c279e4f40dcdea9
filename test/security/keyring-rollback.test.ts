/** Attack: a mirror replays an older keyring release (to hide a revocation), or reuses a serial for other content. */
import { promises as fs } from 'node:fs';
import { Client, KeyringSite, MirrorServer, type Release, UPDATE_AT, installedWorld } from '../helpers/mirror';
import { expectRefusal } from '../helpers/repo';
import { day } from '../helpers/world';

let site: KeyringSite;
let mirror: MirrorServer;
let client: Client;
let first: Release;

beforeAll(async () => {
  ({ site, mirror, client, first } = await installedWorld());
}, 60_000);
afterAll(async () => {
  await mirror.close();
  await site.cleanup();
});

test('an older serial, validly signed and not expired, is refused and the installed keyring stays', async () => {
  mirror.serve(await site.publish(2026041005, { at: day(0.5, UPDATE_AT) }));
  expect((await client.update(mirror.url, { at: day(0.6, UPDATE_AT) })).status).toBe(0);
  const installed = await client.snapshot();
  mirror.serve(first);
  const result = await client.update(mirror.url, { at: day(0.7, UPDATE_AT) });
  expectRefusal(result, 'ROLLBACK');
  expect(result.stderr).toMatch(/release 2026041001 .* is older than the installed release 2026041005/);
  expect(await client.snapshot()).toEqual(installed);
});

test('the same serial describing another keyring is refused', async () => {
  const installed = await client.snapshot();
  await site.world.revokeKey(site.edHost, 'compromised', day(0.8, UPDATE_AT));
  await site.importWorld();
  // `publish` itself refuses to reuse the serial in its output directory; a hostile publisher would not.
  await expect(site.publish(2026041005, { at: day(0.8, UPDATE_AT) })).rejects.toThrow(/ROLLBACK/);
  await fs.rm(site.path('pub'), { recursive: true });
  mirror.serve(await site.publish(2026041005, { at: day(0.8, UPDATE_AT) }));
  const result = await client.update(mirror.url, { at: day(0.9, UPDATE_AT) });
  expectRefusal(result, 'ROLLBACK');
  expect(result.stderr).toMatch(/a serial is never reused/);
  expect(await client.snapshot()).toEqual(installed);
});
