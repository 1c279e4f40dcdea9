// Attack (freeze): a certification past its expiry is relied on. RFC 9580 §5.2.3.18.
import { World, day } from '../helpers/world';
import { expectRefused, expectTrusted } from '../helpers/chain';

describe('expired certification', () => {
  it('refuses a key whose certification expired, and at its expiry second exactly', async () => {
    const w = new World();
    const master = await w.key('master');
    const host = await w.key('host');
    await w.certify(master, host, { expires: day(90) });
    await expectTrusted(w, [master], host.fingerprint, { now: day(89) });
    await expectRefused(w, [master], host.fingerprint, 'CERT_EXPIRED', { now: day(90) });
  });

  it('refuses a delegation that expired, though the certification below it did not', async () => {
    const w = new World();
    const master = await w.key('master');
    const dev = await w.key('developer');
    const host = await w.key('host');
    await w.certify(master, dev, { delegate: 1, expires: day(90) });
    await w.certify(dev, host, { at: day(2), expires: day(700) });
    await expectRefused(w, [master], host.fingerprint, 'CERT_EXPIRED', { now: day(91) });
  });

  it('refuses a certification dated in the future', async () => {
    const w = new World();
    const master = await w.key('master');
    const host = await w.key('host');
    await w.certify(master, host, { at: day(200) });
    await expectRefused(w, [master], host.fingerprint, 'CERT_NOT_YET_VALID', { now: day(100) });
  });
});
