/**
 * pkgin as it is, unpatched (DESIGN.md §4): its repositories.conf, from which `pkgkeys setup` takes
 * the repositories to verify, pkgin run with PKG_REPOS pointing at the verifying proxy, and pkgin's
 * own cache made to hold nothing but what the verified index describes.
 */
import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import { PkgkeysError, ioError } from '../errors';
import type { RepositoryId } from '../model';
import { type Expected } from '../packages/files';
import { defaultJobs, hashFiles } from '../packages/hash';
import { checkRepositoryURL } from '../settings';
import { checkRepository } from '../trust/scope';
import type { Upstream } from './config';

export interface Macros {
  /** pkgin's `$arch`: the MACHINE_ARCH packages are built for (x86_64, aarch64, ...). */
  arch: string;
  /** pkgin's `$osrelease`: the OS release, as `uname -r` prints it. */
  osrelease: string;
}

/** pkgin's `$arch` from Node's name for the CPU, where the two differ (pkgsrc's MACHINE_ARCH). */
const MACHINE_ARCH: Record<string, string> = {
  x64: 'x86_64',
  arm64: 'aarch64',
  ia32: 'i386',
  ppc64: 'powerpc64',
  riscv64: 'riscv64',
};

/** pkgin's own values: `$osrelease` is `uname -r` up to its first character that is neither a digit nor a dot (10.1_STABLE is 10.1). */
export const hostMacros = (): Macros => ({
  arch: MACHINE_ARCH[process.arch] ?? os.machine(),
  osrelease: /^[0-9.]*/.exec(os.release())![0] || os.release(),
});

/** The repository URLs of a repositories.conf: one per line, `#` comments, `$arch` and `$osrelease` expanded. */
export function parseRepositoriesConf(text: string, macros: Macros): string[] {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => line.replace(/\$arch\b/g, macros.arch).replace(/\$osrelease\b/g, macros.osrelease));
}

/**
 * The repository identifier of a URL (DESIGN.md §5): its path below `packages/`, so
 * https://cdn.NetBSD.org/pub/pkgsrc/packages/NetBSD/x86_64/10.0/All is NetBSD/x86_64/10.0/All.
 * Null when the path has no `packages` directory.
 */
export function repositoryOfURL(url: string): RepositoryId | null {
  const segments = new URL(checkRepositoryURL(url)).pathname.split('/').filter((s) => s !== '');
  const at = segments.lastIndexOf('packages');
  if (at < 0 || at === segments.length - 1) return null;
  const below = segments
    .slice(at + 1)
    .map((s) => decodeURIComponent(s))
    .join('/');
  try {
    return checkRepository(below);
  } catch (error) {
    throw new PkgkeysError(
      'BAD_CONFIG',
      `${url}: the path below packages/ is not a repository identifier: ${(error as Error).message}`,
    );
  }
}

/**
 * The upstreams of pkgin's URLs, each with its repository identifier: derived, or given in `named`
 * (URL → identifier, as `--identifier` gives it: checked here, where it enters).
 */
export function upstreamsOf(urls: readonly string[], named: ReadonlyMap<string, string>): Upstream[] {
  const upstreams: Upstream[] = [];
  for (const raw of urls) {
    const url = checkRepositoryURL(raw);
    const given = named.get(url);
    const repository = given === undefined ? repositoryOfURL(url) : checkRepository(given);
    if (repository === null)
      throw new PkgkeysError(
        'BAD_CONFIG',
        `${url}: cannot derive a repository identifier (no packages/ directory in the path); give one with --identifier ${url}=IDENTIFIER`,
      );
    if (upstreams.some((u) => u.repository === repository))
      throw new PkgkeysError(
        'BAD_CONFIG',
        `two repositories have the identifier ${repository}; give them apart with --identifier URL=IDENTIFIER`,
      );
    upstreams.push({ repository, url });
  }
  return upstreams;
}

/** Variables through which pkgin (libfetch) would send its requests elsewhere than to the proxy. */
const PROXY_VARIABLES = [
  'HTTP_PROXY',
  'http_proxy',
  'HTTPS_PROXY',
  'https_proxy',
  'FTP_PROXY',
  'ftp_proxy',
  'ALL_PROXY',
  'all_proxy',
];

/**
 * Runs pkgin with PKG_REPOS set to `repos`, on the caller's terminal, and returns its exit status (a
 * signal's death as 128 + the signal's number, as shells report it). While it runs, the terminal's
 * interrupt goes to pkgin, which decides; a termination asked of pkgkeys is passed on to it.
 */
export function runPkgin(
  pkgin: string,
  args: readonly string[],
  repos: readonly string[],
  env: Record<string, string | undefined>,
): Promise<number> {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env, PKG_REPOS: repos.join(' ') };
  for (const name of PROXY_VARIABLES) delete childEnv[name];
  return new Promise((resolve, reject) => {
    const child = spawn(pkgin, [...args], { stdio: 'inherit', env: childEnv });
    const ignore = () => undefined;
    const forward = (signal: NodeJS.Signals) => child.kill(signal);
    const handlers: Array<[NodeJS.Signals, (signal: NodeJS.Signals) => void]> = [
      ['SIGINT', ignore],
      ['SIGQUIT', ignore],
      ['SIGTERM', forward],
      ['SIGHUP', forward],
    ];
    for (const [signal, handler] of handlers) process.on(signal, handler);
    const done = () => {
      for (const [signal, handler] of handlers) process.off(signal, handler);
    };
    child.on('error', (cause: NodeJS.ErrnoException) => {
      done();
      reject(
        new PkgkeysError(
          cause.code === 'ENOENT' ? 'BAD_CONFIG' : 'IO_ERROR',
          `cannot run ${pkgin}: ${cause.message}${cause.code === 'ENOENT' ? ' (set its path with the pkgin keyword in pkgkeys.conf)' : ''}`,
          { cause },
        ),
      );
    });
    child.on('exit', (code, signal) => {
      done();
      resolve(code ?? 128 + (signal ? (os.constants.signals[signal] ?? 0) : 0));
    });
  });
}

/** pkgin's database directory, found as pkgin finds it: PKGIN_DBDIR, else the one it was built with (`pkgin-dbdir`). */
export const pkginDbDir = (env: Record<string, string | undefined>, builtWith: string): string =>
  env.PKGIN_DBDIR ?? builtWith;

/** pkgin's cache of packages in a database directory (pkgindb.c: "%s/cache"). */
export const pkginCacheDir = (dbDir: string): string => `${dbDir}/cache`;

/** Each PKGNAME of an index, with what its file must be or why it has nothing usable: a Map, or read as it goes. */
export type Packages =
  Iterable<readonly [string, Expected | PkgkeysError]> | AsyncIterable<readonly [string, Expected | PkgkeysError]>;

export interface Removed {
  file: string;
  reason: string;
}

/**
 * pkgin installs `<cache>/<PKGNAME>.tgz` without asking anyone when its size is the index's FILE_SIZE
 * and pkg_info finds no other BUILD_DATE in it (pkgin's actions.c), so such a file never reaches the
 * proxy. Before pkgin gets an index, every file it could take that way is hashed, and removed unless it
 * is the package the index describes: one of the right size with another SHA-256, or any file of a
 * package the index gives no checksum for. A file of another size is left: pkgin replaces it through
 * the proxy. `packages` gives each PKGNAME of the verified index with what its file must be, or with
 * why it has nothing usable (lib/client/verified-index.ts reads them from the index as it goes).
 */
export async function cleanPkginCache(cache: string, packages: Packages): Promise<Removed[]> {
  let names: Set<string>;
  try {
    names = new Set(await fs.readdir(cache));
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw ioError("cannot read pkgin's cache", cache, cause);
  }
  const suspects: Removed[] = [];
  const toHash: Array<{ file: string; expected: Expected }> = [];
  for await (const [pkgname, expected] of packages) {
    // pkgin would look for it outside its cache, where nothing can be checked.
    if (/[/\0]/.test(pkgname))
      throw new PkgkeysError(
        'UNSAFE_PATH',
        `PKGNAME "${pkgname.slice(0, 80)}" is not a plain file name: pkgin would look for its package elsewhere than in ${cache}`,
      );
    const file = `${cache}/${pkgname}.tgz`;
    if (!names.has(`${pkgname}.tgz`)) continue;
    if (expected instanceof PkgkeysError) {
      suspects.push({ file, reason: `the index gives nothing to check it against (${expected.code})` });
      continue;
    }
    // stat, as pkgin does: through a symbolic link (a file:// repository's).
    const stat = await fs.stat(file).catch(() => null);
    if (stat?.size !== expected.size) continue;
    if (stat.isFile()) toHash.push({ file, expected });
    else suspects.push({ file, reason: 'it has the size the index gives, but it is not a regular file' });
  }
  const hashed = await hashFiles(
    toHash.map(({ file, expected }) => ({ file, limit: expected.size })),
    { jobs: defaultJobs() },
  );
  hashed.forEach((result, i) => {
    const { file, expected } = toHash[i]!;
    if (!result.ok && result.error.code === 'PACKAGE_MISSING') return; // gone meanwhile: pkgin cannot take it either
    if (!result.ok) suspects.push({ file, reason: `it cannot be read to be checked: ${result.error.message}` });
    else if (result.sha256 !== expected.sha256 || result.size !== expected.size)
      suspects.push({
        file,
        reason: `it has the size the index gives, but its SHA-256 is ${result.sha256}, not ${expected.sha256}`,
      });
  });
  for (const { file } of suspects) {
    await fs.rm(file, { force: true }).catch((cause) => {
      throw ioError(
        "cannot remove, from pkgin's cache, a file pkgin would install unchecked (run as root, or remove it):",
        file,
        cause,
      );
    });
  }
  return suspects;
}
