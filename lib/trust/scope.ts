/**
 * Repository scopes. A repository identifier is the repository URL's path below `packages/`, such as
 * `NetBSD/x86_64/10.0/All` (DESIGN.md §5). A scope is a glob over identifiers: `*` and `?` stay within
 * one path segment, `**` stands for one or more whole segments; so `NetBSD/x86_64/10.*` matches 10.0 and 10.1 but not
 * `NetBSD/x86_64/10.0/All`, and `NetBSD/**` matches everything under NetBSD.
 */
import { PkgkeysError } from '../errors';

const SEGMENT = /^[A-Za-z0-9._+-]+$/;
const GLOB_SEGMENT = /^(\*\*|[A-Za-z0-9._+*?-]+)$/;

/** Checks a repository identifier: non-empty segments of safe characters, no `.` or `..`. */
export function checkRepository(id: string): string {
  const segments = id.split('/');
  if (id.length > 256 || !segments.every((s) => SEGMENT.test(s) && s !== '.' && s !== '..')) {
    throw new PkgkeysError('USAGE', `"${id}" is not a repository identifier (expected a path such as NetBSD/x86_64/10.0/All)`);
  }
  return id;
}

/** Checks a scope glob as `certify` accepts it. */
export function checkScope(glob: string): string {
  const segments = glob.split('/');
  if (glob.length > 256 || !segments.every((s) => GLOB_SEGMENT.test(s) && s !== '.' && s !== '..' && (s === '**' || !s.includes('**')))) {
    throw new PkgkeysError('USAGE', `"${glob}" is not a scope (expected a glob such as NetBSD/x86_64/10.*/All or NetBSD/**)`);
  }
  return glob;
}

const compiled = new Map<string, RegExp | null>();

function compile(glob: string): RegExp | null {
  let regex = compiled.get(glob);
  if (regex === undefined) {
    try {
      checkScope(glob);
      const segment = (s: string) => (s === '**' ? '[^/]+(?:/[^/]+)*' : s.replace(/[.+]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]'));
      regex = new RegExp(`^${glob.split('/').map(segment).join('/')}$`);
    } catch {
      regex = null; // a malformed scope from someone else's signature matches nothing
    }
    compiled.set(glob, regex);
  }
  return regex;
}

/** True when `repository` lies within at least one of `scopes`. An empty scope list grants nothing. */
export function inScope(repository: string, scopes: readonly string[]): boolean {
  return scopes.some((glob) => compile(glob)?.test(repository) ?? false);
}

/**
 * Identifiers that name no repository: `keyring/<name>` for a keyring's releases
 * (lib/keyring/release.ts) and `pkg-vulnerabilities` for the vulnerability list pkg_admin fetches. A
 * key certified only for these signs no package.
 */
export const PKG_VULNERABILITIES = 'pkg-vulnerabilities';
export const KEYRING_PREFIX = 'keyring/';

/** True when a scope glob grants more than keyring releases and the vulnerability list. */
export const grantsPackages = (glob: string): boolean => !glob.startsWith(KEYRING_PREFIX) && glob !== PKG_VULNERABILITIES;
