/**
 * A repository as the signed-index tests need it: a master (the anchor), a build host certified for
 * REPO, a pkg_summary with package files, all as real files in a temporary directory, and the CLI run
 * on them with a fixed clock. Keys come from World (fixed dates: certified day 1, valid until day 731).
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { type CliResult, cleanup, pkgkeys, tempDir } from './cli';
import { type TestKey, World, day } from './world';

export const REPO = 'NetBSD/x86_64/10.0/All';
/** When the tests sign: well inside every validity period. */
export const SIGNED_AT = day(100);
/** When the tests verify, unless they say otherwise: an hour after signing. */
export const VERIFY_AT = new Date(SIGNED_AT.getTime() + 3600_000);

export const iso = (d: Date) => d.toISOString();

export interface PackageSpec {
  pkgname: string;
  content: Buffer;
}

/** A pkg_summary entry with the usual variables, a multi-line DESCRIPTION and, for a file, its size and checksum. */
export function entry(pkgname: string, extra: string[] = [], content?: Buffer): string {
  const lines = [
    `PKGNAME=${pkgname}`,
    'DEPENDS=libfoo>=1.0',
    'DEPENDS=libbar-[0-9]*',
    `COMMENT=The ${pkgname} package`,
    'DESCRIPTION=First line of the description.',
    'DESCRIPTION=',
    'DESCRIPTION=-- a line that starts with dashes once the variable name is gone',
    'MACHINE_ARCH=x86_64',
    'OPSYS=NetBSD',
    `PKGPATH=misc/${pkgname.replace(/-[^-]*$/, '')}`,
    ...(content ? [`FILE_SIZE=${content.length}`, `FILE_CKSUM=sha256 ${createHash('sha256').update(content).digest('hex')}`] : []),
    ...extra,
  ];
  return `${lines.join('\n')}\n\n`;
}

export class Repo {
  readonly world = new World();
  master!: TestKey;
  host!: TestKey;
  /** Files: master.asc (anchor), keyring.asc, host-secret.asc, pkg_summary, All/ (packages), state/. */
  private constructor(readonly dir: string) {}

  static async create(options: { hostType?: 'ed25519' | 'rsa3072'; scopes?: string[] } = {}): Promise<Repo> {
    const repo = new Repo(await tempDir('pkgkeys-repo-'));
    repo.master = await repo.world.key('master');
    repo.host = await repo.world.key('host', { type: options.hostType ?? 'ed25519' });
    await repo.world.certify(repo.master, repo.host, { scopes: options.scopes ?? [REPO] });
    await fs.writeFile(repo.path('master.asc'), repo.master.public);
    await fs.writeFile(repo.path('host-secret.asc'), repo.host.secretArmored, { mode: 0o600 });
    await fs.writeFile(repo.path('host-public.asc'), repo.host.public);
    await repo.writeKeyring();
    await fs.mkdir(repo.path('All'));
    return repo;
  }

  path(...parts: string[]): string {
    return path.join(this.dir, ...parts);
  }

  /** Writes the World's material (after new certifications or revocations) as keyring.asc. */
  async writeKeyring(): Promise<void> {
    await fs.writeFile(this.path('keyring.asc'), this.world.material.join('\n'));
  }

  /** Writes package files into All/ and a pkg_summary listing them with sizes and checksums. */
  async publish(packages: PackageSpec[], file = 'pkg_summary'): Promise<string> {
    for (const p of packages) await fs.writeFile(this.path('All', `${p.pkgname}.tgz`), p.content);
    const text = packages.map((p) => entry(p.pkgname, [], p.content)).join('');
    await fs.writeFile(this.path(file), text);
    return text;
  }

  /** `pkgkeys sign-summary` at SIGNED_AT (or `at`), writing `out`. */
  async sign(options: { summary?: string; out?: string; at?: Date; repository?: string; expires?: string; args?: string[] } = {}): Promise<{ result: CliResult; file: string }> {
    const file = this.path(options.out ?? 'pkg_summary.asc');
    const result = await pkgkeys([
      'sign-summary', '--now', iso(options.at ?? SIGNED_AT), '--key', this.path('host-secret.asc'), '--repository', options.repository ?? REPO,
      ...(options.expires ? ['--expires', options.expires] : []), ...(options.args ?? []), '--output', file, this.path(options.summary ?? 'pkg_summary'),
    ]);
    if (result.status !== 0) throw new Error(`sign-summary failed (${result.status}): ${result.stderr}`);
    return { result, file };
  }

  /** The options every verification passes: anchor, keyring, repository, state directory, clock. */
  trustArgs(options: { at?: Date; repository?: string } = {}): string[] {
    return [
      '--now', iso(options.at ?? VERIFY_AT), '--anchor', this.path('master.asc'), '--keyring', this.path('keyring.asc'),
      '--repository', options.repository ?? REPO, '--state-dir', this.path('state'),
    ];
  }

  /** `pkgkeys verify-summary` of `file`; the verified text is on stdout. */
  verify(file: string, options: { at?: Date; repository?: string; args?: string[] } = {}): Promise<CliResult> {
    return pkgkeys(['verify-summary', ...this.trustArgs(options), ...(options.args ?? []), file]);
  }

  /** `pkgkeys verify-packages` of `file` against All/. */
  verifyPackages(file: string, pkgnames: string[] = [], options: { at?: Date; args?: string[] } = {}): Promise<CliResult> {
    return pkgkeys(['verify-packages', ...this.trustArgs(options), ...(options.args ?? []), file, this.path('All'), ...pkgnames]);
  }

  cleanup(): Promise<void> {
    return cleanup(this.dir);
  }
}

/** The code a failed CLI run printed: `pkgkeys: CODE: message`. */
export function codeOf(result: CliResult): string | null {
  return /^pkgkeys: ([A-Z_]+):/m.exec(result.stderr)?.[1] ?? null;
}

/** Asserts a refusal: the status, the code, and that nothing of the index reached stdout. */
export function expectRefusal(result: CliResult, code: string, status = 1): void {
  expect({ status: result.status, code: codeOf(result), stdout: result.stdout }).toEqual({ status, code, stdout: '' });
}
