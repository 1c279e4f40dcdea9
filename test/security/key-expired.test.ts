// Attack: a key past its expiry (its own self-signature's key expiration time) keeps signing.
import { World, day } from '../helpers/world';
import { expectRefused, expectTrusted } from '../helpers/chain';

describe('expired key', () => {
  it('refuses a signing key after its expiry, and accepts it before', async () => {
    const w = new World();
    const master = await w.key('master');
    const host = await w.key('host', { expires: day(80) });
    await w.certify(master, host);
    await expectTrusted(w, [master], host.fingerprint, { now: day(79) });
    await expectRefused(w, [master], host.fingerprint, 'KEY_EXPIRED', { now: day(81) });
  });

  it('refuses an intermediate after its expiry', async () => {
    const w = new World();
    const master = await w.key('master');
    const dev = await w.key('developer', { expires: day(80) });
    const host = await w.key('host');
    await w.certify(master, dev, { delegate: 1 });
    await w.certify(dev, host, { at: day(2) });
    await expectTrusted(w, [master], host.fingerprint, { now: day(79) });
    await expectRefused(w, [master], host.fingerprint, 'KEY_EXPIRED', { now: day(81) });
  });

  it('refuses a signature that predates the key', async () => {
    const w = new World();
    const master = await w.key('master');
    const host = await w.key('host', { created: day(30) });
    await w.certify(master, host, { at: day(31) });
    await expectRefused(w, [master], host.fingerprint, 'KEY_NOT_YET_VALID', { signedAt: day(10) });
  });
});
