// Attack: one certificate carries the same User ID packet twice, with a revocation under the second
// copy, so that a reader who takes certifications from any copy but revocations from the first misses
// it. User IDs with the same text are one User ID (gpg merges them too): every signature over either
// copy is judged together.
import * as openpgp from 'openpgp';
import { World, day } from '../helpers/world';
import { expectRefused, expectTrusted } from '../helpers/chain';
import { revokeUserID, splitUserID } from '../helpers/forge';

const T = openpgp.enums.signature;

async function certifiedHost() {
  const w = new World();
  const master = await w.key('master');
  const host = await w.key('host');
  await w.certify(master, host);
  return { w, master, host };
}

/** A world with the anchor and `host`'s certificate split over two copies of its User ID. */
async function split(
  material: string[],
  master: { public: string },
  fingerprint: string,
  second: (sig: openpgp.SignaturePacket) => boolean,
) {
  const forged = new World();
  forged.add(master.public);
  forged.add(await splitUserID(material, fingerprint, second));
  return forged;
}

describe('duplicate User ID packets', () => {
  it("the anchor's revocation of its certification, under the second copy, still voids it", async () => {
    const { w, master, host } = await certifiedHost();
    await w.revokeCertification(master, host, day(50));
    const forged = await split(w.material, master, host.fingerprint, (sig) => sig.signatureType === T.certRevocation);
    await expectRefused(forged, [master], host.fingerprint, 'CERT_REVOKED');
  });

  it('the certification and its revocation, both under the second copy: revoked', async () => {
    const { w, master, host } = await certifiedHost();
    await w.revokeCertification(master, host, day(50));
    const byMaster = (sig: openpgp.SignaturePacket) =>
      sig.issuerKeyID.toHex().toUpperCase() === master.fingerprint.slice(-16);
    const forged = await split(w.material, master, host.fingerprint, byMaster);
    await expectRefused(forged, [master], host.fingerprint, 'CERT_REVOKED');
  });

  it("the key's own revocation of the User ID, under the second copy: revoked", async () => {
    const { w, master, host } = await certifiedHost();
    w.add(await revokeUserID(host, day(50)));
    const forged = await split(w.material, master, host.fingerprint, (sig) => sig.signatureType === T.certRevocation);
    await expectRefused(forged, [master], host.fingerprint, 'USER_ID_REVOKED');
  });

  it('without a revocation the split certificate is the same certificate: trusted', async () => {
    const { w, master, host } = await certifiedHost();
    const byMaster = (sig: openpgp.SignaturePacket) =>
      sig.issuerKeyID.toHex().toUpperCase() === master.fingerprint.slice(-16);
    const forged = await split(w.material, master, host.fingerprint, byMaster);
    await expectTrusted(forged, [master], host.fingerprint);
  });
});
