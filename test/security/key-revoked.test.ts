// Attack: a signing key is compromised (hard revocation) or retired (soft revocation), and signatures
// it made are replayed. RFC 9580 §5.2.3.31; DESIGN.md §3.
import { World, day } from '../helpers/world';
import { NOW, expectRefused, expectTrusted } from '../helpers/chain';

async function revokedHost(reason: 'compromised' | 'unspecified' | 'superseded' | 'retired') {
  const w = new World();
  const master = await w.key('master');
  const host = await w.key('host');
  await w.certify(master, host);
  await w.revokeKey(host, reason, day(50));
  return { w, master, host };
}

describe('revoked signing key', () => {
  it.each(['compromised', 'unspecified'] as const)(
    'hard (%s): every signature is void, even one made before the revocation',
    async (reason) => {
      const { w, master, host } = await revokedHost(reason);
      await expectRefused(w, [master], host.fingerprint, 'KEY_REVOKED');
      await expectRefused(w, [master], host.fingerprint, 'KEY_REVOKED', { signedAt: day(10) });
      // Judged as of a time before the revocation existed, a hard revocation still applies.
      await expectRefused(w, [master], host.fingerprint, 'KEY_REVOKED', { now: day(20) });
    },
  );

  it.each(['superseded', 'retired'] as const)(
    'soft (%s): signatures made before it stay valid, later ones are void',
    async (reason) => {
      const { w, master, host } = await revokedHost(reason);
      await expectTrusted(w, [master], host.fingerprint, { signedAt: day(49), now: NOW });
      await expectRefused(w, [master], host.fingerprint, 'KEY_REVOKED', { signedAt: day(51), now: NOW });
      await expectRefused(w, [master], host.fingerprint, 'KEY_REVOKED');
    },
  );

  it('a soft revocation of an intermediate leaves its earlier certifications standing, a hard one voids them', async () => {
    const w = new World();
    const master = await w.key('master');
    const dev = await w.key('developer');
    const host = await w.key('host');
    await w.certify(master, dev, { delegate: 1 });
    await w.certify(dev, host, { at: day(2) });
    const devSecret = dev;
    await w.revokeKey(devSecret, 'retired', day(50));
    await expectTrusted(w, [master], host.fingerprint);
    await w.revokeKey(devSecret, 'compromised', day(60));
    await expectRefused(w, [master], host.fingerprint, 'KEY_REVOKED');
  });
});
