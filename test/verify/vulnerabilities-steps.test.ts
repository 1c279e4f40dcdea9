/**
 * pkg-vulnerabilities (lib/pkgsrc/vulnerabilities.ts, lib/verify/vulnerabilities.ts) called directly: the grammar pkg_admin reads,
 * line by line, its #CHECKSUM lines, then the signed file's steps with this document's codes.
 * test/verify/vulnerabilities.test.ts runs the same through `pkgkeys verify-vulnerabilities`.
 */
import { gzipSync } from 'node:zlib';
import { DEFAULT_POLICY } from '../../lib/trust/policy';
import { checkVulnerabilities, readVulnerabilities } from '../../lib/pkgsrc/vulnerabilities';
import { clockAt } from '../../lib/verify/state';
import { verifyVulnerabilities, verifyVulnerabilitiesFile } from '../../lib/verify/vulnerabilities';
import { expectCode } from '../helpers/caught';
import { SIGNED_AT, VERIFY_AT, VulnSite, pkgAdminChecksum, vulnerabilitiesText } from '../helpers/vulnerabilities';
import { day } from '../helpers/world';

const read = (text: string) => readVulnerabilities(Buffer.from(text, 'latin1'), 'pkg-vulnerabilities');
const body = (entries: string[]) => vulnerabilitiesText(entries, { checksums: false });

describe('readVulnerabilities: the grammar pkg_admin reads', () => {
  it('counts the entries and hashes the text for each #CHECKSUM line it knows', () => {
    const text = vulnerabilitiesText();
    const list = read(text);
    expect(list.entries).toBe(4);
    expect(list.checksums.map((c) => [c.algorithm, c.actual === c.expected])).toEqual([
      ['SHA1', true],
      ['SHA512', true],
    ]);
  });

  it('skips what pkg_admin skips: empty, "Hash:" and "# $NetBSD" lines before #FORMAT, comments after, unknown #CHECKSUM algorithms', () => {
    const text = `Hash: SHA512\n\n${body(['#comment', 'foo<1 bar https://example.org/1 extra'])}#CHECKSUM MD5 0123\n`;
    expect(read(text)).toEqual({
      entries: 1,
      checksums: [{ line: expect.any(Number), algorithm: 'MD5', expected: '0123', actual: null }],
    });
  });

  it.each([
    ['a NUL byte', `${body([])}\0\n`, /holds a NUL byte/],
    ['no line end at the end', body([]).slice(0, -1) + 'x', /the last line has no line end/],
    ['a line starting with "-"', body(['-foo<1 remote https://example.org/1']), /a line starts with "-"/],
    ['text before #FORMAT', `garbage\n${body([])}`, /expected "#FORMAT 1.1.0", found "garbage"/],
    ['a "#" line with words before #FORMAT', `# words\n${body([])}`, /only "#" lines may stand before "#FORMAT"/],
    ['another #FORMAT', body([]).replace('#FORMAT 1.1.0', '#FORMAT 1.0.0'), /expected "#FORMAT 1.1.0"/],
    ['no #FORMAT at all', 'PKGNAME=foo-1.0\n', /expected "#FORMAT 1.1.0", found "PKGNAME=foo-1.0"/],
    ['an empty file', '', /no "#FORMAT 1.1.0" line/],
    ['an entry of two fields', body(['foo<1 remote']), /expected an entry "PATTERN TYPE URL"/],
    ['an entry indented', body([' foo<1 remote https://example.org/1']), /expected an entry "PATTERN TYPE URL"/],
    ['a #CHECKSUM without an algorithm', `${body([])}#CHECKSUM\n`, /expected "#CHECKSUM ALGORITHM HEX"/],
    ['a #CHECKSUM SHA512 without a value', `${body([])}#CHECKSUM SHA512 \n`, /expected "#CHECKSUM SHA512 HEX"/],
  ])('VULNERABILITIES_MALFORMED: %s', async (_what, text, message) => {
    const error = await expectCode(() => read(text), 'VULNERABILITIES_MALFORMED');
    expect(error.message).toMatch(/^pkg-vulnerabilities:\d+: /);
    expect(error.message).toMatch(message);
  });
});

describe('checkVulnerabilities', () => {
  it('VULNERABILITIES_MALFORMED: a #CHECKSUM that does not hold, naming its line and both values', async () => {
    const text = vulnerabilitiesText().replace('sudo<1.9.15p5', 'sudo<1.9.15p6');
    const error = await expectCode(() => checkVulnerabilities(Buffer.from(text), 'list'), 'VULNERABILITIES_MALFORMED');
    const changed = text.slice(0, text.indexOf('#CHECKSUM'));
    expect(error.message).toBe(
      `list:13: #CHECKSUM SHA1 says ${/#CHECKSUM SHA1 (\S+)/.exec(text)![1]}, but the text hashes to ${pkgAdminChecksum(changed, 'sha1')}: pkg_admin would refuse the file`,
    );
  });
});

describe('verifyVulnerabilities and verifyVulnerabilitiesFile', () => {
  let site: VulnSite;
  beforeAll(async () => {
    site = await VulnSite.create();
  });
  afterAll(() => site.cleanup());

  const options = async () => ({ graph: await site.world.graph(site.master), now: VERIFY_AT, policy: DEFAULT_POLICY });

  it('verifies a signed list, read plain or gzipped as the mirror serves it', async () => {
    const signed = await site.signDirect(site.text);
    const verified = await verifyVulnerabilities(Buffer.from(signed), 'list.asc', await options());
    expect({ text: verified.text.toString('latin1'), entries: verified.entries, signer: verified.signer }).toEqual({
      text: site.text,
      entries: 4,
      signer: site.vuln.fingerprint,
    });
    const request = {
      file: await site.write('list.asc.gz', gzipSync(signed)),
      sources: { anchors: [site.path('master.asc')], keyring: site.path('keyring.asc'), stateDir: site.path('state') },
      clock: clockAt(VERIFY_AT, null),
      policy: DEFAULT_POLICY,
    };
    expect((await verifyVulnerabilitiesFile(request)).entries).toBe(4);
  });

  it('VULNERABILITIES_MALFORMED: compressed data that does not decompress, a signature without expiry', async () => {
    const request = {
      file: await site.write('broken.gz', gzipSync(await site.signDirect(site.text)).subarray(0, 64)),
      sources: { anchors: [site.path('master.asc')], keyring: site.path('keyring.asc'), stateDir: site.path('state') },
      clock: clockAt(VERIFY_AT, null),
      policy: DEFAULT_POLICY,
    };
    await expectCode(verifyVulnerabilitiesFile(request), 'VULNERABILITIES_MALFORMED');
    await expectCode(
      verifyVulnerabilities(await site.signDirect(site.text, { expires: null }), 'list.asc', await options()),
      'VULNERABILITIES_MALFORMED',
    );
  });

  it('VULNERABILITIES_EXPIRED and CLOCK_BEHIND: outside the signature’s time', async () => {
    const signed = await site.signDirect(site.text);
    await expectCode(
      verifyVulnerabilities(Buffer.from(signed), 'list.asc', { ...(await options()), now: day(7, SIGNED_AT) }),
      'VULNERABILITIES_EXPIRED',
    );
    await expectCode(
      verifyVulnerabilities(Buffer.from(signed), 'list.asc', { ...(await options()), now: day(-1, SIGNED_AT) }),
      'CLOCK_BEHIND',
    );
  });

  it('OUT_OF_SCOPE: signed by a key not certified for pkg-vulnerabilities', async () => {
    await expectCode(
      verifyVulnerabilities(await site.signDirect(site.text, { key: site.host }), 'list.asc', await options()),
      'OUT_OF_SCOPE',
    );
  });
});
