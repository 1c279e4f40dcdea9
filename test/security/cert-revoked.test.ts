// Attack: the master withdraws a certification (0x30), and the key keeps being trusted through it.
// Also: the key holder revokes the certified User ID. RFC 9580 §5.2.1.12.
import { World, day } from '../helpers/world';
import { expectRefused, expectTrusted } from '../helpers/chain';
import { revokeUserID } from '../helpers/forge';

describe('revoked certification', () => {
  it('refuses a key whose certification its issuer revoked', async () => {
    const w = new World();
    const master = await w.key('master');
    const host = await w.key('host');
    await w.certify(master, host);
    await w.revokeCertification(master, host, day(50));
    await expectRefused(w, [master], host.fingerprint, 'CERT_REVOKED');
    // Asked as of before the revocation, the certification still held.
    await expectTrusted(w, [master], host.fingerprint, { now: day(40) });
  });

  it('a certification made after the revocation certifies again', async () => {
    const w = new World();
    const master = await w.key('master');
    const host = await w.key('host');
    await w.certify(master, host);
    await w.revokeCertification(master, host, day(50));
    await w.certify(master, host, { at: day(60) });
    await expectTrusted(w, [master], host.fingerprint);
  });

  it('refuses a key whose certified User ID its holder revoked', async () => {
    const w = new World();
    const master = await w.key('master');
    const host = await w.key('host');
    await w.certify(master, host);
    w.add(await revokeUserID(host, day(50)));
    await expectRefused(w, [master], host.fingerprint, 'USER_ID_REVOKED');
  });
});
