/**
 * Signed binary packages for tests: a master, an RSA build host certified for NetBSD/**, real
 * packages made by lib/pkgsrc/package.ts, and `pkgkeys sign-package` / `verify-package` run on them
 * with a fixed clock, all as files in a temporary directory.
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { writeAtomicWith } from '../../lib/fsutil';
import { type SignatureSpec, armor, signData } from '../../lib/pgp';
import { type PackageSpec, buildPackage } from '../../lib/pkgsrc/package';
import {
  BLOCK_SIZE,
  blockHashes,
  formatHashFile,
  readPkgname,
  signedPackageWriter,
} from '../../lib/pkgsrc/signed-package';
import { type CliResult, pkgkeys, tempDir } from './cli';
import { iso } from './repo';
import { TestSite } from './site';
import { type TestKey, day } from './world';

export const SIGNED_AT = day(100);
export const CHECKED_AT = new Date(SIGNED_AT.getTime() + 3600_000);

/** `length` bytes that do not compress, the same on every run for the same seed. */
export function incompressible(length: number, seed = 'pkgkeys'): Buffer {
  const parts: Buffer[] = [];
  for (let i = 0; parts.length * 64 < length; i++) parts.push(createHash('sha512').update(`${seed}:${i}`).digest());
  return Buffer.concat(parts).subarray(0, length);
}

export function packageSpec(pkgname: string, payload: Buffer): PackageSpec {
  return {
    pkgname,
    comment: `the ${pkgname} package`,
    description: `The ${pkgname} package, for tests.\n`,
    prefix: '/usr/pkg',
    buildInfo: { OPSYS: 'NetBSD', OS_VERSION: '10.0', MACHINE_ARCH: 'x86_64', PKGTOOLS_VERSION: '20240307' },
    files: [{ path: `share/${pkgname}/data`, data: payload }],
    mtime: day(90),
  };
}

/** A package of exactly `size` bytes (for block-boundary cases), found by adjusting its payload. */
export function packageOfSize(pkgname: string, size: number): Buffer {
  for (let seed = 0; seed < 50; seed++) {
    let [low, high] = [0, size];
    while (low <= high) {
      const mid = (low + high) >> 1;
      const built = buildPackage(packageSpec(pkgname, incompressible(mid, String(seed))));
      if (built.length === size) return built;
      if (built.length < size) low = mid + 1;
      else high = mid - 1;
    }
  }
  throw new Error(`no package of exactly ${size} bytes found`);
}

export class PackageSigners extends TestSite {
  master!: TestKey;
  /** RSA-3072, certified for NetBSD/**. */
  host!: TestKey;

  static async create(): Promise<PackageSigners> {
    const s = new PackageSigners(await tempDir('pkgkeys-packages-'));
    s.master = await s.world.key('master');
    s.host = await s.world.key('rsahost', { type: 'rsa3072' });
    await s.world.certify(s.master, s.host, { scopes: ['NetBSD/**'] });
    await fs.writeFile(s.path('master.asc'), s.master.public);
    await s.writeSecret(s.host);
    await s.writeKeyring();
    return s;
  }

  /**
   * `input` signed by the host (or `key`) as sign-package would, but by hand: under `pkgname` (default
   * the one in its +CONTENTS), with blocks of `blockSize`, which sign-package never chooses when
   * pkg_add could not verify the result, made at `created` (default SIGNED_AT) and expiring at
   * `expires` (default never, as sign-package signs), or with the armored `signature` another tool
   * made of +PKG_HASH. Returns the signed package's path.
   */
  async signByHand(
    input: string,
    output: string,
    options: {
      pkgname?: string;
      blockSize?: number;
      key?: TestKey;
      created?: Date;
      expires?: Date;
      signature?: (hash: string) => Promise<string>;
    } = {},
  ): Promise<string> {
    const handle = await fs.open(input, 'r');
    try {
      const { size } = await handle.stat();
      const blockSize = options.blockSize ?? BLOCK_SIZE;
      const name = input.slice(input.lastIndexOf('/') + 1);
      const pkgname = options.pkgname ?? (await readPkgname(input, 0, size, input));
      const hash = formatHashFile({
        pkgname,
        size,
        blockSize,
        blocks: await blockHashes(handle, 0, size, blockSize, input),
      });
      const spec: SignatureSpec = {
        kind: 'binary',
        hash: 'sha512',
        created: options.created ?? SIGNED_AT,
        expires: options.expires ?? null,
        notations: [],
      };
      const signature = options.signature
        ? await options.signature(hash)
        : armor(
            'signature',
            await signData((options.key ?? this.host).secret.signer(), spec, (h) => void h.update(hash)),
          );
      const meta = { mtime: 0, uid: 0, gid: 0, mode: 0o100644 };
      await writeAtomicWith(output, signedPackageWriter({ hash, signature, name, input: handle, size, meta }));
      return output;
    } finally {
      await handle.close();
    }
  }

  /** `pkgkeys sign-package` of `input` into `output`, by the host (or `key`). */
  sign(input: string, output: string, key: TestKey = this.host): Promise<CliResult> {
    return pkgkeys([
      'sign-package',
      '--now',
      iso(SIGNED_AT),
      '--key',
      this.path(`${key.name}-secret.asc`),
      input,
      output,
    ]);
  }

  /** `pkgkeys verify-package` against the anchor and keyring.asc. */
  verify(files: string[], args: string[] = [], at = CHECKED_AT): Promise<CliResult> {
    return pkgkeys([
      'verify-package',
      '--now',
      iso(at),
      '--anchor',
      this.path('master.asc'),
      '--keyring',
      this.path('keyring.asc'),
      ...args,
      ...files,
    ]);
  }
}
