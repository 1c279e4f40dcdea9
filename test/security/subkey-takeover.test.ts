// Attack: a certificate binds someone else's signing subkey with its own binding signature (anyone can
// make one; only the 0x19 back-signature needs the subkey's secret) and so claims the subkey, or
// carries the subkey's key material as a primary key. The owner's genuine signatures must still be
// judged through the owner's certificate, whatever order the certificates come in: a subkey belongs
// only where it is bound and back-signed (RFC 9580 §5.2.1), and every claimant is tried.
import { World } from '../helpers/world';
import { rawKey, stealSubkey, subkeyAsPrimary, subkeyFingerprints } from '../helpers/forge';
import { expectRefused, expectTrusted } from '../helpers/chain';

async function setting() {
  const w = new World();
  const master = await w.key('master');
  const owner = await rawKey('owner', { signingSubkey: true });
  const thief = await rawKey('thief');
  const [subkey] = await subkeyFingerprints(owner);
  return { w, master, owner, thief, subkey: subkey! };
}

describe("another certificate claiming a key's signing subkey", () => {
  it.each(['after', 'before'] as const)(
    'a certificate binding the subkey without a back-signature, %s the owner: the owner keeps it',
    async (where) => {
      const { w, master, owner, thief, subkey } = await setting();
      const stolen = await stealSubkey(owner, thief);
      if (where === 'before') w.add(stolen);
      w.add(owner.public);
      await w.certify(master, owner);
      if (where === 'after') w.add(stolen);
      const verdict = await expectTrusted(w, [master], subkey);
      expect(verdict.trusted && verdict.primary).toBe(owner.fingerprint);
    },
  );

  it('the subkey as the primary key of a bare certificate: the owner keeps it', async () => {
    const { w, master, owner, subkey } = await setting();
    w.add(owner.public);
    await w.certify(master, owner);
    w.add(await subkeyAsPrimary(owner));
    const verdict = await expectTrusted(w, [master], subkey);
    expect(verdict.trusted && verdict.primary).toBe(owner.fingerprint);
  });

  it('the thief gains nothing: with only the thief certified, the subkey is not trusted through it', async () => {
    const { w, master, owner, thief, subkey } = await setting();
    w.add(owner.public);
    w.add(await stealSubkey(owner, thief));
    await w.certify(master, thief);
    await expectRefused(w, [master], subkey, 'SUBKEY_UNBOUND');
  });
});
