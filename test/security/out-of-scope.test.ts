// Attack (mix-and-match): a key certified for one repository signs for another; an intermediate
// certifies beyond the scope delegated to it; a certification carries no scope at all.
import { World, day } from '../helpers/world';
import { expectRefused, expectTrusted } from '../helpers/chain';

describe('certification outside its scope', () => {
  it('refuses another architecture, release or repository than the scope names', async () => {
    const w = new World();
    const master = await w.key('master');
    const host = await w.key('host');
    await w.certify(master, host, { scopes: ['NetBSD/x86_64/10.*/All'] });
    await expectTrusted(w, [master], host.fingerprint, { repository: 'NetBSD/x86_64/10.1/All' });
    for (const repository of [
      'NetBSD/aarch64/10.0/All',
      'NetBSD/x86_64/9.3/All',
      'NetBSD/x86_64/10.0/All/extra',
      'NetBSD/x86_64/10.0',
    ]) {
      await expectRefused(w, [master], host.fingerprint, 'OUT_OF_SCOPE', { repository });
    }
  });

  it('refuses a certification without any scope notation', async () => {
    const w = new World();
    const master = await w.key('master');
    const host = await w.key('host');
    await w.certify(master, host, { scopes: [] });
    await expectRefused(w, [master], host.fingerprint, 'OUT_OF_SCOPE', { repository: null });
  });

  it('narrows the scope along a delegation: an intermediate cannot grant more than it was given', async () => {
    const w = new World();
    const master = await w.key('master');
    const dev = await w.key('developer');
    const host = await w.key('host');
    await w.certify(master, dev, { scopes: ['NetBSD/x86_64/**'], delegate: 1 });
    await w.certify(dev, host, { scopes: ['NetBSD/**'], at: day(2) });
    await expectTrusted(w, [master], host.fingerprint, { repository: 'NetBSD/x86_64/10.0/All' });
    const verdict = await expectRefused(w, [master], host.fingerprint, 'OUT_OF_SCOPE', {
      repository: 'NetBSD/aarch64/10.0/All',
    });
    expect(!verdict.trusted && verdict.reason).toContain(master.fingerprint);
  });
});
