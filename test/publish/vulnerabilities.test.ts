/**
 * `pkgkeys sign-vulnerabilities`: the clearsigned pkg-vulnerabilities that `pkg_admin
 * fetch-pkg-vulnerabilities` checks against GPG_KEYRING_PKGVULN (DESIGN.md §4). The file's text as
 * given, the signature packet's layout byte for byte (v4 RSA, SHA-512, text, Issuer Key ID hashed),
 * gpg and gpgv as peers, and the pkgvuln.gpg export (lib/keyring/exports.ts) verifying what was signed.
 */
import { promises as fs } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { pkgInstallKeyrings } from '../../lib/keyring/exports';
import { REPOSITORY_NOTATION } from '../../lib/model';
import { DEFAULT_POLICY } from '../../lib/trust/policy';
import { GpgHome } from '../helpers/gpg';
import { peerSync } from '../helpers/peer';
import { codeOf, iso } from '../helpers/repo';
import { day } from '../helpers/world';
import {
  IDENTIFIER,
  SIGNED_AT,
  VERIFY_AT,
  VulnSite,
  pkgAdminChecksum,
  vulnerabilitiesText,
} from '../helpers/vulnerabilities';
import { pkgkeys } from '../helpers/cli';

let site: VulnSite;
let signed: Buffer;
beforeAll(async () => {
  site = await VulnSite.create();
  signed = await fs.readFile(await site.sign());
}, 60_000);
afterAll(() => site.cleanup());

/** The armored signature block's packet bytes. */
function signaturePacket(file: Buffer): Buffer {
  const armor = file
    .toString('latin1')
    .split('-----BEGIN PGP SIGNATURE-----\n')[1]!
    .split('-----END PGP SIGNATURE-----')[0]!;
  const body = armor
    .split('\n')
    .filter((l) => /^[A-Za-z0-9+/=]+$/.test(l) && !l.startsWith('='))
    .join('');
  return Buffer.from(body, 'base64');
}

/** A v4 signature packet's fields and hashed subpackets, read here independently of lib/pgp/. */
function parseSignature(packet: Buffer) {
  // Old-format signature packet (tag 2) with a one- or two-byte length.
  expect(packet[0]! & 0xfc).toBe(0x88);
  const sig = packet.subarray((packet[0]! & 3) === 0 ? 2 : 3);
  const hashed = sig.subarray(6, 6 + sig.readUInt16BE(4));
  const subpackets: Array<{ type: number; body: Buffer }> = [];
  for (let at = 0; at < hashed.length;) {
    const length = hashed[at]!; // all short here
    subpackets.push({ type: hashed[at + 1]! & 0x7f, body: hashed.subarray(at + 2, at + 1 + length) });
    at += 1 + length;
  }
  const unhashedLength = sig.readUInt16BE(6 + hashed.length);
  return { version: sig[0], type: sig[1], algorithm: sig[2], hash: sig[3], subpackets, unhashedLength };
}

/**
 * gpgv has no --faked-system-time and refuses an expired signature: for it, sign on the real clock
 * (an hour ago). It judges the key alone, which has no expiry; certifications are pkgkeys' business.
 */
const NOW = () => new Date(Date.now() - 3600_000);
const signedNow = () => site.sign({ at: NOW(), out: 'now.asc' });
const gpgv = (keyring: string, file: string) => peerSync('gpgv', ['--keyring', keyring, file]);

describe('the signed file', () => {
  it('is the text as given, between a SHA512 header and the signature block', () => {
    const text = signed.toString('latin1');
    expect(
      text.startsWith(
        `-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA512\n\n${site.text}-----BEGIN PGP SIGNATURE-----\n`,
      ),
    ).toBe(true);
    expect(text).toMatch(/\n-----END PGP SIGNATURE-----\n$/);
    // pkg_admin's own check, over the signed file as it stands, still holds.
    const inside = text.slice(text.indexOf('\n') + 1, text.indexOf('-----BEGIN PGP SIGNATURE-----'));
    const stated = /^#CHECKSUM SHA512 ([0-9a-f]{128})$/m.exec(inside)![1];
    expect(pkgAdminChecksum(inside, 'sha512')).toBe(stated);
  });

  it("has the signature packet pkg_add's verifier reads: v4, text, RSA, SHA-512, Issuer Key ID in the hashed area", () => {
    const sig = parseSignature(signaturePacket(signed));
    expect([sig.version, sig.type, sig.algorithm, sig.hash]).toEqual([4, 0x01, 1, 10]);
    const types = sig.subpackets.map((s) => s.type);
    expect(types).toEqual(expect.arrayContaining([2, 16, 3, 33, 20]));
    expect(
      sig.subpackets
        .find((s) => s.type === 16)!
        .body.toString('hex')
        .toUpperCase(),
    ).toBe(site.vuln.fingerprint.slice(-16));
    expect(sig.subpackets.find((s) => s.type === 2)!.body.readUInt32BE(0)).toBe(SIGNED_AT.getTime() / 1000);
    // Expires after the default seven days: the list is regenerated every day upstream.
    expect(sig.subpackets.find((s) => s.type === 3)!.body.readUInt32BE(0)).toBe(7 * 86400);
    const notation = sig.subpackets.find((s) => s.type === 20)!.body;
    expect(notation[0]! & 0x80).toBe(0x80); // human-readable
    const [nameLength, valueLength] = [notation.readUInt16BE(4), notation.readUInt16BE(6)];
    expect(notation.subarray(8, 8 + nameLength).toString()).toBe(REPOSITORY_NOTATION);
    expect(notation.subarray(8 + nameLength, 8 + nameLength + valueLength).toString()).toBe(IDENTIFIER);
    expect(sig.unhashedLength).toBe(0);
  });

  it('uses SHA-256 with --hash sha256, and honours --expires', async () => {
    const file = await site.sign({ out: 'sha256.asc', args: ['--hash', 'sha256', '--expires', '36h'] });
    const data = await fs.readFile(file);
    expect(data.toString('latin1')).toMatch(/^-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\n/);
    const sig = parseSignature(signaturePacket(data));
    expect(sig.hash).toBe(8);
    expect(sig.subpackets.find((s) => s.type === 3)!.body.readUInt32BE(0)).toBe(36 * 3600);
    expect((await site.verify(file)).status).toBe(0);
  });

  it('reports with --json, and reads a gzip-compressed list', async () => {
    const input = await site.write('pkg-vulnerabilities.gz', gzipSync(site.text));
    const { result, file } = await site.trySign({ input, out: 'from-gz.asc', args: ['--json'] });
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({
      signer: site.vuln.fingerprint,
      entries: 4,
      signed: iso(SIGNED_AT).replace('.000', ''),
      expires: iso(day(7, SIGNED_AT)).replace('.000', ''),
      output: file,
    });
    expect(await fs.readFile(file)).toEqual(signed);
  });

  it('writes to standard output without --output, and says what it signed on standard error', async () => {
    const result = await pkgkeys([
      'sign-vulnerabilities',
      '--now',
      iso(SIGNED_AT),
      '--key',
      site.path('vuln-secret.asc'),
      site.path('pkg-vulnerabilities'),
    ]);
    expect(result.status).toBe(0);
    expect(Buffer.from(result.stdout, 'latin1')).toEqual(signed);
    expect(result.stderr).toBe(
      `pkgkeys: signed pkg-vulnerabilities (4 entries) with ${site.vuln.fingerprint}, valid until 2026-04-18T00:00:00Z\n`,
    );
  });
});

describe('gpg and gpgv as peers', () => {
  let gpg: GpgHome;
  beforeAll(async () => {
    gpg = await GpgHome.create();
    await gpg.import(site.vuln.public);
  });
  afterAll(() => gpg.close());

  it('gpg --verify says "Good signature" by the pkg-vulnerabilities key', async () => {
    const result = await gpg.gpg(['--status-fd', '1', '--verify', site.path('pkg-vulnerabilities.asc')], {
      at: VERIFY_AT,
      allowFailure: true,
    });
    expect({ status: result.status, stderr: result.stderr }).toMatchObject({
      status: 0,
      stderr: expect.stringContaining('Good signature from "vuln <vuln@pkgsrc.test>"'),
    });
    expect(result.stdout.toString()).toMatch(
      new RegExp(`^\\[GNUPG:\\] VALIDSIG ${site.vuln.fingerprint} 2026-04-11 `, 'm'),
    );
  });

  it('gpgv with a keyring made by gpg --export verifies it, and refuses a changed entry', async () => {
    const keyring = site.path('vuln.gpg');
    await fs.writeFile(keyring, await gpg.export(site.vuln.fingerprint));
    const current = await fs.readFile(await signedNow());
    const good = gpgv(keyring, await site.write('current.asc', current));
    expect({ status: good.status, good: /Good signature from "vuln/.test(good.stderr) }).toEqual({
      status: 0,
      good: true,
    });
    const forged = await site.write(
      'forged.asc',
      current.toString('latin1').replace('openssl<3.0.13', 'openssl<3.0.12'),
    );
    expect(gpgv(keyring, forged)).toMatchObject({ status: 1, stderr: expect.stringContaining('BAD signature') });
  });
});

describe('the pkgvuln.gpg export (GPG_KEYRING_PKGVULN)', () => {
  it('holds the key certified for pkg-vulnerabilities, not the package signer; gpgv verifies the signed file with it and nothing the host signs', async () => {
    const graph = await site.world.graph(site.master);
    const exported = pkgInstallKeyrings(graph, VERIFY_AT, DEFAULT_POLICY);
    expect(exported.pkgvulnKeys).toEqual([site.vuln.fingerprint]);
    expect(exported.verifyKeys).toEqual([site.host.fingerprint]);
    const keyring = await site.write('pkgvuln.gpg', exported.pkgvuln);
    expect(gpgv(keyring, await signedNow()).status).toBe(0);
    const byHost = await site.write(
      'by-host.asc',
      await site.signDirect(site.text, { key: site.host, created: NOW() }),
    );
    const refused = gpgv(keyring, byHost);
    expect({ status: refused.status, said: /No public key/.test(refused.stderr) }).toEqual({ status: 2, said: true });
  });

  it('holds a key certified for both packages and pkg-vulnerabilities in both exports, and an Ed25519 one in neither', async () => {
    const both = await site.world.key('both', { type: 'rsa3072' });
    const ed = await site.world.key('ed-vuln');
    const publisher = await site.world.key('publisher', { type: 'rsa3072' });
    await site.world.certify(site.master, both, { scopes: ['NetBSD/**', IDENTIFIER] });
    await site.world.certify(site.master, ed, { scopes: [IDENTIFIER] });
    await site.world.certify(site.master, publisher, { scopes: ['keyring/pkgsrc'] });
    const exported = pkgInstallKeyrings(await site.world.graph(site.master), VERIFY_AT, DEFAULT_POLICY);
    expect(exported.pkgvulnKeys.sort()).toEqual([site.vuln.fingerprint, both.fingerprint].sort());
    expect(exported.verifyKeys.sort()).toEqual([site.host.fingerprint, both.fingerprint].sort());
  });
});

describe('what sign-vulnerabilities refuses', () => {
  it('an Ed25519 key: pkg_admin could not verify it (USAGE, nothing written)', async () => {
    const ed = await site.world.key('edsigner');
    await site.writeSecret(ed);
    const { result, file } = await site.trySign({ key: ed, out: 'ed.asc' });
    expect({ status: result.status, code: codeOf(result) }).toEqual({ status: 2, code: 'USAGE' });
    expect(result.stderr).toMatch(/is not an RSA key: pkg_admin verifies RSA signatures only/);
    await expect(fs.stat(file)).rejects.toThrow(/ENOENT/);
  });

  it('--expires never', async () => {
    const { result } = await site.trySign({ out: 'never.asc', args: ['--expires', 'never'] });
    expect({ status: result.status, code: codeOf(result) }).toEqual({ status: 2, code: 'USAGE' });
  });

  it('--json without --output', async () => {
    const result = await pkgkeys([
      'sign-vulnerabilities',
      '--json',
      '--key',
      site.path('vuln-secret.asc'),
      site.path('pkg-vulnerabilities'),
    ]);
    expect({ status: result.status, code: JSON.parse(result.stdout).code }).toEqual({ status: 2, code: 'USAGE' });
  });

  it.each([
    [
      'a #CHECKSUM that does not hold',
      (t: string) => t.replace('sudo<1.9.15p5', 'sudo<1.9.15p6'),
      /#CHECKSUM SHA1 says [0-9a-f]{40}, but the text hashes to/,
    ],
    [
      'a line starting with "-", which pkg_admin would read with its dash-escape',
      (t: string) => t.replace('#\tpackage', '-\tpackage'),
      /starts with "-"/,
    ],
    [
      'no #FORMAT line at all',
      () => '# $NetBSD: pkg-vulnerabilities,v 1.1 2026/04/10 00:00:00 x Exp $\n#\n\n',
      /no "#FORMAT 1\.1\.0" line/,
    ],
    [
      'entries without the header',
      (t: string) => t.slice(t.indexOf('cabextract')),
      /expected "#FORMAT 1\.1\.0", found "cabextract/,
    ],
    [
      'an unknown format version',
      (t: string) => t.replace('#FORMAT 1.1.0', '#FORMAT 2.0.0'),
      /expected "#FORMAT 1\.1\.0"/,
    ],
    [
      'an entry without a URL',
      (t: string) => t.replace('\teol\thttps://www.php.net/supported-versions.php', '\teol'),
      /expected an entry "PATTERN TYPE URL"/,
    ],
    [
      'a comment before #FORMAT that pkg_admin calls an invalid header',
      (t: string) => t.replace('#\n#FORMAT', '# hello\n#FORMAT'),
      /only "#" lines may stand before "#FORMAT"/,
    ],
  ])('%s (VULNERABILITIES_MALFORMED)', async (_name, change, message) => {
    const input = await site.write('bad', change(site.text));
    const { result, file } = await site.trySign({ input, out: 'bad.asc' });
    expect({ status: result.status, code: codeOf(result) }).toEqual({ status: 1, code: 'VULNERABILITIES_MALFORMED' });
    expect(result.stderr).toMatch(message);
    await expect(fs.stat(file)).rejects.toThrow(/ENOENT/);
  });

  it('trailing whitespace that #CHECKSUM covers: removing it would break the checksum, and it says so', async () => {
    const body = vulnerabilitiesText(undefined, { checksums: false })
      .replace('denial-of-service\t', 'denial-of-service  \t')
      .replace('/CVE-2023-6237\n', '/CVE-2023-6237  \n');
    const input = await site.write('padded', `${body}#CHECKSUM SHA512 ${pkgAdminChecksum(body, 'sha512')}\n`);
    const { result } = await site.trySign({ input, out: 'padded.asc' });
    expect(codeOf(result)).toBe('VULNERABILITIES_MALFORMED');
    expect(result.stderr).toMatch(/once the trailing whitespace a cleartext signature cannot cover is removed/);
  });

  it('accepts trailing whitespace when no checksum covers it, and signs the text without it', async () => {
    const input = await site.write(
      'padded-plain',
      vulnerabilitiesText(undefined, { checksums: false }).replace('/CVE-2023-6237\n', '/CVE-2023-6237 \t\n'),
    );
    const file = await site.sign({ input, out: 'padded-plain.asc' });
    const verified = await site.verify(file);
    expect(verified.status).toBe(0);
    expect(verified.stdout).toBe(vulnerabilitiesText(undefined, { checksums: false }));
  });

  it('accepts a list without #CHECKSUM lines, and one with a checksum algorithm pkg_admin skips', async () => {
    const input = await site.write(
      'other-sum',
      vulnerabilitiesText(undefined, { checksums: false }).concat('#CHECKSUM SHA256 00\n'),
    );
    expect((await site.verify(await site.sign({ input, out: 'other-sum.asc' }))).status).toBe(0);
  });
});
