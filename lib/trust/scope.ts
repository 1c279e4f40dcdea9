/**
 * Repository scopes. A repository identifier is the repository URL's path below `packages/`, such as
 * `NetBSD/x86_64/10.0/All` (DESIGN.md §5). A scope is a glob over identifiers: `*` and `?` stay within
 * one path segment, `**` stands for one or more whole segments; so `NetBSD/x86_64/10.*` matches 10.0 and 10.1 but not
 * `NetBSD/x86_64/10.0/All`, and `NetBSD/**` matches everything under NetBSD.
 */
import { PkgkeysError } from '../errors';
import type { RepositoryId } from '../model';

const SEGMENT = /^[A-Za-z0-9._+-]+$/;
const GLOB_SEGMENT = /^(\*\*|[A-Za-z0-9._+*?-]+)$/;

/** Whether `text` is a repository identifier: non-empty segments of safe characters, no `.` or `..`. */
export const isRepository = (text: string): text is RepositoryId =>
  text.length <= 256 && text.split('/').every((s) => SEGMENT.test(s) && s !== '.' && s !== '..');

/** A repository identifier where one enters pkgkeys (an option, a configuration line, a URL); the only way to make one. */
export function checkRepository(text: string): RepositoryId {
  if (!isRepository(text))
    throw new PkgkeysError(
      'USAGE',
      `"${text}" is not a repository identifier (expected a path such as NetBSD/x86_64/10.0/All)`,
    );
  return text;
}

/** Checks a scope glob as `certify` accepts it. */
export function checkScope(glob: string): string {
  const segments = glob.split('/');
  if (
    glob.length > 256 ||
    !segments.every((s) => GLOB_SEGMENT.test(s) && s !== '.' && s !== '..' && (s === '**' || !s.includes('**')))
  ) {
    throw new PkgkeysError(
      'USAGE',
      `"${glob}" is not a scope (expected a glob such as NetBSD/x86_64/10.*/All or NetBSD/**)`,
    );
  }
  return glob;
}

const compiled = new Map<string, RegExp | null>();

function compile(glob: string): RegExp | null {
  let regex = compiled.get(glob);
  if (regex === undefined) {
    try {
      checkScope(glob);
      const segment = (s: string) =>
        s === '**' ? '[^/]+(?:/[^/]+)*' : s.replace(/[.+]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]');
      regex = new RegExp(`^${glob.split('/').map(segment).join('/')}$`);
    } catch {
      regex = null; // a malformed scope from someone else's signature matches nothing
    }
    compiled.set(glob, regex);
  }
  return regex;
}

/** True when `repository` lies within at least one of `scopes`. An empty scope list grants nothing. */
export function inScope(repository: RepositoryId, scopes: readonly string[]): boolean {
  return scopes.some((glob) => compile(glob)?.test(repository) ?? false);
}

/*
 * What a chain grants is the intersection of its links' scopes (a delegation bounds everything below
 * it), also when no repository is named. Globs are closed under intersection as finite unions, so the
 * intersection is computed exactly, as a list of globs. Two levels: a path is a sequence of segments
 * where `**` is one or more segments; a segment is a sequence of characters where `*` is zero or more.
 * At each level the meet of two patterns follows their first elements (y plain, x' and y' the rests):
 *
 *   x x' ∩ y y'        (x ∩ y) · meet(x', y')                    (segments: each piece of x ∩ y)
 *   * x' ∩ y y'        meet(x', y y') ∪ y · meet(* x', y')       (the star matches nothing, or y and on)
 *   ** x' ∩ y y'       y · (meet(x', y') ∪ meet(** x', y'))      (the star takes y's segment, then stops or goes on)
 *   * x' ∩ * y'        * · (meet(x', * y') ∪ meet(* x', y'))
 *   ** x' ∩ ** y'      ** · (meet(x', y') ∪ meet(x', ** y') ∪ meet(** x', y'))
 *
 * Everything is memoised and bounded: an intersection that needs more than MAX_PIECES globs, or more
 * than MAX_WORK steps, grants nothing (it fails closed; no real scope comes near either).
 */
const MAX_PIECES = 64;
const MAX_WORK = 100_000;

class TooComplex extends Error {}

/** Steps spent on one question; throws TooComplex past MAX_WORK. */
class Budget {
  private used = 0;
  spend(steps: number): void {
    if ((this.used += steps) > MAX_WORK) throw new TooComplex();
  }
}

type Pieces = string[][];
type Meet = (i: number, j: number) => Pieces;

/** The meet of the suffixes of `a` and `b` from i and j, memoised; `step` computes one from the meets after it. */
function memoised(
  budget: Budget,
  a: readonly string[],
  b: readonly string[],
  step: (x: string | undefined, y: string | undefined, i: number, j: number, meet: Meet) => Pieces,
): Pieces {
  const memo = new Map<number, Pieces>();
  const meet: Meet = (i, j) => {
    const key = i * 1024 + j;
    let out = memo.get(key);
    if (!out) {
      out = step(a[i], b[j], i, j, meet);
      budget.spend(1 + out.length);
      if (out.length > MAX_PIECES) throw new TooComplex();
      memo.set(key, out);
    }
    return out;
  };
  return meet(0, 0);
}

const prefix = (head: string, tails: Pieces) => tails.map((t) => [head, ...t]);
const union = (...lists: Pieces[]): Pieces => [...new Map(lists.flat().map((p) => [p.join('\0'), p])).values()];

/** Segment patterns whose union is L(a) ∩ L(b); `*` matches zero or more characters, `?` one. */
function meetSegments(a: string, b: string, budget: Budget): string[] {
  const pieces = memoised(budget, [...a], [...b], (x, y, i, j, meet) => {
    if (x === undefined || y === undefined) return /^\**$/.test(x === undefined ? b.slice(j) : a.slice(i)) ? [[]] : [];
    if (x === '*' && y === '*') return prefix('*', union(meet(i + 1, j), meet(i, j + 1)));
    if (x === '*') return union(meet(i + 1, j), prefix(y, meet(i, j + 1)));
    if (y === '*') return union(meet(i, j + 1), prefix(x, meet(i + 1, j)));
    const c = x === '?' ? y : y === '?' || x === y ? x : null;
    return c === null ? [] : prefix(c, meet(i + 1, j + 1));
  });
  // Adjacent stars are one star (and `**` has another meaning between slashes).
  return [...new Set(pieces.map((p) => p.join('').replace(/\*+/g, '*')))];
}

/** Globs whose union is L(a) ∩ L(b), for two well-formed scope globs. */
function meetGlobs(a: string, b: string, budget: Budget): string[] {
  const pieces = memoised(budget, a.split('/'), b.split('/'), (x, y, i, j, meet) => {
    if (x === undefined || y === undefined) return x === y ? [[]] : []; // `**` needs at least one segment
    if (x === '**' && y === '**') return prefix('**', union(meet(i + 1, j + 1), meet(i + 1, j), meet(i, j + 1)));
    if (x === '**') return prefix(y, union(meet(i + 1, j + 1), meet(i, j + 1)));
    if (y === '**') return prefix(x, union(meet(i + 1, j + 1), meet(i + 1, j)));
    return union(...meetSegments(x, y, budget).map((c) => prefix(c, meet(i + 1, j + 1))));
  });
  return pieces.map((p) => p.join('/'));
}

/**
 * True when every identifier `inner` matches is matched by `outer`: `outer`'s wildcards cover
 * `inner`'s pattern symbol by symbol. Sound (never true when it is not so); false when unsure.
 */
export function scopeContains(outer: string, inner: string): boolean {
  return compile(outer) !== null && compile(inner) !== null && contains(outer, inner, new Budget());
}

function contains(outer: string, inner: string, budget: Budget): boolean {
  try {
    const segment = (g: string, h: string) =>
      h !== '**' && covers([...g], [...h], '*', (c, d) => d !== '*' && (c === '?' || c === d), budget);
    return covers(outer.split('/'), inner.split('/'), '**', segment, budget);
  } catch (error) {
    if (error instanceof TooComplex) return false;
    throw error;
  }
}

/**
 * Does pattern `g` cover pattern `h`, symbol by symbol? `star` in g absorbs any of h's symbols: one or
 * more of them for `**` (segments), any number for `*` (characters).
 */
function covers(
  g: string[],
  h: string[],
  star: string,
  one: (g: string, h: string) => boolean,
  budget: Budget,
): boolean {
  const memo = new Map<number, boolean>();
  const go = (i: number, j: number): boolean => {
    const key = i * 1024 + j;
    let out = memo.get(key);
    if (out !== undefined) return out;
    budget.spend(1);
    if (i === g.length) out = j === h.length;
    else if (g[i] !== star) out = j < h.length && one(g[i]!, h[j]!) && go(i + 1, j + 1);
    else if (star === '**')
      out = j < h.length && (go(i + 1, j + 1) || go(i, j + 1)); // takes h[j], then stops or goes on
    else out = go(i + 1, j) || (j < h.length && go(i, j + 1)); // takes nothing, or h[j] and goes on
    memo.set(key, out);
    return out;
  };
  return go(0, 0);
}

/** Sorted, without duplicates, and without pieces another piece is known to contain. */
function simplify(globs: readonly string[], budget: Budget): string[] {
  const unique = [...new Set(globs)].sort();
  const within = (inner: string, outer: string) => contains(outer, inner, budget);
  return unique.filter((g) => !unique.some((o) => o !== g && within(g, o) && !(within(o, g) && o < g)));
}

/** Runs `question` on a fresh budget; an answer too costly to compute is `[]`: nothing granted. */
function bounded(question: (budget: Budget) => string[]): string[] {
  try {
    return question(new Budget());
  } catch (error) {
    if (error instanceof TooComplex) return [];
    throw error;
  }
}

const wellFormed = (list: readonly string[]) => list.filter((g) => compile(g) !== null);

/**
 * The scopes two lists of globs grant together: identifiers within one of `a` and within one of `b`,
 * as a list of globs. Malformed globs grant nothing; empty means nothing is granted.
 */
export function intersectScopes(a: readonly string[], b: readonly string[]): string[] {
  return bounded((budget) => {
    const pieces = new Set<string>();
    for (const g of wellFormed(a)) {
      for (const h of wellFormed(b)) {
        const meet = contains(g, h, budget) ? [h] : contains(h, g, budget) ? [g] : meetGlobs(g, h, budget);
        for (const piece of meet) pieces.add(piece);
        if (pieces.size > MAX_PIECES) throw new TooComplex();
      }
    }
    return simplify(wellFormed([...pieces]), budget);
  });
}

/** What a chain of certifications grants: the intersection of every link's scopes (none for no link). */
export function grantedScopes(links: ReadonlyArray<readonly string[]>): string[] {
  if (links.length === 0) return [];
  const first = bounded((budget) => {
    const own = wellFormed(links[0]!);
    if (own.length > MAX_PIECES) throw new TooComplex();
    return simplify(own, budget);
  });
  return links.slice(1).reduce<string[]>((granted, scopes) => intersectScopes(granted, scopes), first);
}

/**
 * Identifiers that name no repository: `keyring/<name>` for a keyring's releases
 * (lib/keyring/release.ts) and `pkg-vulnerabilities` for the vulnerability list pkg_admin fetches. A
 * key certified only for these signs no package.
 */
export const PKG_VULNERABILITIES = checkRepository('pkg-vulnerabilities');
export const KEYRING_PREFIX = 'keyring/';

/** The repository identifier a keyring release is signed for, and its publisher certified for: `keyring/<name>`. */
export function keyringRepository(name: string): RepositoryId {
  if (name.includes('/')) throw new PkgkeysError('USAGE', `"${name}" is not a keyring name (one word, such as pkgsrc)`);
  return checkRepository(`${KEYRING_PREFIX}${name}`);
}

/** A keyring name where one enters (a configuration line): one that makes a repository identifier. */
export function checkKeyringName(name: string): string {
  keyringRepository(name);
  return name;
}

/** True when a scope glob grants more than keyring releases and the vulnerability list. */
export const grantsPackages = (glob: string): boolean =>
  !glob.startsWith(KEYRING_PREFIX) && glob !== PKG_VULNERABILITIES;
