/**
 * `pkgkeys status` warns of a signing key's expiry by the rule the chain judges it with (lib/trust/chain.ts
 * keyExpires): the self-signature in force, the newest (RFC 9580 §5.2.3.10), not the first User ID's.
 */
import { formatTime } from '../../lib/time';
import { addDirectSignature } from '../helpers/forge';
import { UPDATE_AT, withInstalledWorld } from '../helpers/mirror';
import { day } from '../helpers/world';

const world = withInstalledWorld();

test('a newer direct-key self-signature that sets an expiry: status names it, as the chain will refuse the key then', async () => {
  const { site, mirror, client } = world;
  const expires = day(10, UPDATE_AT);
  site.world.add(
    await addDirectSignature(site.rsaHost.secretArmored, site.rsaHost.public, day(-10, UPDATE_AT), expires),
  );
  await site.importWorld();
  mirror.serve(await site.publish(2026041002, { at: day(1, UPDATE_AT) }));
  expect((await client.update(mirror.url, { at: day(1.1, UPDATE_AT) })).status).toBe(0);
  const result = await client.status({ at: day(1.2, UPDATE_AT) });
  expect(result.stdout).toContain(`expires ${formatTime(expires)}: key of ${site.rsaHost.fingerprint}`);
});
