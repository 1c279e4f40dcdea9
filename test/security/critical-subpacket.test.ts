// Attack: a certification carries a restriction pkgkeys does not understand, marked critical.
// RFC 9580 §5.2.3.7: such a signature must be treated as invalid, not as if the restriction were absent.
import { World, day } from '../helpers/world';
import { forgeCertification } from '../helpers/forge';
import { expectRefused, expectTrusted } from '../helpers/chain';

describe('unknown critical subpackets', () => {
  it('refuses a certification with an unknown critical subpacket', async () => {
    const w = new World();
    const master = await w.key('master');
    const host = await w.key('host');
    w.add(
      await forgeCertification(master, host, {
        created: day(1),
        expires: day(700),
        extraSubpacket: { type: 100, critical: true },
      }),
    );
    await expectRefused(w, [master], host.fingerprint, 'CERT_INVALID');
  });

  it('ignores an unknown subpacket that is not critical', async () => {
    const w = new World();
    const master = await w.key('master');
    const host = await w.key('host');
    w.add(
      await forgeCertification(master, host, {
        created: day(1),
        expires: day(700),
        extraSubpacket: { type: 100, critical: false },
      }),
    );
    await expectTrusted(w, [master], host.fingerprint);
  });

  it('refuses a certification with an unknown critical notation', async () => {
    const w = new World();
    const master = await w.key('master');
    const host = await w.key('host');
    w.add(
      await forgeCertification(master, host, {
        created: day(1),
        expires: day(700),
        criticalNotation: 'no-builds-on-fridays@example.org',
      }),
    );
    await expectRefused(w, [master], host.fingerprint, 'CERT_INVALID');
  });
});
