// Attack: a key that was only certified (not delegated to) certifies others; a delegation is used
// deeper than allowed; a partial-trust signature is taken for a delegation. RFC 9580 §5.2.3.21.
import { World, day } from '../helpers/world';
import { forgeCertification } from '../helpers/forge';
import { expectRefused, expectTrusted } from '../helpers/chain';

describe('delegation', () => {
  it('gives a plainly certified intermediate no power to certify', async () => {
    const w = new World();
    const master = await w.key('master');
    const dev = await w.key('developer');
    const host = await w.key('host');
    await w.certify(master, dev);
    await w.certify(dev, host, { at: day(2) });
    await expectTrusted(w, [master], dev.fingerprint);
    await expectRefused(w, [master], host.fingerprint, 'NOT_DELEGATED');
  });

  it('lets an intermediate certify signing keys but not sign itself', async () => {
    const w = new World();
    const master = await w.key('master');
    const dev = await w.key('developer');
    const host = await w.key('host');
    await w.certify(master, dev, { delegate: 1 });
    await w.certify(dev, host, { at: day(2) });
    await expectTrusted(w, [master], host.fingerprint);
    await expectRefused(w, [master], dev.fingerprint, 'NOT_SIGNING_KEY');
  });

  it('refuses a chain deeper than the delegation allows', async () => {
    const w = new World();
    const master = await w.key('master');
    const dev1 = await w.key('developer1');
    const dev2 = await w.key('developer2');
    const host = await w.key('host');
    await w.certify(master, dev1, { delegate: 1 });
    await w.certify(dev1, dev2, { delegate: 1, at: day(2) });
    await w.certify(dev2, host, { at: day(3) });
    await expectRefused(w, [master], dev2.fingerprint, 'NOT_SIGNING_KEY');
    await expectRefused(w, [master], host.fingerprint, 'DEPTH_EXCEEDED');
  });

  it('refuses a depth-2 delegation beyond the policy of one intermediate', async () => {
    const w = new World();
    const master = await w.key('master');
    const dev1 = await w.key('developer1');
    const dev2 = await w.key('developer2');
    const host = await w.key('host');
    await w.certify(master, dev1, { delegate: 2 });
    await w.certify(dev1, dev2, { delegate: 1, at: day(2) });
    await w.certify(dev2, host, { at: day(3) });
    await expectRefused(w, [master], host.fingerprint, 'DEPTH_EXCEEDED');
  });

  it('refuses a trust signature of partial trust as a delegation', async () => {
    const w = new World();
    const master = await w.key('master');
    const dev = await w.key('developer');
    const host = await w.key('host');
    w.add(
      await forgeCertification(master, dev, { created: day(1), expires: day(700), trust: { depth: 1, amount: 60 } }),
    );
    await w.certify(dev, host, { at: day(2) });
    await expectRefused(w, [master], host.fingerprint, 'NOT_DELEGATED');
  });
});
