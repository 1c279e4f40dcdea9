/**
 * pkgkeys.conf(5), the client's configuration in ${PKG_SYSCONFDIR}/pkgkeys: which repositories to
 * verify (repository identifier and upstream URL), where the keyring comes from, the anchors, and the policy.
 * Keyword lines, read strictly (lib/settings.ts): an unknown keyword or a malformed value is a
 * configuration error with its line number, never a silent default that could turn a check off.
 */
import { promises as fs } from 'node:fs';
import { PkgkeysError, ioError } from '../errors';
import type { RepositoryId } from '../model';
import { DEFAULT_KEYRING_URL, type Locations } from '../paths';
import { type Setting, absolute, checkRepositoryURL, integer, readSettings } from '../settings';
import { DEFAULT_POLICY, type Policy } from '../trust/policy';
import { checkKeyringName, checkRepository } from '../trust/scope';

/** A binary package repository as pkgin reaches it: the repository its index must be signed for, and where it is. */
export interface Upstream {
  repository: RepositoryId;
  /** The upstream directory, without a trailing slash: `<url>/pkg_summary.gz`, `<url>/<file>.tgz`. */
  url: string;
}

export interface Config {
  upstreams: Upstream[];
  keyringURL: string;
  keyringName: string;
  anchorDir: string;
  /** How many of the anchors must each vouch for a key (k of n, lib/trust/threshold.ts). */
  anchorThreshold: number;
  /** The pkgin that `pkgkeys pkgin` runs: a path, or a name looked up in PATH. */
  pkgin: string;
  /** pkgin's database directory when PKGIN_DBDIR is not set: the one it was built with. */
  pkginDbDir: string;
  clockSkewSeconds: number;
  minRSABits: number;
}

const MAX_CONFIG_BYTES = 1024 * 1024;

export const defaultConfig = (locations: Locations): Config => ({
  upstreams: [],
  keyringURL: DEFAULT_KEYRING_URL,
  keyringName: 'pkgsrc',
  anchorDir: locations.anchorDir,
  anchorThreshold: DEFAULT_POLICY.anchorThreshold,
  pkgin: 'pkgin',
  pkginDbDir: locations.pkginDbDir,
  clockSkewSeconds: DEFAULT_POLICY.clockSkewSeconds,
  minRSABits: DEFAULT_POLICY.minRSABits,
});

/** The policy a configuration asks for: DEFAULT_POLICY with its settings; never weaker than the floor below. */
export const policyOf = (config: Config): Policy => ({
  ...DEFAULT_POLICY,
  clockSkewSeconds: config.clockSkewSeconds,
  minRSABits: config.minRSABits,
  anchorThreshold: config.anchorThreshold,
});

/** Every keyword, with the number of values it takes and what it sets. */
const SETTINGS: Record<string, Setting<Config>> = {
  repository: {
    arity: 2,
    set: (c, [repository, url]) => {
      const upstream = { repository: checkRepository(repository!), url: checkRepositoryURL(url!) };
      if (c.upstreams.some((u) => u.repository === upstream.repository))
        throw new PkgkeysError('BAD_CONFIG', `repository ${upstream.repository} is configured twice`);
      c.upstreams.push(upstream);
    },
  },
  'keyring-url': { arity: 1, set: (c, [url]) => void (c.keyringURL = `${checkRepositoryURL(url!)}/`) },
  'keyring-name': { arity: 1, set: (c, [name]) => void (c.keyringName = checkKeyringName(name!)) },
  anchors: { arity: 1, set: (c, [dir]) => void (c.anchorDir = absolute(dir!, 'anchors')) },
  // More than the anchors there are is refused when a key is judged, where the anchors are known.
  'anchor-threshold': {
    arity: 1,
    set: (c, [k]) => void (c.anchorThreshold = integer(1, 1000)(k!, 'anchor-threshold')),
  },
  pkgin: { arity: 1, set: (c, [file]) => void (c.pkgin = file!.includes('/') ? absolute(file!, 'pkgin') : file!) },
  'pkgin-dbdir': { arity: 1, set: (c, [dir]) => void (c.pkginDbDir = absolute(dir!, 'pkgin-dbdir')) },
  'clock-skew': { arity: 1, set: (c, [s]) => void (c.clockSkewSeconds = integer(0, 86400)(s!, 'clock-skew')) },
  // Raising the floor is allowed; lowering it below the default is not a configuration, it is a hole.
  'min-rsa-bits': {
    arity: 1,
    set: (c, [b]) => void (c.minRSABits = integer(DEFAULT_POLICY.minRSABits, 16384)(b!, 'min-rsa-bits')),
  },
};

export function parseConfig(text: string, source: string, defaults: Config): Config {
  return readSettings(text, source, { ...defaults, upstreams: [] }, SETTINGS);
}

/** The configuration in `file`; when there is none, the defaults, with no repository, unless it was asked for by name (`required`). */
export async function readConfig(file: string, defaults: Config, required = false): Promise<Config> {
  let text: string;
  try {
    const stat = await fs.stat(file);
    if (stat.size > MAX_CONFIG_BYTES)
      throw new PkgkeysError('BAD_CONFIG', `${file}: ${stat.size} bytes is too large for a configuration`);
    text = await fs.readFile(file, 'utf8');
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ENOENT' && !required) return { ...defaults, upstreams: [] };
    if ((cause as NodeJS.ErrnoException).code === 'ENOENT')
      throw new PkgkeysError('BAD_CONFIG', `${file} does not exist`);
    throw cause instanceof PkgkeysError ? cause : ioError('cannot read', file, cause);
  }
  return parseConfig(text, file, defaults);
}

/** The upstreams of the repositories named (all when none is named); an unknown name or none at all is a configuration error. */
export function selectUpstreams(config: Config, repositories: readonly string[], file: string): Upstream[] {
  if (config.upstreams.length === 0)
    throw new PkgkeysError('BAD_CONFIG', `no repository is configured in ${file}: run pkgkeys setup`);
  if (repositories.length === 0) return config.upstreams;
  return repositories.map((repository) => {
    const upstream = config.upstreams.find((u) => u.repository === repository);
    if (!upstream)
      throw new PkgkeysError(
        'BAD_CONFIG',
        `${repository} is not a repository configured in ${file} (configured: ${config.upstreams.map((u) => u.repository).join(', ')})`,
      );
    return upstream;
  });
}

/**
 * pkgkeys.conf text for `config`: the repositories, then every other setting, commented out where it
 * is the default (so the file shows what can be set, and a later default change reaches it).
 */
export function formatConfig(config: Config, defaults: Config): string {
  const line = (keyword: string, value: string | number, fallback: string | number) =>
    `${value === fallback ? '#' : ''}${keyword} ${value}`;
  return [
    '# pkgkeys.conf(5): written by pkgkeys setup; settings other than the repositories are kept when it runs again.',
    '#',
    '# repository IDENTIFIER URL: the index at URL must be signed for IDENTIFIER.',
    ...config.upstreams.map((u) => `repository ${u.repository} ${u.url}`),
    '',
    line('keyring-url', config.keyringURL, defaults.keyringURL),
    line('keyring-name', config.keyringName, defaults.keyringName),
    line('anchors', config.anchorDir, defaults.anchorDir),
    line('anchor-threshold', config.anchorThreshold, defaults.anchorThreshold),
    line('pkgin', config.pkgin, defaults.pkgin),
    line('pkgin-dbdir', config.pkginDbDir, defaults.pkginDbDir),
    line('clock-skew', config.clockSkewSeconds, defaults.clockSkewSeconds),
    line('min-rsa-bits', config.minRSABits, defaults.minRSABits),
    '',
  ].join('\n');
}
