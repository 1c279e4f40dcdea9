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

/*
 * What a chain grants is the intersection of its links' scopes (a delegation bounds everything below
 * it), also when no repository is named. Globs are closed under intersection as finite unions, so the
 * intersection is computed exactly, as a list of globs. Two levels: a path is a sequence of segments
 * where `**` is one or more segments; a segment is a sequence of characters where `*` is zero or more.
 * At each level the meet of two patterns follows their first elements:
 *
 *   x ∩ y (both plain)   (x ∩ y) · meet(rest, rest)
 *   star ∩ y             y · meet(star rest, y's rest)  ∪  [segment `*` only] meet(rest, y rest)
 *                                                       ∪  [path `**` only]   y · meet(rest, y's rest)
 *   star ∩ star          star · (meet(rest, star rest) ∪ meet(star rest, rest) ∪ [`**`] meet(rest, rest))
 *
 * Results are memoised and capped: an intersection that needs more than MAX_PIECES globs, or more
 * than MAX_WORK steps, grants nothing (it fails closed; no real scope comes near either).
 */
const MAX_PIECES = 64;
const MAX_WORK = 20_000;

class TooComplex extends Error {}

/** Counts the pieces built, across one intersection. */
let work = 0;

/** Pieces of a union, deduplicated; throws TooComplex past the caps. */
function union(...lists: string[][][]): string[][] {
  const seen = new Map<string, string[]>();
  for (const list of lists) for (const p of list) seen.set(p.join('\0'), p);
  work += seen.size;
  if (seen.size > MAX_PIECES || work > MAX_WORK) throw new TooComplex();
  return [...seen.values()];
}

const prefix = (head: string, tails: string[][]) => tails.map((t) => [head, ...t]);

/** Segment patterns whose union is L(a) ∩ L(b); `*` matches zero or more characters, `?` one. */
function meetSegments(a: string, b: string): string[] {
  const memo = new Map<number, string[][]>();
  const meet = (i: number, j: number): string[][] => {
    const key = i * 1024 + j;
    let out = memo.get(key);
    if (out) return out;
    const x = a[i];
    const y = b[j];
    if (x === undefined || y === undefined) {
      const rest = x === undefined ? b.slice(j) : a.slice(i);
      out = /^\**$/.test(rest) ? [[]] : [];
    } else if (x === '*' && y === '*') {
      out = prefix('*', union(meet(i + 1, j), meet(i, j + 1)));
    } else if (x === '*') {
      out = union(meet(i + 1, j), prefix(y, meet(i, j + 1)));
    } else if (y === '*') {
      out = union(meet(i, j + 1), prefix(x, meet(i + 1, j)));
    } else {
      const c = x === '?' ? y : y === '?' || x === y ? x : null;
      out = c === null ? [] : prefix(c, meet(i + 1, j + 1));
    }
    memo.set(key, out);
    return out;
  };
  // Adjacent stars are one star (and `**` has another meaning between slashes).
  return [...new Set(meet(0, 0).map((p) => p.join('').replace(/\*+/g, '*')))];
}

/** Globs whose union is L(a) ∩ L(b), for two well-formed scope globs. */
function meetGlobs(a: string, b: string): string[][] {
  const p = a.split('/');
  const q = b.split('/');
  const segments = new Map<string, string[]>();
  const meetSegment = (x: string, y: string) => {
    const key = `${x}/${y}`;
    let out = segments.get(key);
    if (!out) segments.set(key, (out = meetSegments(x, y)));
    return out;
  };
  const memo = new Map<number, string[][]>();
  const meet = (i: number, j: number): string[][] => {
    const key = i * 1024 + j;
    let out = memo.get(key);
    if (out) return out;
    const x = p[i];
    const y = q[j];
    if (x === undefined || y === undefined) out = x === y ? [[]] : []; // `**` needs at least one segment
    else if (x === '**' && y === '**') out = prefix('**', union(meet(i + 1, j + 1), meet(i + 1, j), meet(i, j + 1)));
    else if (x === '**') out = prefix(y, union(meet(i + 1, j + 1), meet(i, j + 1)));
    else if (y === '**') out = prefix(x, union(meet(i + 1, j + 1), meet(i + 1, j)));
    else out = union(...meetSegment(x, y).map((c) => prefix(c, meet(i + 1, j + 1))));
    memo.set(key, out);
    return out;
  };
  return meet(0, 0);
}

/**
 * True when every identifier `inner` matches is matched by `outer`: `outer`'s wildcards cover
 * `inner`'s pattern symbol by symbol (sound; used to drop redundant pieces of a union).
 */
export function scopeContains(outer: string, inner: string): boolean {
  if (!compile(outer) || !compile(inner)) return false;
  return covers(outer.split('/'), inner.split('/'), '**', (g, h) => h !== '**' && covers([...g], [...h], '*', (c, d) => d !== '*' && (c === '?' || c === d)));
}

/** Does pattern `g` cover pattern `h`, where `star` in g absorbs one or more (segments) or any number (characters) of h's symbols? */
function covers(g: string[], h: string[], star: string, one: (g: string, h: string) => boolean): boolean {
  const min = star === '**' ? 1 : 0;
  const memo = new Map<number, boolean>();
  const go = (i: number, j: number): boolean => {
    const key = i * 1024 + j;
    let out = memo.get(key);
    if (out !== undefined) return out;
    if (i === g.length) out = j === h.length;
    else if (g[i] === star) {
      out = false;
      for (let k = j + min; k <= h.length && !out; k++) out = go(i + 1, k);
    } else out = j < h.length && one(g[i]!, h[j]!) && go(i + 1, j + 1);
    memo.set(key, out);
    return out;
  };
  return go(0, 0);
}

/** Sorted, without duplicates or pieces that another piece contains. */
function simplify(globs: Iterable<string>): string[] {
  const unique = [...new Set(globs)].sort();
  return unique.filter((g) => !unique.some((o) => o !== g && scopeContains(o, g) && !(scopeContains(g, o) && o > g)));
}

/**
 * The scopes two lists of globs grant together: identifiers within one of `a` and within one of `b`,
 * as a list of globs. Malformed globs grant nothing; empty means nothing is granted.
 */
export function intersectScopes(a: readonly string[], b: readonly string[]): string[] {
  const valid = (list: readonly string[]) => list.filter((g) => compile(g) !== null);
  try {
    const pieces: string[] = [];
    work = 0;
    for (const g of valid(a)) {
      for (const h of valid(b)) {
        if (scopeContains(g, h)) pieces.push(h);
        else if (scopeContains(h, g)) pieces.push(g);
        else pieces.push(...meetGlobs(g, h).map((s) => s.join('/')));
      }
    }
    if (pieces.length > MAX_PIECES) throw new TooComplex();
    return simplify(pieces.filter((g) => compile(g) !== null));
  } catch (error) {
    if (error instanceof TooComplex) return [];
    throw error;
  }
}

/** What a chain of certifications grants: the intersection of every link's scopes. */
export const grantedScopes = (links: ReadonlyArray<readonly string[]>): string[] =>
  links.length === 0 ? [] : links.slice(1).reduce<string[]>((granted, scopes) => intersectScopes(granted, scopes), simplify(links[0]!.filter((g) => compile(g) !== null)));

/**
 * Identifiers that name no repository: `keyring/<name>` for a keyring's releases
 * (lib/keyring/release.ts) and `pkg-vulnerabilities` for the vulnerability list pkg_admin fetches. A
 * key certified only for these signs no package.
 */
export const PKG_VULNERABILITIES = 'pkg-vulnerabilities';
export const KEYRING_PREFIX = 'keyring/';

/** True when a scope glob grants more than keyring releases and the vulnerability list. */
export const grantsPackages = (glob: string): boolean => !glob.startsWith(KEYRING_PREFIX) && glob !== PKG_VULNERABILITIES;
