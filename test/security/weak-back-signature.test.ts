// Attack: a signing subkey whose binding embeds a 0x19 back-signature (RFC 9580 §5.2.1, the subkey
// cross-certifying its primary) made with MD5 or SHA-1. It verifies mathematically, but the policy
// refuses those hashes anywhere in the chain (DESIGN.md §3): the back-signature is part of the chain.
import { World } from '../helpers/world';
import { rawKey, rebindSubkey, subkeyFingerprints } from '../helpers/forge';
import { expectRefused, expectTrusted } from '../helpers/chain';
import { DEFAULT_POLICY, certificateProblems } from '../../lib/trust/policy';

async function hostWithBackSignature(hash: 'md5' | 'sha1' | 'sha256') {
  const w = new World();
  const master = await w.key('master');
  // RSA: OpenPGP.js will not make an EdDSA signature over a hash shorter than 256 bits.
  const host = await rawKey('host', { rsaBits: 2048, signingSubkey: true });
  w.add(await rebindSubkey(host, hash, new Date('2026-01-01T00:00:01Z')));
  await w.certify(master, host);
  const [subkey] = await subkeyFingerprints(host);
  return { w, master, host, subkey: subkey! };
}

describe('weak back-signatures', () => {
  it.each(['md5', 'sha1'] as const)('refuses a subkey whose back-signature uses %s', async (hash) => {
    const { w, master, subkey } = await hostWithBackSignature(hash);
    const verdict = await expectRefused(w, [master], subkey, 'WEAK_ALGORITHM');
    expect(verdict.trusted ? '' : verdict.reason).toContain(
      `cross-certifies its primary key with ${hash.toUpperCase()}`,
    );
    const cert = (await w.certificates()).find((c) => c.subkeys.some((s) => s.fingerprint === subkey))!;
    expect(certificateProblems(cert, DEFAULT_POLICY)).toContain(
      `back-signature of subkey ${subkey}: ${hash.toUpperCase()} signatures are not accepted`,
    );
  });

  it('trusts the same subkey with a SHA-256 back-signature', async () => {
    const { w, master, subkey } = await hostWithBackSignature('sha256');
    await expectTrusted(w, [master], subkey);
  });
});
