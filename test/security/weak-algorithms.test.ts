// Attack: SHA-1 anywhere in the chain, RSA shorter than 2048 bits. DESIGN.md §3; RFC 9580 §9.5, §12.
// (DSA, and SHA-1 made by gpg, are covered in test/interop/.)
import { World, day } from '../helpers/world';
import { forgeCertification, rawKey } from '../helpers/forge';
import { expectRefused, expectTrusted } from '../helpers/chain';

describe('weak algorithms', () => {
  it('refuses a SHA-1 certification, and accepts the same one made with SHA-256', async () => {
    const w = new World();
    const master = await rawKey('master', { rsaBits: 2048 }); // OpenPGP.js will not pair EdDSA with SHA-1
    w.add(master.public);
    const host = await w.key('host');
    w.add(await forgeCertification(master, host, { hash: 'sha1', created: day(1), expires: day(700) }));
    await expectRefused(w, [master], host.fingerprint, 'WEAK_ALGORITHM');
    w.add(await forgeCertification(master, host, { hash: 'sha256', created: day(2), expires: day(700) }));
    await expectTrusted(w, [master], host.fingerprint);
  });

  it('refuses an RSA-1024 signing key', async () => {
    const w = new World();
    const master = await w.key('master');
    const host = await rawKey('host', { rsaBits: 1024 });
    w.add(host.public);
    await w.certify(master, host);
    await expectRefused(w, [master], host.fingerprint, 'WEAK_ALGORITHM');
  });

  it('refuses an RSA-1024 anchor', async () => {
    const w = new World();
    const master = await rawKey('master', { rsaBits: 1024 });
    w.add(master.public);
    const host = await w.key('host');
    await w.certify(master, host);
    await expectRefused(w, [master], host.fingerprint, 'WEAK_ALGORITHM');
  });
});
