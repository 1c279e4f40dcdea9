// Attack: a key the master certified for something else signs pkg-vulnerabilities. A build host
// certified for packages (NetBSD/**) could otherwise drop the advisory for the package it means to
// subvert, and pkg_admin audit would call it clean. The identifier `pkg-vulnerabilities` lies outside
// every repository scope but a bare `**`; the reverse holds too: the pkg-vulnerabilities key signs no
// index. DESIGN.md §3 (mix-and-match), lib/trust/scope.ts.
import { pkgkeys } from '../helpers/cli';
import { REPO, entry, expectRefusal, expectVerified, iso } from '../helpers/repo';
import { REPOSITORY_NOTATION } from '../../lib/model';
import { VERIFY_AT, VulnSite } from '../helpers/vulnerabilities';

let site: VulnSite;
beforeAll(async () => {
  site = await VulnSite.create();
}, 60_000);
afterAll(() => site.cleanup());

describe('pkg-vulnerabilities signed by a key not certified for it', () => {
  it('verifies when the pkg-vulnerabilities key signs (the control)', async () => {
    expectVerified(await site.verify(await site.sign()));
  });

  it('is refused when the package-signing host signs it (OUT_OF_SCOPE)', async () => {
    const result = await site.verify(await site.sign({ key: site.host, out: 'by-host.asc' }));
    expectRefusal(result, 'OUT_OF_SCOPE');
    expect(result.stderr).toContain(site.host.fingerprint);
  });

  it.each([
    ['a keyring publisher (keyring/pkgsrc)', ['keyring/pkgsrc']],
    ['a host for one repository', [REPO]],
    ['a near miss (pkg-vulnerabilities/**)', ['pkg-vulnerabilities/**']],
  ])('is refused when %s signs it (OUT_OF_SCOPE)', async (name, scopes) => {
    const key = await site.world.key(`k${scopes[0]!.replace(/[^a-z0-9]/gi, '')}`, { type: 'rsa3072' });
    await site.world.certify(site.master, key, { scopes });
    await site.writeKeyring();
    await site.writeSecret(key);
    expectRefusal(await site.verify(await site.sign({ key, out: `${key.name}.asc` })), 'OUT_OF_SCOPE');
  });

  it('is refused when a delegated intermediate whose scope is NetBSD/** certifies a key for pkg-vulnerabilities (OUT_OF_SCOPE)', async () => {
    const developer = await site.world.key('developer');
    const sneaky = await site.world.key('sneaky', { type: 'rsa3072' });
    await site.world.certify(site.master, developer, { scopes: ['NetBSD/**'], delegate: 1 });
    await site.world.certify(developer, sneaky, { scopes: ['pkg-vulnerabilities'] });
    await site.writeKeyring();
    await site.writeSecret(sneaky);
    expectRefusal(await site.verify(await site.sign({ key: sneaky, out: 'sneaky.asc' })), 'OUT_OF_SCOPE');
  });
});

describe('an index signed by the pkg-vulnerabilities key', () => {
  it('is refused for a repository (OUT_OF_SCOPE): that key signs no packages', async () => {
    const index = await site.write(
      'pkg_summary.asc',
      await site.signDirect(entry('foo-1.0'), { notations: [{ name: REPOSITORY_NOTATION, value: REPO }] }),
    );
    const result = await pkgkeys([
      'verify-summary',
      '--now',
      iso(VERIFY_AT),
      '--anchor',
      site.path('master.asc'),
      '--keyring',
      site.path('keyring.asc'),
      '--repository',
      REPO,
      '--state-dir',
      site.path('state'),
      index,
    ]);
    expectRefusal(result, 'OUT_OF_SCOPE');
  });
});
