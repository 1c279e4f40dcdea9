/**
 * `pkgkeys verify-vulnerabilities`: the steps of every signed document (lib/verify/signed.ts) for the
 * identifier `pkg-vulnerabilities`, then pkg_admin's grammar; the signed text, and nothing else, out.
 */
import { execFileSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { pkgkeys } from '../helpers/cli';
import { GpgHome } from '../helpers/gpg';
import { codeOf, expectRefusal, expectVerified, iso } from '../helpers/repo';
import { World, day } from '../helpers/world';
import { SIGNED_AT, VERIFY_AT, VulnSite, pkgAdminChecksum, vulnerabilitiesText } from '../helpers/vulnerabilities';

let site: VulnSite;
let file: string;
beforeAll(async () => {
  site = await VulnSite.create();
  file = await site.sign();
}, 60_000);
afterAll(() => site.cleanup());

describe('sign-vulnerabilities then verify-vulnerabilities', () => {
  it('gives back exactly the list that was signed, on stdout or in --output', async () => {
    const result = await site.verify(file);
    expect(result).toEqual({ status: 0, stdout: site.text, stderr: '' });
    const out = await site.verify(file, { args: ['--output', site.path('verified')] });
    expect(out.status).toBe(0);
    expect(out.stdout).toBe('');
    expect(out.stderr).toMatch(
      new RegExp(
        `good pkg-vulnerabilities, 4 entries, signed 2026-04-11T00:00:00Z by ${site.vuln.fingerprint}, expires 2026-04-18T00:00:00Z`,
      ),
    );
    expect(await fs.readFile(site.path('verified'), 'utf8')).toBe(site.text);
  });

  it('reports the signer, the times and the chain with --json', async () => {
    const result = await site.verify(file, { args: ['--json'] });
    expect(result.status).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report).toMatchObject({
      ok: true,
      entries: 4,
      signer: site.vuln.fingerprint,
      primary: site.vuln.fingerprint,
      signed: '2026-04-11T00:00:00Z',
      expires: '2026-04-18T00:00:00Z',
    });
    expect(report.steps.length).toBeGreaterThan(0);
    expect(report).not.toHaveProperty('text');
  });

  it('reads the list compressed, as pkg_admin fetches pkg-vulnerabilities.gz', async () => {
    for (const [tool, ext] of [
      ['gzip', 'gz'],
      ['bzip2', 'bz2'],
      ['xz', 'xz'],
    ] as const) {
      const compressed = await site.write(`pkg-vulnerabilities.asc.${ext}`, execFileSync(tool, ['-c', file]));
      const result = await site.verify(compressed);
      expect({ ext, status: result.status, same: result.stdout === site.text }).toEqual({ ext, status: 0, same: true });
    }
  });

  it('takes the anchors and the keyring from pkgkeys.conf and the default paths when not given', async () => {
    const root = site.path('root');
    await fs.mkdir(path.join(root, 'etc/pkgkeys/anchors'), { recursive: true });
    await fs.mkdir(path.join(root, 'var/db/pkgkeys'), { recursive: true });
    await fs.copyFile(site.path('master.asc'), path.join(root, 'etc/pkgkeys/anchors/pkgsrc.asc'));
    await fs.copyFile(site.path('keyring.asc'), path.join(root, 'var/db/pkgkeys/keyring.gpg'));
    const result = await pkgkeys(['verify-vulnerabilities', '--now', iso(VERIFY_AT), file], { PKGKEYS_ROOT: root });
    expect(result).toEqual({ status: 0, stdout: site.text, stderr: '' });
    // What it proved is the latest time known there: a clock set back cannot make an older list fresh.
    await expect(fs.readdir(path.join(root, 'var/db/pkgkeys/state'))).resolves.toEqual(['@floor.json']);
  });

  it('verifies a list signed with SHA-256 and without #CHECKSUM lines', async () => {
    const text = vulnerabilitiesText(undefined, { checksums: false });
    const signed = await site.write('sha256.asc', await site.signDirect(text, { hash: 'sha256' }));
    expect(await site.verify(signed)).toEqual({ status: 0, stdout: text, stderr: '' });
  });
});

describe('a list clearsigned by gpg, as the pkgsrc security team signs it today', () => {
  let gpg: GpgHome;
  beforeAll(async () => {
    gpg = await GpgHome.create();
    await gpg.import(site.vuln.secretArmored);
  });
  afterAll(() => gpg.close());

  const clearsign = (extra: string[]) =>
    gpg
      .gpg(['--local-user', site.vuln.fingerprint, '--digest-algo', 'SHA512', ...extra, '--clearsign'], {
        at: SIGNED_AT,
        input: site.text,
      })
      .then((r) => r.stdout);

  it('verifies with the notation and an expiry added (--sig-notation, --default-sig-expire)', async () => {
    const signed = await site.write(
      'gpg.asc',
      await clearsign([
        '--sig-notation',
        'pkgsrc-repository@pkgsrc.org=pkg-vulnerabilities',
        '--default-sig-expire',
        '7d',
      ]),
    );
    expect(await site.verify(signed)).toEqual({ status: 0, stdout: site.text, stderr: '' });
  });

  it('is refused without the notation (REPOSITORY_MISMATCH) or without an expiry (VULNERABILITIES_MALFORMED)', async () => {
    expectRefusal(
      await site.verify(await site.write('gpg-plain.asc', await clearsign(['--default-sig-expire', '7d']))),
      'REPOSITORY_MISMATCH',
    );
    expectRefusal(
      await site.verify(
        await site.write(
          'gpg-forever.asc',
          await clearsign(['--sig-notation', 'pkgsrc-repository@pkgsrc.org=pkg-vulnerabilities']),
        ),
      ),
      'VULNERABILITIES_MALFORMED',
    );
  });
});

describe('what verify-vulnerabilities refuses after a good signature: the grammar pkg_admin reads', () => {
  it.each([
    ['a #CHECKSUM that does not hold', () => site.text.replace('sudo<1.9.15p5', 'sudo<1.9.15p6')],
    ['no #FORMAT line', () => 'cabextract<1.1\tremote-code-execution\thttps://example.org/1\n'],
    ['an entry with a pattern only', () => vulnerabilitiesText(['cabextract<1.1'], { checksums: false })],
    // gpg escapes the line as "- -..." in the signed file; pkg_admin would read "- -..." as an entry.
    [
      'a line starting with "-"',
      () => vulnerabilitiesText(['-foo<1\tremote\thttps://example.org/1'], { checksums: false }),
    ],
  ])('%s (VULNERABILITIES_MALFORMED)', async (_name, text) => {
    const signed = await site.write('bad.asc', await site.signDirect(text()));
    expectRefusal(await site.verify(signed), 'VULNERABILITIES_MALFORMED');
  });

  it('a signed text that is a pkg_summary, not a vulnerability list', async () => {
    const signed = await site.write('summary.asc', await site.signDirect('PKGNAME=foo-1.0\nCOMMENT=foo\n\n'));
    expectRefusal(await site.verify(signed), 'VULNERABILITIES_MALFORMED');
  });

  it('accepts what pkg_admin tolerates: other "#" lines among the entries, more than three fields', async () => {
    const body = vulnerabilitiesText(
      [
        ...site.text.split('\n').filter((l) => l.includes('://')),
        '#comment without a space',
        'foo<1 bar https://example.org/1 extra',
      ],
      { checksums: false },
    );
    const text = `${body}#CHECKSUM SHA512 ${pkgAdminChecksum(body, 'sha512')}\n`;
    const result = await site.verify(await site.write('tolerated.asc', await site.signDirect(text)));
    expectVerified(result);
    expect(result.stdout).toBe(text);
  });
});

describe('the framework and the signature, as for every signed document', () => {
  it('refuses text outside the signed block (VULNERABILITIES_MALFORMED)', async () => {
    const signed = await fs.readFile(file, 'latin1');
    expectRefusal(
      await site.verify(await site.write('after.asc', `${signed}evil<9 remote https://evil.example/\n`)),
      'VULNERABILITIES_MALFORMED',
    );
    expectRefusal(
      await site.verify(await site.write('before.asc', `evil<9 remote https://evil.example/\n${signed}`)),
      'VULNERABILITIES_MALFORMED',
    );
  });

  it('refuses a signature made in the future (CLOCK_BEHIND)', async () => {
    expectRefusal(await site.verify(file, { at: new Date(SIGNED_AT.getTime() - 3600_000) }), 'CLOCK_BEHIND');
  });

  it('refuses a Hash header that lies (HASH_HEADER_MISMATCH)', async () => {
    const signed = (await fs.readFile(file, 'latin1')).replace('Hash: SHA512', 'Hash: SHA256');
    expectRefusal(await site.verify(await site.write('header.asc', signed)), 'HASH_HEADER_MISMATCH');
  });

  it('refuses a signer not in the keyring (UNKNOWN_KEY) and a file that is not there (IO_ERROR)', async () => {
    const stranger = await new World().key('stranger', { type: 'rsa3072' });
    expectRefusal(
      await site.verify(await site.write('stranger.asc', await site.signDirect(site.text, { key: stranger }))),
      'UNKNOWN_KEY',
    );
    const missing = await site.verify(site.path('nothing.asc'));
    expect({ status: missing.status, code: codeOf(missing) }).toEqual({ status: 3, code: 'IO_ERROR' });
  });

  it('refuses a signature made after the certification lapsed (CERT_EXPIRED)', async () => {
    const late = await site.write('late.asc', await site.signDirect(site.text, { created: day(731) }));
    expectRefusal(await site.verify(late, { at: new Date(day(731).getTime() + 60_000) }), 'CERT_EXPIRED');
  });
});
