/**
 * A repository as the signed-index tests need it: a master (the anchor), a build host certified for
 * REPO, a pkg_summary with package files, all as real files in a temporary directory, and the CLI run
 * on them with a fixed clock. Keys come from World (fixed dates: certified day 1, valid until day 731).
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { REPOSITORY_NOTATION } from '../../lib/model';
import { type SignatureSpec, hashCanonical, signData, writeCleartext } from '../../lib/pgp';
import { checkRepository } from '../../lib/trust/scope';
import { type CliResult, cleanup, pkgkeys, tempDir } from './cli';
import { type TestKey, World, day } from './world';

export const REPO = checkRepository('NetBSD/x86_64/10.0/All');
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
    ...(content
      ? [`FILE_SIZE=${content.length}`, `FILE_CKSUM=sha256 ${createHash('sha256').update(content).digest('hex')}`]
      : []),
    ...extra,
  ];
  return `${lines.join('\n')}\n\n`;
}

/** The cleartext-signed file writeCleartext makes, as one Buffer (whether it returns one or parts). */
export function clearsign(text: Buffer, hash: 'sha256' | 'sha512', signature: Uint8Array): Buffer {
  return Buffer.concat(([] as Uint8Array[]).concat(writeCleartext(text, hash, signature)));
}

export interface SignOptions {
  summary?: string;
  out?: string;
  at?: Date;
  repository?: string;
  expires?: string;
  /** Sign with this key instead of the host's. */
  key?: TestKey;
  args?: string[];
}

export interface VerifyOptions {
  at?: Date;
  repository?: string;
  /** Default: the repository's state/ directory. */
  stateDir?: string;
  /** Files in place of master.asc (the anchor) and keyring.asc. */
  anchor?: string;
  keyring?: string;
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

  /** Writes `data` as `name` in the repository directory; returns its path. */
  async write(name: string, data: string | Uint8Array): Promise<string> {
    await fs.writeFile(this.path(name), data);
    return this.path(name);
  }

  /**
   * `pkgkeys sign-summary` at SIGNED_AT (or `at`) with the host's key (or `key`), writing `out`. The
   * keyring clients have is keyring.asc as it stands (the publish gate, lib/publish/gates.ts): a key
   * it does not trust signs nothing this way; signIndex makes such signatures.
   */
  async sign(options: SignOptions = {}): Promise<{ result: CliResult; file: string }> {
    const signed = await this.trySign(options);
    if (signed.result.status !== 0)
      throw new Error(`sign-summary failed (${signed.result.status}): ${signed.result.stderr}`);
    return signed;
  }

  /** As `sign`, but a failure is returned, not thrown. */
  async trySign(options: SignOptions = {}): Promise<{ result: CliResult; file: string }> {
    const file = this.path(options.out ?? 'pkg_summary.asc');
    const key = options.key
      ? await this.write(`${options.key.name}-secret.asc`, options.key.secretArmored)
      : this.path('host-secret.asc');
    const result = await pkgkeys([
      'sign-summary',
      '--now',
      iso(options.at ?? SIGNED_AT),
      '--key',
      key,
      '--repository',
      options.repository ?? REPO,
      ...(options.expires ? ['--expires', options.expires] : []),
      ...this.clientKeyringArgs(),
      ...(options.args ?? []),
      '--output',
      file,
      this.path(options.summary ?? 'pkg_summary'),
    ]);
    return { result, file };
  }

  /**
   * A signed index made with signData directly, for signatures the CLI would never make (no expiry,
   * no or several repository notations, ...). Defaults are what sign-summary makes: a SHA-256 text
   * signature by the host at SIGNED_AT, expiring 7 days later, naming REPO.
   */
  signIndex(
    text: string | Buffer,
    spec: Partial<Omit<SignatureSpec, 'kind'>> & { key?: TestKey } = {},
  ): Promise<Buffer> {
    return signIndexWith(spec.key ?? this.host, text, spec);
  }

  /** The keyring clients have, for the publish gate of sign-summary and publish: keyring.asc, judged from master.asc. */
  clientKeyringArgs(): string[] {
    return ['--client-keyring', this.path('keyring.asc'), '--anchor', this.path('master.asc')];
  }

  /** The options every verification passes: anchor, keyring, repository, state directory, clock. */
  trustArgs(options: VerifyOptions = {}): string[] {
    return [
      '--now',
      iso(options.at ?? VERIFY_AT),
      '--anchor',
      options.anchor ?? this.path('master.asc'),
      '--keyring',
      options.keyring ?? this.path('keyring.asc'),
      '--repository',
      options.repository ?? REPO,
      '--state-dir',
      options.stateDir ?? this.path('state'),
    ];
  }

  /** `pkgkeys verify-summary` of `file`; the verified text is on stdout. */
  verify(file: string, options: VerifyOptions & { args?: string[] } = {}): Promise<CliResult> {
    return pkgkeys(['verify-summary', ...this.trustArgs(options), ...(options.args ?? []), file]);
  }

  /** `pkgkeys verify-packages` of `file` against All/. */
  verifyPackages(
    file: string,
    pkgnames: string[] = [],
    options: VerifyOptions & { args?: string[] } = {},
  ): Promise<CliResult> {
    return pkgkeys([
      'verify-packages',
      ...this.trustArgs(options),
      ...(options.args ?? []),
      file,
      this.path('All'),
      ...pkgnames,
    ]);
  }

  cleanup(): Promise<void> {
    return cleanup(this.dir);
  }
}

/** A Repo with `packages` published and signed, for a whole test file: made before its tests, removed after. */
export function withSignedRepo(packages: PackageSpec[]): { repo: Repo; index: string } {
  const fixture = {} as { repo: Repo; index: string };
  beforeAll(async () => {
    fixture.repo = await Repo.create();
    await fixture.repo.publish(packages);
    fixture.index = (await fixture.repo.sign()).file;
  });
  afterAll(() => fixture.repo?.cleanup());
  return fixture;
}

/**
 * A signed index by `key`, made with signData: by default what sign-summary makes (a SHA-256 text
 * signature at SIGNED_AT, expiring 7 days later, naming REPO); `notations` name another identifier.
 */
export async function signIndexWith(
  key: TestKey,
  text: string | Buffer,
  spec: Partial<Omit<SignatureSpec, 'kind'>> = {},
): Promise<Buffer> {
  const created = spec.created ?? SIGNED_AT;
  const full: SignatureSpec = {
    kind: 'text',
    hash: spec.hash ?? 'sha256',
    created,
    expires: spec.expires === undefined ? day(7, created) : spec.expires,
    notations: spec.notations ?? [{ name: REPOSITORY_NOTATION, value: REPO }],
  };
  const body = Buffer.from(text);
  return clearsign(body, full.hash, await signData(key.secret.signer(), full, (hash) => hashCanonical(body, hash)));
}

/** The code a failed CLI run printed: `pkgkeys: CODE: message`. */
export function codeOf(result: CliResult): string | null {
  return /^pkgkeys: ([A-Z_]+):/m.exec(result.stderr)?.[1] ?? null;
}

/** Asserts a refusal: the status, the code, and that nothing of the index reached stdout. */
export function expectRefusal(result: CliResult, code: string, status = 1): void {
  try {
    expect({ status: result.status, code: codeOf(result), stdout: result.stdout }).toEqual({
      status,
      code,
      stdout: '',
    });
  } catch (error) {
    (error as Error).message += `\n\nstandard error: ${result.stderr}`;
    throw error;
  }
}

/** Asserts success, showing what was printed on standard error if it was not. */
export function expectVerified(result: CliResult): void {
  expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 0, stderr: '' });
}

/** What verify-packages printed for each failed package (`PKGNAME: CODE: reason` lines on stdout). */
export function failedPackages(result: CliResult): Record<string, string> {
  const failed: Record<string, string> = {};
  for (const m of result.stdout.matchAll(/^(.+?): ([A-Z_]+): /gm)) failed[m[1]!] = m[2]!;
  return failed;
}

const HASHES = {
  sha1: { id: 2, header: 'SHA1' },
  ripemd160: { id: 3, header: 'RIPEMD160' },
  sha256: { id: 8, header: 'SHA256' },
  sha512: { id: 10, header: 'SHA512' },
} as const;

/** A raw signature subpacket (RFC 9580 §5.2.3.7): length, type with the critical bit, body. */
export function subpacket(type: number, body: Uint8Array, critical = false): Buffer {
  if (body.length + 1 >= 192) throw new Error('long subpackets are not needed here');
  return Buffer.concat([Buffer.from([body.length + 1, (critical ? 0x80 : 0) | type]), body]);
}

/** A human-readable notation subpacket (RFC 9580 §5.2.3.24), critical or not. */
export function notationSubpacket(name: string, value: string, critical = false): Buffer {
  const [n, v] = [Buffer.from(name), Buffer.from(value)];
  const lengths = Buffer.alloc(4);
  lengths.writeUInt16BE(n.length, 0);
  lengths.writeUInt16BE(v.length, 2);
  return subpacket(20, Buffer.concat([Buffer.from([0x80, 0, 0, 0]), lengths, n, v]), critical);
}

/**
 * A signed index whose v4 text signature (RFC 9580 §5.2.3, §5.2.4) is written here byte by byte, for
 * what signData refuses to make: SHA-1, RIPEMD-160, extra hashed subpackets. `subpackets` follow creation time,
 * Issuer Key ID, expiry and Issuer Fingerprint. The key must be Ed25519 (EdDSA signs the digest itself,
 * whatever the hash); the Hash header names the hash used.
 */
export function forgeIndex(
  key: TestKey,
  text: string | Buffer,
  spec: { hash: keyof typeof HASHES; created?: Date; expires?: Date | null; subpackets?: Buffer[] },
): Buffer {
  const signer = key.secret.signer();
  if (signer.algorithm !== 22) throw new Error('forgeIndex signs with Ed25519 keys only');
  const created = spec.created ?? SIGNED_AT;
  const expires = spec.expires === undefined ? day(7, created) : spec.expires;
  const uint32 = (n: number) => Buffer.from([n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff]);
  const hashed = Buffer.concat([
    subpacket(2, uint32(Math.floor(created.getTime() / 1000))),
    subpacket(16, Buffer.from(signer.keyID, 'hex')),
    ...(expires ? [subpacket(3, uint32(Math.round((expires.getTime() - created.getTime()) / 1000)))] : []),
    subpacket(33, Buffer.concat([Buffer.from([4]), Buffer.from(signer.fingerprint, 'hex')])),
    ...(spec.subpackets ?? [notationSubpacket(REPOSITORY_NOTATION, REPO)]),
  ]);
  const hashedPart = Buffer.concat([
    Buffer.from([4, 0x01, signer.algorithm, HASHES[spec.hash].id, hashed.length >> 8, hashed.length & 0xff]),
    hashed,
  ]);
  const body = Buffer.from(text);
  const hash = createHash(spec.hash);
  hashCanonical(body, hash);
  hash.update(hashedPart);
  hash.update(Buffer.concat([Buffer.from([4, 0xff]), uint32(hashedPart.length)]));
  const digest = hash.digest();
  const sigBody = Buffer.concat([
    hashedPart,
    Buffer.from([0, 0]),
    digest.subarray(0, 2),
    signer.sign(digest, 'sha512'),
  ]);
  if (sigBody.length >= 256) throw new Error('signature packet too long for a one-byte length');
  const packet = Buffer.concat([Buffer.from([0x88, sigBody.length]), sigBody]);
  return Buffer.from(
    clearsign(body, 'sha256', packet)
      .toString('latin1')
      .replace('Hash: SHA256\n', `Hash: ${HASHES[spec.hash].header}\n`),
    'latin1',
  );
}
