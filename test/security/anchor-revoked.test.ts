// Attack: the master key itself is compromised or expired, and its certifications are still relied on.
// Its revocation may arrive with the keyring rather than with the anchor file: both must count.
import { World, day } from '../helpers/world';
import { expectRefused } from '../helpers/chain';

describe('revoked or expired anchor', () => {
  it('refuses every key under a revoked anchor, the revocation coming through the keyring', async () => {
    const w = new World();
    const master = await w.key('master');
    const host = await w.key('host');
    await w.certify(master, host);
    await w.revokeKey(master, 'compromised', day(50));
    await expectRefused(w, [master], host.fingerprint, 'ANCHOR_REVOKED');
  });

  it('refuses every key under an expired anchor', async () => {
    const w = new World();
    const master = await w.key('master', { expires: day(90) });
    const host = await w.key('host');
    await w.certify(master, host);
    await expectRefused(w, [master], host.fingerprint, 'ANCHOR_EXPIRED');
  });
});
