/**
 * pkg_install's pkg_add, as far as signatures go: a model, since pkg_install is not installed here. It
 * encodes what its sources do (DESIGN.md §4, issue 15), with real peers for the parts that are plain
 * OpenPGP (gpg reads the keyring and the signature's packets, gpgv checks the signature) and bsdtar
 * for the archives (pkg_install reads them with libarchive too):
 *
 * - A signed package (a BSD ar archive) is verified whatever VERIFIED_INSTALLATION says: add/perform.c
 *   calls pkg_verify_signature unconditionally. gpg_verify (lib/gpgsig.c) exits the program, status 1,
 *   when the keyring cannot be read (GPG_KEYRING_VERIFY, or ~/.gnupg/pubring.gpg when it is unset), when
 *   it holds no key at all, or any primary key netpgpverify cannot read (only v4 RSA and DSA, each with a
 *   User ID: one Ed25519 primary key makes the whole file unreadable), and when the signer's key ID, from
 *   the Issuer subpacket in the hashed area, is not in it ("Signature key id ... not found").
 * - Then the signature over +PKG_HASH, the block hashes (the last block is `size % block size` bytes,
 *   lib/pkg_signature.c), and the pkgname against +CONTENTS.
 * - An unsigned package is judged by VERIFIED_INSTALLATION (add/perform.c check_signature): never (the
 *   default) installs it, always refuses it, trusted and interactive ask (here: nobody answers yes).
 *
 * Installing is the part sysinst's bootstrap needs: the payload under ${root}${@cwd}, the metadata in
 * ${root}/var/db/pkg/PKGNAME, and +INSTALL run with PKG_PREFIX as pkg_add runs it (POST-INSTALL after
 * the files are in place). Paths from pkg_install.conf are the machine's: ${root} is prefixed, as in a
 * chroot.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { AR_MAGIC } from '../../lib/pkgsrc/ar';
import { tempDir } from './cli';
import { GpgHome, colonRecords } from './gpg';

export interface PkgAddResult {
  status: number;
  stdout: string;
  stderr: string;
}

interface Run {
  status: number;
  stdout: string;
  stderr: string;
}

function run(file: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(file, args, { ...options, encoding: 'utf8', maxBuffer: 64 << 20 }, (error, stdout, stderr) => {
      resolve({ status: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
    });
  });
}

class Exit extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export class PkgInstall {
  /**
   * A machine: `root` its file system (etc/pkg_install.conf is read from it), `home` the $HOME pkg_add
   * runs with, `env` what +INSTALL scripts get besides PKG_PREFIX (PKGKEYS_ROOT, for one).
   */
  constructor(
    readonly root: string,
    readonly home: string,
    readonly env: Record<string, string> = {},
  ) {}

  /** pkg_install.conf, VAR=value lines; a missing file is an empty one. */
  async conf(): Promise<Record<string, string>> {
    const text = await fs.readFile(path.join(this.root, 'etc/pkg_install.conf'), 'utf8').catch(() => '');
    return Object.fromEntries(
      text
        .split('\n')
        .map((l) => /^([A-Z_]+)=(.*)$/.exec(l.trim()))
        .filter((m) => m !== null)
        .map((m) => [m[1]!, m[2]!]),
    );
  }

  /** `pkg_add FILE`: its exit status and what it printed. */
  async add(file: string): Promise<PkgAddResult> {
    const work = await tempDir('pkgkeys-pkg_add-');
    const out: string[] = [];
    try {
      const conf = await this.conf();
      let inner = file;
      if ((await fs.readFile(file)).subarray(0, AR_MAGIC.length).equals(AR_MAGIC)) {
        inner = await this.verifySigned(file, conf, work);
      } else {
        this.checkUnsigned(file, conf.VERIFIED_INSTALLATION ?? 'never');
      }
      out.push(...(await this.install(inner, work)));
      return { status: 0, stdout: out.join(''), stderr: '' };
    } catch (error) {
      if (!(error instanceof Exit)) throw error;
      return { status: error.status, stdout: out.join(''), stderr: `pkg_add: ${error.message}\n` };
    } finally {
      await fs.rm(work, { recursive: true, force: true });
    }
  }

  /** pkg_verify_signature and gpg_verify; returns the inner package. */
  private async verifySigned(file: string, conf: Record<string, string>, work: string): Promise<string> {
    const members = path.join(work, 'ar');
    await fs.mkdir(members);
    const listed = await run('bsdtar', ['-xf', file, '-C', members]);
    if (listed.status !== 0) throw new Exit(1, `${file}: cannot read the archive: ${listed.stderr.trim()}`);
    const names = await fs.readdir(members);
    const innerName = names.find((n) => !n.startsWith('+'));
    if (!names.includes('+PKG_HASH') || !names.includes('+PKG_GPG_SIGNATURE') || !innerName)
      throw new Exit(1, `${file}: not a signed package`);

    const keyringPath = conf.GPG_KEYRING_VERIFY
      ? path.join(this.root, conf.GPG_KEYRING_VERIFY)
      : path.join(this.home, '.gnupg/pubring.gpg');
    const keyring = await fs.readFile(keyringPath).catch(() => null);
    const gpg = await GpgHome.create('pkgkeys-netpgp-');
    try {
      const keys = keyring && keyring.length > 0 ? await readableKeyIDs(gpg, keyringPath) : null;
      if (keys === null) throw new Exit(1, `cannot read keyring ${conf.GPG_KEYRING_VERIFY ?? '~/.gnupg/pubring.gpg'}`);
      const signature = path.join(members, '+PKG_GPG_SIGNATURE');
      const issuer = await hashedIssuer(gpg, signature);
      if (!issuer || !keys.has(issuer)) throw new Exit(1, `Signature key id ${issuer ?? '(none)'} not found`);
      const checked = await run(
        'gpgv',
        ['--keyring', path.resolve(keyringPath), signature, path.join(members, '+PKG_HASH')],
        { env: { PATH: process.env.PATH, HOME: gpg.dir, LC_ALL: 'C' } },
      );
      if (checked.status !== 0) throw new Exit(1, `Bad signature on ${file}`);
    } finally {
      await gpg.close();
    }

    const inner = path.join(members, innerName);
    const hash = await fs.readFile(path.join(members, '+PKG_HASH'), 'utf8');
    const m =
      /^pkgsrc signature\n\nversion: 1\npkgname: (\S+)\nalgorithm: SHA512\nblock size: (\d+)\nfile size: (\d+)\n\n([0-9a-f\n]*)end pkgsrc signature\n$/.exec(
        hash,
      );
    if (!m) throw new Exit(1, `${file}: invalid +PKG_HASH`);
    const [blockSize, size] = [Number(m[2]), Number(m[3])];
    const data = await fs.readFile(inner);
    if (data.length !== size) throw new Exit(1, `${file}: size mismatch`);
    const expected = m[4]!.split('\n').filter((l) => l !== '');
    expected.forEach((line, i) => {
      // lib/pkg_signature.c verify_signature_read_cb: the last block is `size % block size` bytes.
      const length = i === expected.length - 1 ? size % blockSize : blockSize;
      const got = createHash('sha512')
        .update(data.subarray(i * blockSize, i * blockSize + length))
        .digest('hex');
      if (got !== line) throw new Exit(1, `Invalid signature of block ${i}`);
    });
    const contents = (await run('bsdtar', ['-xOf', inner, '+CONTENTS'])).stdout;
    if (!contents.split('\n').includes(`@name ${m[1]}`))
      throw new Exit(1, `${file}: pkgname of +PKG_HASH does not match +CONTENTS`);
    return inner;
  }

  /** check_signature for a package without one. */
  private checkUnsigned(file: string, mode: string): void {
    switch (mode.toLowerCase()) {
      case 'never':
        return;
      case 'always':
        throw new Exit(1, `${path.basename(file)}: No valid signature found, rejected`);
      case 'trusted':
      case 'interactive':
        throw new Exit(
          1,
          `No valid signature found for ${path.basename(file)}; not installed (no answer to "proceed [y/n]?")`,
        );
      default:
        throw new Exit(1, 'Unknown value of configuration variable VERIFIED_INSTALLATION');
    }
  }

  /** Extracts the package and runs its +INSTALL; returns what the script printed. */
  private async install(file: string, work: string): Promise<string[]> {
    const meta = path.join(work, 'meta');
    await fs.mkdir(meta);
    if ((await run('bsdtar', ['-xf', file, '-C', meta])).status !== 0) throw new Exit(1, `${file}: cannot extract`);
    const contents = await fs.readFile(path.join(meta, '+CONTENTS'), 'utf8');
    const pkgname = /^@name (\S+)$/m.exec(contents)![1]!;
    const prefix = path.join(this.root, /^@cwd (\S+)$/m.exec(contents)![1]!);
    const printed: string[] = [];
    const script = async (stage: string) => {
      if (!(await fs.stat(path.join(meta, '+INSTALL')).catch(() => null))) return;
      const result = await run('sh', ['./+INSTALL', pkgname, stage], {
        cwd: meta,
        env: { PATH: process.env.PATH, PKG_PREFIX: prefix, ...this.env },
      });
      printed.push(result.stdout + result.stderr);
      if (result.status !== 0) throw new Exit(1, 'install script returned error status');
    };
    await script('PRE-INSTALL');
    for (const line of contents.split('\n')) {
      if (line === '' || line.startsWith('@') || line.startsWith('+')) continue;
      await fs.mkdir(path.dirname(path.join(prefix, line)), { recursive: true });
      await fs.copyFile(path.join(meta, line), path.join(prefix, line));
      await fs.chmod(path.join(prefix, line), (await fs.stat(path.join(meta, line))).mode & 0o777);
    }
    await script('POST-INSTALL');
    const db = path.join(this.root, 'var/db/pkg', pkgname);
    await fs.mkdir(db, { recursive: true });
    for (const name of (await fs.readdir(meta)).filter((n) => n.startsWith('+')))
      await fs.copyFile(path.join(meta, name), path.join(db, name));
    return printed;
  }

  /** The packages installed, by name (pkg_info's list). */
  async installed(): Promise<string[]> {
    return (await fs.readdir(path.join(this.root, 'var/db/pkg')).catch(() => [] as string[])).sort();
  }
}

/**
 * The key IDs (primary and subkeys) of a keyring netpgpverify can read, or null when it cannot: any
 * primary key that is not RSA (1) or DSA (17), or one without a User ID.
 */
async function readableKeyIDs(gpg: GpgHome, keyring: string): Promise<Set<string> | null> {
  const shown = await gpg.gpg(['--with-colons', '--show-keys', keyring], { allowFailure: true });
  if (shown.status !== 0) return null;
  const ids = new Set<string>();
  let uids = 1;
  for (const r of colonRecords(shown.stdout.toString('utf8'))) {
    if (r[0] === 'pub') {
      if (uids === 0 || !['1', '17'].includes(r[3]!)) return null;
      uids = 0;
      ids.add(r[4]!.toUpperCase());
    } else if (r[0] === 'sub') ids.add(r[4]!.toUpperCase());
    else if (r[0] === 'uid') uids++;
  }
  return ids.size > 0 && uids > 0 ? ids : null;
}

/** The Issuer key ID subpacket (16) in the signature's hashed area, as netpgpverify finds the signer. */
async function hashedIssuer(gpg: GpgHome, signature: string): Promise<string | null> {
  const listed = await gpg.gpg(['--list-packets', signature], { allowFailure: true });
  return (
    /^\s*hashed subpkt 16 len 8 \(issuer key ID ([0-9A-F]{16})\)/m.exec(listed.stdout.toString('utf8'))?.[1] ?? null
  );
}
