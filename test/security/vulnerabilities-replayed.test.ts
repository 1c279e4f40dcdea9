// Attack: a signature made for another document is replayed as pkg-vulnerabilities (or the other way
// round) by a key certified for both. Its text then reaches pkg_admin as a vulnerability list, or the
// list as a repository's index. Every signature names what it is for in the
// pkgsrc-repository@pkgsrc.org notation, and the verifier checks that name before anything the text
// says. DESIGN.md §3 (mix-and-match), §5.
import { REPOSITORY_NOTATION } from '../../lib/model';
import { pkgkeys } from '../helpers/cli';
import { REPO, entry, expectRefusal, expectVerified, iso } from '../helpers/repo';
import type { TestKey } from '../helpers/world';
import { SIGNED_AT, VERIFY_AT, VulnSite } from '../helpers/vulnerabilities';

let site: VulnSite;
/** Release engineering: certified for the packages, the keyring releases and pkg-vulnerabilities. */
let releng: TestKey;
beforeAll(async () => {
  site = await VulnSite.create();
  releng = await site.world.key('releng', { type: 'rsa3072' });
  await site.world.certify(site.master, releng, { scopes: ['NetBSD/**', 'keyring/pkgsrc', 'pkg-vulnerabilities'] });
  await site.writeKeyring();
  await site.writeSecret(releng);
  await site.write('pkg_summary', entry('foo-1.0'));
}, 60_000);
afterAll(() => site.cleanup());

const clientKeyring = () => ['--client-keyring', site.path('keyring.asc'), '--anchor', site.path('master.asc')];
const verifyIndex = (file: string) =>
  pkgkeys([
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
    file,
  ]);

describe('a signature replayed across documents by a key certified for both', () => {
  it('verifies each document as what it was signed for (the controls)', async () => {
    expectVerified(await site.verify(await site.sign({ key: releng, out: 'releng-vuln.asc' })));
    const index = site.path('pkg_summary.asc');
    const signed = await pkgkeys([
      'sign-summary',
      '--now',
      iso(SIGNED_AT),
      '--key',
      site.path('releng-secret.asc'),
      '--repository',
      REPO,
      ...clientKeyring(),
      '--output',
      index,
      site.path('pkg_summary'),
    ]);
    expect(signed.status).toBe(0);
    expectVerified(await verifyIndex(index));
  });

  it('refuses a package index signature served as pkg-vulnerabilities (REPOSITORY_MISMATCH)', async () => {
    const result = await site.verify(site.path('pkg_summary.asc'));
    expectRefusal(result, 'REPOSITORY_MISMATCH');
    expect(result.stderr).toContain(`signed for ${REPO}, not for pkg-vulnerabilities`);
  });

  it('refuses pkg-vulnerabilities served as a package index (REPOSITORY_MISMATCH)', async () => {
    expectRefusal(await verifyIndex(site.path('releng-vuln.asc')), 'REPOSITORY_MISMATCH');
  });

  it('refuses a keyring release statement served as pkg-vulnerabilities (REPOSITORY_MISMATCH)', async () => {
    const statement = await site.signDirect(
      'pkgkeys keyring release 1\nKeyring: pkgsrc\nSerial: 1\nSize: 0\nSHA256: 00\n',
      {
        key: releng,
        notations: [{ name: REPOSITORY_NOTATION, value: 'keyring/pkgsrc' }],
      },
    );
    expectRefusal(await site.verify(await site.write('release.asc', statement)), 'REPOSITORY_MISMATCH');
  });

  it('refuses a signature that names nothing, or names pkg-vulnerabilities and something else (REPOSITORY_MISMATCH)', async () => {
    const none = await site.signDirect(site.text, { key: releng, notations: [] });
    expectRefusal(await site.verify(await site.write('none.asc', none)), 'REPOSITORY_MISMATCH');
    const two = await site.signDirect(site.text, {
      key: releng,
      notations: [
        { name: REPOSITORY_NOTATION, value: 'pkg-vulnerabilities' },
        { name: REPOSITORY_NOTATION, value: REPO },
      ],
    });
    expectRefusal(await site.verify(await site.write('two.asc', two)), 'REPOSITORY_MISMATCH');
  });

  it('refuses the package signer replaying its index as pkg-vulnerabilities before the names are even compared (OUT_OF_SCOPE)', async () => {
    const index = site.path('host-index.asc');
    const signed = await pkgkeys([
      'sign-summary',
      '--now',
      iso(SIGNED_AT),
      '--key',
      site.path('host-secret.asc'),
      '--repository',
      REPO,
      ...clientKeyring(),
      '--output',
      index,
      site.path('pkg_summary'),
    ]);
    expect(signed.status).toBe(0);
    expectRefusal(await site.verify(index), 'OUT_OF_SCOPE');
  });
});
