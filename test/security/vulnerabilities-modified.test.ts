// Attack: the mirror (or anyone on the path) edits a signed pkg-vulnerabilities: an advisory removed so
// that `pkg_admin audit` stays quiet about a vulnerable package, a version bound moved, an entry
// added to block an update. The signature no longer matches. RFC 9580 §7; DESIGN.md §3.
import { promises as fs } from 'node:fs';
import { expectRefusal, expectVerified } from '../helpers/repo';
import { VulnSite, pkgAdminChecksum } from '../helpers/vulnerabilities';

let site: VulnSite;
let signed: string;
beforeAll(async () => {
  site = await VulnSite.create();
  signed = await fs.readFile(await site.sign(), 'latin1');
}, 60_000);
afterAll(() => site.cleanup());

async function verifyText(text: string) {
  return site.verify(await site.write('attack.asc', text));
}

describe('a modified pkg-vulnerabilities', () => {
  it('verifies untouched (the control)', async () => {
    expectVerified(await verifyText(signed));
  });

  it('is refused when an advisory is removed (BAD_SIGNATURE)', async () => {
    const forged = signed.replace(/^sudo<.*\n/m, '');
    expect(forged).not.toBe(signed);
    expectRefusal(await verifyText(forged), 'BAD_SIGNATURE');
  });

  it('is refused when a version bound is moved (BAD_SIGNATURE)', async () => {
    expectRefusal(await verifyText(signed.replace('openssl<3.0.13', 'openssl<3.0.1')), 'BAD_SIGNATURE');
  });

  it('is refused when an entry is added to the signed text (BAD_SIGNATURE)', async () => {
    expectRefusal(
      await verifyText(
        signed.replace(
          '\n-----BEGIN PGP SIGNATURE-----',
          '\npkgkeys<99\tdenial-of-service\thttps://evil.example/\n-----BEGIN PGP SIGNATURE-----',
        ),
      ),
      'BAD_SIGNATURE',
    );
  });

  it('is refused when the #CHECKSUM lines are recomputed to match the change (BAD_SIGNATURE)', async () => {
    // pkg_admin's own checksum is no defence: anyone can recompute it. The signature covers it.
    const body = site.text.replace(/^sudo<.*\n/m, '').replace(/^#CHECKSUM.*\n/gm, '');
    const text = `${body}#CHECKSUM SHA1 ${pkgAdminChecksum(body, 'sha1')}\n#CHECKSUM SHA512 ${pkgAdminChecksum(body, 'sha512')}\n`;
    expectRefusal(await verifyText(signed.replace(site.text, text)), 'BAD_SIGNATURE');
  });

  it('is refused when an entry is added after the signature block (VULNERABILITIES_MALFORMED), which gpgv would ignore', async () => {
    expectRefusal(
      await verifyText(`${signed}pkgkeys<99\tdenial-of-service\thttps://evil.example/\n`),
      'VULNERABILITIES_MALFORMED',
    );
  });

  it('accepts trailing whitespace the signature does not cover, and never passes it on', async () => {
    const result = await verifyText(signed.replace('/CVE-2023-6237\n', '/CVE-2023-6237  \t\n'));
    expectVerified(result);
    expect(result.stdout).toBe(site.text);
  });
});
