/**
 * pkg-vulnerabilities for tests: a master, an RSA key certified only for `pkg-vulnerabilities`, an
 * RSA build host certified only for packages (NetBSD/**), a list in pkgsrc's format with #CHECKSUM
 * lines computed here independently of lib/ (as pkg_install's verify_hash does), and
 * `pkgkeys sign-vulnerabilities` / `verify-vulnerabilities` run on them with a fixed clock.
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { REPOSITORY_NOTATION } from '../../lib/model';
import type { SignatureSpec } from '../../lib/pgp';
import { type CliResult, pkgkeys, tempDir } from './cli';
import { iso, signIndexWith } from './repo';
import { TestSite } from './site';
import { type TestKey, day } from './world';

export const SIGNED_AT = day(100);
export const VERIFY_AT = new Date(SIGNED_AT.getTime() + 3600_000);
export const IDENTIFIER = 'pkg-vulnerabilities';
/** What a pkg-vulnerabilities signature names (`pkgsrc-repository@pkgsrc.org`). */
export const vulnerabilitiesNotation = [{ name: REPOSITORY_NOTATION, value: IDENTIFIER }];

/** pkg_install's verify_hash: every line but empty, `Hash:`, `# $NetBSD` and `#CHECKSUM` lines, with its "\n". */
export function pkgAdminChecksum(text: string, hash: 'sha1' | 'sha512'): string {
  const kept = text
    .split(/(?<=\n)/)
    .filter((l) => !(l === '\n' || l.startsWith('Hash:') || l.startsWith('# $NetBSD') || l.startsWith('#CHECKSUM')));
  return createHash(hash).update(kept.join(''), 'latin1').digest('hex');
}

export const ENTRIES = [
  'cabextract<1.1\tremote-code-execution\thttps://www.example.org/advisories/cabextract-1',
  'openssl<3.0.13\tdenial-of-service\thttps://nvd.nist.gov/vuln/detail/CVE-2023-6237',
  '{php80,php81}-[0-9]*\teol\thttps://www.php.net/supported-versions.php',
  'sudo<1.9.15p5\tprivilege-escalation\thttps://www.sudo.ws/security/advisories/',
];

/** A pkg-vulnerabilities text as pkgsrc publishes it, with SHA1 and SHA512 #CHECKSUM lines that hold. */
export function vulnerabilitiesText(entries: string[] = ENTRIES, options: { checksums?: boolean } = {}): string {
  const body = [
    '# $NetBSD: pkg-vulnerabilities,v 1.9999 2026/04/10 00:00:00 pkgsrc-security Exp $',
    '#',
    '#FORMAT 1.1.0',
    '#',
    '# Please read "Handling packages with security problems" in the pkgsrc',
    '# guide before editing this file.',
    '#',
    '#\tpackage\t\ttype of exploit\t\tURL',
    ...entries,
    '',
  ].join('\n');
  if (options.checksums === false) return body;
  return `${body}#CHECKSUM SHA1 ${pkgAdminChecksum(body, 'sha1')}\n#CHECKSUM SHA512 ${pkgAdminChecksum(body, 'sha512')}\n`;
}

export interface SignOptions {
  at?: Date;
  key?: TestKey;
  input?: string;
  out?: string;
  args?: string[];
}

export class VulnSite extends TestSite {
  master!: TestKey;
  /** RSA-3072, certified by the master for pkg-vulnerabilities only. */
  vuln!: TestKey;
  /** RSA-3072, certified by the master for NetBSD/** (packages and indexes) only. */
  host!: TestKey;
  /** The list as the input file holds it. */
  text = vulnerabilitiesText();
  /** verify() calls so far, each with a state directory of its own by default. */
  private runs = 0;

  static async create(): Promise<VulnSite> {
    const site = new VulnSite(await tempDir('pkgkeys-vuln-'));
    site.master = await site.world.key('master');
    site.vuln = await site.world.key('vuln', { type: 'rsa3072' });
    site.host = await site.world.key('host', { type: 'rsa3072' });
    await site.world.certify(site.master, site.vuln, { scopes: [IDENTIFIER] });
    await site.world.certify(site.master, site.host, { scopes: ['NetBSD/**'] });
    await fs.writeFile(site.path('master.asc'), site.master.public);
    await site.writeSecret(site.vuln);
    await site.writeSecret(site.host);
    await site.writeKeyring();
    await fs.writeFile(site.path('pkg-vulnerabilities'), site.text);
    return site;
  }

  /** `pkgkeys sign-vulnerabilities` at SIGNED_AT (or `at`) with the vuln key (or `key`), into `out`. */
  async trySign(options: SignOptions = {}): Promise<{ result: CliResult; file: string }> {
    const file = this.path(options.out ?? 'pkg-vulnerabilities.asc');
    const key = this.path(`${(options.key ?? this.vuln).name}-secret.asc`);
    const result = await pkgkeys([
      'sign-vulnerabilities',
      '--now',
      iso(options.at ?? SIGNED_AT),
      '--key',
      key,
      ...(options.args ?? []),
      '--output',
      file,
      options.input ?? this.path('pkg-vulnerabilities'),
    ]);
    return { result, file };
  }

  async sign(options: SignOptions = {}): Promise<string> {
    const { result, file } = await this.trySign(options);
    if (result.status !== 0) throw new Error(`sign-vulnerabilities failed (${result.status}): ${result.stderr}`);
    return file;
  }

  /**
   * A signed list made with signData directly, for signatures the CLI would not make (another
   * identifier, no expiry, another key type). Defaults are what sign-vulnerabilities makes.
   */
  signDirect(text: string, spec: Partial<Omit<SignatureSpec, 'kind'>> & { key?: TestKey } = {}): Promise<Buffer> {
    return signIndexWith(spec.key ?? this.vuln, Buffer.from(text, 'latin1'), {
      ...spec,
      hash: spec.hash ?? 'sha512',
      notations: spec.notations ?? vulnerabilitiesNotation,
    });
  }

  /**
   * `pkgkeys verify-vulnerabilities` of `file` against the anchor and keyring.asc, at VERIFY_AT (or `at`),
   * with a state directory of its own unless `stateDir` names one (what it proves raises the floor there).
   */
  verify(file: string, options: { at?: Date; args?: string[]; stateDir?: string } = {}): Promise<CliResult> {
    return pkgkeys([
      'verify-vulnerabilities',
      '--now',
      iso(options.at ?? VERIFY_AT),
      '--anchor',
      this.path('master.asc'),
      '--keyring',
      this.path('keyring.asc'),
      '--state-dir',
      options.stateDir ?? this.path(`state-${++this.runs}`),
      ...(options.args ?? []),
      file,
    ]);
  }
}
