import { authorize, authorizeAll } from '../../lib/trust/chain';
import { DEFAULT_POLICY } from '../../lib/trust/policy';
import { World, day } from '../helpers/world';
import { NOW, REPO, expectRefused, expectTrusted, judge } from '../helpers/chain';

describe('chain from an anchor to a signing key', () => {
  it('trusts a key the anchor certified for the repository, and tells the story top-down', async () => {
    const w = new World();
    const master = await w.key('master');
    const host = await w.key('host');
    await w.certify(master, host, { scopes: ['NetBSD/x86_64/10.*/All'] });
    const verdict = await expectTrusted(w, [master], host.fingerprint);
    expect(verdict.steps.map((s) => s.text.split(' ')[0])).toEqual(['anchor', master.fingerprint, 'signing']);
  });

  it('trusts a key certified by an intermediate the anchor delegated to', async () => {
    const w = new World();
    const master = await w.key('master');
    const dev = await w.key('developer');
    const host = await w.key('host');
    await w.certify(master, dev, { scopes: ['NetBSD/**'], delegate: 1 });
    await w.certify(dev, host, { scopes: ['NetBSD/x86_64/**'], at: day(2) });
    const verdict = await expectTrusted(w, [master], host.fingerprint);
    expect(verdict.trusted && verdict.granted).toEqual(['NetBSD/x86_64/**']);
  });

  it('answers NO_PATH for a key that only an unknown key or nobody certified', async () => {
    const w = new World();
    const master = await w.key('master');
    const stranger = await w.key('stranger');
    const host = await w.key('host');
    await w.certify(stranger, host);
    await expectRefused(w, [master], host.fingerprint, 'NO_PATH');
    const lonely = await w.key('lonely');
    await expectRefused(w, [master], lonely.fingerprint, 'NO_PATH');
  });

  it('answers UNKNOWN_KEY for a fingerprint not in the keyring, ANCHOR_NOT_SIGNER for an anchor', async () => {
    const w = new World();
    const master = await w.key('master');
    await expectRefused(w, [master], 'AB'.repeat(20), 'UNKNOWN_KEY');
    await expectRefused(w, [master], master.fingerprint, 'ANCHOR_NOT_SIGNER');
  });

  it('accepts any of several anchors, and only those given', async () => {
    const w = new World();
    const oldMaster = await w.key('old-master');
    const newMaster = await w.key('new-master');
    const host = await w.key('host');
    await w.certify(newMaster, host);
    await expectTrusted(w, [oldMaster, newMaster], host.fingerprint);
    await expectRefused(w, [oldMaster], host.fingerprint, 'NO_PATH');
  });

  it('finds the good path when another path fails', async () => {
    const w = new World();
    const a = await w.key('anchor-a');
    const b = await w.key('anchor-b');
    const host = await w.key('host');
    await w.certify(a, host, { scopes: ['pkgsrc/other/**'] });
    await w.certify(b, host, { scopes: ['NetBSD/**'] });
    await expectTrusted(w, [a, b], host.fingerprint);
    await expectRefused(w, [a], host.fingerprint, 'OUT_OF_SCOPE');
  });

  it('without a repository, checks everything but the scope', async () => {
    const w = new World();
    const master = await w.key('master');
    const host = await w.key('host');
    await w.certify(master, host, { scopes: ['pkgsrc/other/**'] });
    await expectTrusted(w, [master], host.fingerprint, { repository: null });
  });

  it('takes the newest certification by an issuer: a renewal replaces an expired one', async () => {
    const w = new World();
    const master = await w.key('master');
    const host = await w.key('host');
    await w.certify(master, host, { at: day(1), expires: day(50) });
    await expectRefused(w, [master], host.fingerprint, 'CERT_EXPIRED');
    await w.certify(master, host, { at: day(60), expires: day(400) });
    await expectTrusted(w, [master], host.fingerprint);
  });

  it('decides for every key of the keyring, subkeys included, leaving out the anchors', async () => {
    const w = new World();
    const master = await w.key('master');
    const good = await w.key('good');
    const revoked = await w.key('revoked');
    const stranger = await w.key('stranger');
    await w.certify(master, good);
    await w.certify(master, revoked);
    await w.revokeKey(revoked, 'compromised', day(50));
    const verdicts = authorizeAll(await w.graph(master), {
      repository: REPO,
      signedAt: NOW,
      now: NOW,
      policy: DEFAULT_POLICY,
    });
    const outcome = (fpr: string) => {
      const v = verdicts.get(fpr)!;
      return v.trusted ? 'trusted' : v.code;
    };
    expect([...verdicts.keys()].sort()).toEqual([good, revoked, stranger].map((k) => k.fingerprint).sort());
    expect([outcome(good.fingerprint), outcome(revoked.fingerprint), outcome(stranger.fingerprint)]).toEqual([
      'trusted',
      'KEY_REVOKED',
      'NO_PATH',
    ]);
  });

  it('judges the same question the same way however often it is asked (no cached state)', async () => {
    const w = new World();
    const master = await w.key('master');
    const host = await w.key('host');
    await w.certify(master, host);
    await w.revokeKey(host, 'superseded', day(50));
    const graph = await w.graph(master);
    const ask = (signedAt: Date) =>
      authorize(graph, { key: host.fingerprint, repository: REPO, signedAt, now: NOW, policy: DEFAULT_POLICY }).trusted;
    expect([ask(day(10)), ask(day(60)), ask(day(10)), ask(day(60))]).toEqual([true, false, true, false]);
    expect((await judge(w, [master], host.fingerprint, { signedAt: day(10) })).trusted).toBe(true);
  });
});
