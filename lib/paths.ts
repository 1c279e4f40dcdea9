/**
 * Where pkgkeys finds things on a client when no option names them (DESIGN.md §5): its configuration
 * and the trust anchors the base system ships under ${PKG_SYSCONFDIR}/pkgkeys, and the live keyring,
 * verification state and package cache under ${VARBASE}/db/pkgkeys. PKGKEYS_ROOT prefixes every
 * default, so tests and chroots use the same layout elsewhere. And pkgkeys' own package.json, for its
 * version.
 */
import { promises as fs, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { PkgkeysError, ioError } from './errors';

export interface Locations {
  /** pkgkeys.conf(5): repositories, keyring URL, policy (lib/client/config.ts). */
  config: string;
  /** Directory of trust anchors: every *.asc, *.gpg or *.pgp file in it is one. */
  anchorDir: string;
  /** Where `pkgkeys update` installs the keyring and its exports (lib/keyring/live.ts). */
  liveDir: string;
  /** The full keyring `pkgkeys update` keeps current. */
  keyring: string;
  /** The newest accepted index signature per repository (lib/verify/state.ts). */
  stateDir: string;
  /** Packages the proxy verified, named by their SHA-256 (lib/client/proxy.ts). */
  cacheDir: string;
  /** pkgin's list of repositories, which `pkgkeys setup` reads. */
  pkginRepositories: string;
  /** pkgin's database directory, as pkgsrc builds pkgin (${VARBASE}/db/pkgin); its packages are in cache/. */
  pkginDbDir: string;
}

/** ${PKG_SYSCONFDIR}: where the base system keeps the anchors, and so pkgkeys.conf beside them. */
export const SYSCONFDIR = '/etc';
/** ${PREFIX} of pkgsrc, where pkgin and pkgkeys are installed. */
export const PREFIX = '/usr/pkg';

/** Where the pkgsrc keyring's releases are published (release.asc and keyring.gpg). */
export const DEFAULT_KEYRING_URL = 'https://cdn.NetBSD.org/pub/pkgsrc/keyring/pkgsrc/';

export function defaultLocations(env: Record<string, string | undefined>): Locations {
  const root = env.PKGKEYS_ROOT ?? '';
  return {
    config: path.join(root, SYSCONFDIR, 'pkgkeys/pkgkeys.conf'),
    anchorDir: path.join(root, SYSCONFDIR, 'pkgkeys/anchors'),
    liveDir: path.join(root, '/var/db/pkgkeys'),
    keyring: path.join(root, '/var/db/pkgkeys/keyring.gpg'),
    stateDir: path.join(root, '/var/db/pkgkeys/state'),
    cacheDir: path.join(root, '/var/db/pkgkeys/cache'),
    pkginRepositories: path.join(root, PREFIX, 'etc/pkgin/repositories.conf'),
    pkginDbDir: path.join(root, '/var/db/pkgin'),
  };
}

/** The anchor files of a directory, sorted; none is a configuration error. */
export async function anchorFiles(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code !== 'ENOENT') throw ioError('cannot read anchor directory', dir, cause);
    names = [];
  }
  const files = names
    .filter((n) => /\.(asc|gpg|pgp)$/.test(n))
    .sort()
    .map((n) => path.join(dir, n));
  if (files.length === 0) {
    throw new PkgkeysError(
      'USAGE',
      `no trust anchor in ${dir}: install the master key's public certificate there, or pass --anchor FILE`,
    );
  }
  return files;
}

/** pkgkeys' version, from package.json: beside lib/ in the sources, beside dist/ when built or installed. */
export function pkgkeysVersion(): string {
  for (const up of ['..', '../..']) {
    try {
      const meta = JSON.parse(readFileSync(path.join(__dirname, up, 'package.json'), 'utf8')) as {
        name?: unknown;
        version?: unknown;
      };
      if (meta.name === 'pkgkeys' && typeof meta.version === 'string') return meta.version;
    } catch {
      // not there: look one level up
    }
  }
  return 'unknown';
}
