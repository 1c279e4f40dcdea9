// Attack: a signature by a subkey that is revoked, expired, or not bound to the certified key.
import { World, day } from '../helpers/world';
import { graftSubkey, rawKey, subkeyFingerprints } from '../helpers/forge';
import { expectRefused, expectTrusted } from '../helpers/chain';

describe('signing subkeys', () => {
  it('trusts a bound signing subkey of a certified key, and refuses it once revoked', async () => {
    const w = new World();
    const master = await w.key('master');
    const host = await rawKey('host', { signingSubkey: true });
    w.add(host.public);
    await w.certify(master, host);
    const [subkey] = await subkeyFingerprints(host);
    await expectTrusted(w, [master], subkey!);
    await w.revokeSubkey(host, subkey!, 'compromised', day(50));
    await expectRefused(w, [master], subkey!, 'SUBKEY_REVOKED');
  });

  it('refuses a subkey grafted onto a certified key without a valid binding', async () => {
    const w = new World();
    const master = await w.key('master');
    const host = await w.key('host');
    const other = await rawKey('other', { signingSubkey: true });
    await w.certify(master, host);
    w.add(await graftSubkey(other, host));
    const [subkey] = await subkeyFingerprints(other);
    await expectRefused(w, [master], subkey!, 'SUBKEY_UNBOUND');
  });
});
