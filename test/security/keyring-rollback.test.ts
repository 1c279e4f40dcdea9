/** Attack: a mirror replays an older keyring release (to hide a revocation), or reuses a serial for other content. */
import { promises as fs } from 'node:fs';
import { UPDATE_AT, withInstalledWorld } from '../helpers/mirror';
import { expectRefusal } from '../helpers/repo';
import { day } from '../helpers/world';

const w = withInstalledWorld();

test('an older serial, validly signed and not expired, is refused and the installed keyring stays', async () => {
  w.mirror.serve(await w.site.publish(2026041005, { at: day(0.5, UPDATE_AT) }));
  expect((await w.client.update(w.mirror.url, { at: day(0.6, UPDATE_AT) })).status).toBe(0);
  const installed = await w.client.snapshot();
  w.mirror.serve(w.first);
  const result = await w.client.update(w.mirror.url, { at: day(0.7, UPDATE_AT) });
  expectRefusal(result, 'ROLLBACK');
  expect(result.stderr).toMatch(/release 2026041001 .* is older than the installed release 2026041005/);
  expect(await w.client.snapshot()).toEqual(installed);
});

test('the same serial describing another keyring is refused', async () => {
  const installed = await w.client.snapshot();
  await w.site.world.revokeKey(w.site.edHost, 'compromised', day(0.8, UPDATE_AT));
  await w.site.importWorld();
  // `publish` itself refuses to reuse the serial in its output directory; a hostile publisher would not.
  await expect(w.site.publish(2026041005, { at: day(0.8, UPDATE_AT) })).rejects.toThrow(/ROLLBACK/);
  await fs.rm(w.site.path('pub'), { recursive: true });
  w.mirror.serve(await w.site.publish(2026041005, { at: day(0.8, UPDATE_AT) }));
  const result = await w.client.update(w.mirror.url, { at: day(0.9, UPDATE_AT) });
  expectRefusal(result, 'ROLLBACK');
  expect(result.stderr).toMatch(/a serial is never reused/);
  expect(await w.client.snapshot()).toEqual(installed);
});
