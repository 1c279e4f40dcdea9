// Repository identifiers and scope globs (lib/trust/scope.ts): what certify and the verifier accept,
// and which repositories a scope grants.
import type { RepositoryId } from '../../lib/model';
import {
  checkRepository,
  checkScope,
  grantedScopes,
  grantsPackages,
  inScope,
  intersectScopes,
  scopeContains,
} from '../../lib/trust/scope';
import { expectCode } from '../helpers/caught';

describe('repository identifiers', () => {
  it.each(['NetBSD/x86_64/10.0/All', 'SmartOS/2024Q4/x86_64/All', 'keyring/pkgsrc', 'pkg-vulnerabilities'])(
    'accepts %s',
    (id) => {
      expect(checkRepository(id)).toBe(id);
    },
  );

  it.each([
    '',
    'NetBSD//All',
    '../etc',
    'NetBSD/./All',
    'NetBSD/x86_64/10.*/All',
    'NetBSD/x 86/All',
    `${'a/'.repeat(128)}a`,
  ])('refuses %j (USAGE)', async (id) => {
    const error = await expectCode(() => checkRepository(id), 'USAGE');
    expect(error.message).toContain('is not a repository identifier');
  });
});

describe('scope globs', () => {
  it.each(['NetBSD/**', 'NetBSD/x86_64/10.*/All', '**', 'NetBSD/*/10.?/All'])('accepts %s', (glob) =>
    expect(checkScope(glob)).toBe(glob),
  );

  it.each(['', 'a/**b', '../**', 'NetBSD//All', 'NetBSD/***'])('refuses %j (USAGE)', async (glob) => {
    await expectCode(() => checkScope(glob), 'USAGE');
  });

  it.each([
    ['NetBSD/**', 'NetBSD/x86_64/10.0/All', true],
    ['NetBSD/**', 'NetBSD', false],
    ['NetBSD/x86_64/10.*/All', 'NetBSD/x86_64/10.1/All', true],
    ['NetBSD/x86_64/10.*', 'NetBSD/x86_64/10.0/All', false],
    ['NetBSD/*/10.?/All', 'NetBSD/aarch64/10.0/All', true],
    ['NetBSD/*/10.?/All', 'NetBSD/aarch64/10.10/All', false],
    ['NetBSD/x86_64/10.0/All', 'NetBSD/x86_64/10x0/All', false],
    ['**', 'pkg-vulnerabilities', true],
    ['NetBSD/**', 'pkg-vulnerabilities', false],
    ['../**', 'NetBSD/x86_64/10.0/All', false],
  ])('%s grants %s: %s', (glob, repository, granted) =>
    expect(inScope(checkRepository(repository), [glob])).toBe(granted),
  );

  it('grants nothing with no scope, anything any one of several grants', () => {
    const repository = checkRepository('NetBSD/x86_64/10.0/All');
    expect(inScope(repository, [])).toBe(false);
    expect(inScope(repository, ['keyring/pkgsrc', 'NetBSD/x86_64/**'])).toBe(true);
  });

  it('tells the scopes that grant packages from those for keyring releases and pkg-vulnerabilities', () => {
    expect(['NetBSD/**', '**', 'keyring/pkgsrc', 'keyring/**', 'pkg-vulnerabilities'].map(grantsPackages)).toEqual([
      true,
      true,
      false,
      false,
      false,
    ]);
  });
});

describe('scope intersection', () => {
  it.each([
    [['NetBSD/**'], ['NetBSD/x86_64/10.*/All'], ['NetBSD/x86_64/10.*/All']],
    [['NetBSD/*/10.*/All'], ['NetBSD/x86_64/*/All'], ['NetBSD/x86_64/10.*/All']],
    [['NetBSD/**'], ['*/x86_64/**'], ['NetBSD/x86_64/**']],
    [['**'], ['pkg-vulnerabilities'], ['pkg-vulnerabilities']],
    [['pkg-vulnerabilities'], ['NetBSD/x86_64/10.0/All'], []],
    [['keyring/pkgsrc'], ['NetBSD/**'], []],
    [['NetBSD/aarch64/*/All'], ['NetBSD/x86_64/10.0/All'], []],
    [
      ['NetBSD/aarch64/*/All', 'NetBSD/x86_64/**'],
      ['NetBSD/*/10.0/All'],
      ['NetBSD/aarch64/10.0/All', 'NetBSD/x86_64/10.0/All'],
    ],
    [['a*'], ['*b'], ['a*b']],
    [['NetBSD/**'], ['NetBSD/**/All'], ['NetBSD/**/All']],
  ])('%j ∩ %j = %j', (a, b, want) => {
    expect(intersectScopes(a, b)).toEqual(want);
    expect(intersectScopes(b, a)).toEqual(want);
  });

  it('grants nothing from an empty or malformed list', () => {
    expect(intersectScopes([], ['NetBSD/**'])).toEqual([]);
    expect(intersectScopes(['../x', 'NetBSD//All'], ['**'])).toEqual([]);
    expect(grantedScopes([])).toEqual([]);
  });

  it('folds a chain: each link bounds everything below it', () => {
    expect(grantedScopes([['NetBSD/**'], ['NetBSD/x86_64/**', 'pkgsrc/**'], ['NetBSD/*/10.0/All']])).toEqual([
      'NetBSD/x86_64/10.0/All',
    ]);
    expect(grantedScopes([['pkg-vulnerabilities'], ['NetBSD/**']])).toEqual([]);
  });

  it('fails closed on an intersection too costly to write down', () => {
    expect(intersectScopes([`${'*a'.repeat(60)}*`], [`${'*b'.repeat(60)}*`])).toEqual([]);
    expect(intersectScopes([`${'*a?'.repeat(80)}*`], [`${'*?b'.repeat(80)}*`])).toEqual([]);
    const many = Array.from({ length: 65 }, (_, i) => `NetBSD/x86_64/${i}/All`);
    expect(grantedScopes([many])).toEqual([]);
    expect(intersectScopes(['NetBSD/**'], many.slice(0, 64))).toHaveLength(64);
  });

  it('keeps a link with many scopes whole', () => {
    const archs = Array.from({ length: 20 }, (_, i) => `NetBSD/arch${i}/**`);
    expect(grantedScopes([archs])).toEqual([...archs].sort());
    expect(grantedScopes([['NetBSD/**'], archs, ['NetBSD/*/10.0/All']])).toHaveLength(20);
  });

  it('decides containment of globs', () => {
    expect(scopeContains('NetBSD/**', 'NetBSD/x86_64/10.*/All')).toBe(true);
    expect(scopeContains('NetBSD/*/10.*/All', 'NetBSD/x86_64/10.0/All')).toBe(true);
    expect(scopeContains('NetBSD/x86_64/10.0/All', 'NetBSD/x86_64/10.*/All')).toBe(false);
    expect(scopeContains('NetBSD/*', 'NetBSD/**')).toBe(false);
    expect(scopeContains('**', 'pkg-vulnerabilities')).toBe(true);
    expect(scopeContains('a?c', 'a*c')).toBe(false);
  });

  // Against the definition, on every identifier of a small alphabet: x is in a ∩ b exactly when it is in a and in b.
  it('agrees with matching on random globs', () => {
    let seed = 12345;
    const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2147483648), seed % n);
    const segment = (chars: string) => Array.from({ length: 1 + rand(3) }, () => chars[rand(chars.length)]).join('');
    const glob = () => Array.from({ length: 1 + rand(3) }, () => (rand(5) === 0 ? '**' : segment('ab*?'))).join('/');
    const ids: RepositoryId[] = [];
    const grow = (prefix: string[], depth: number) => {
      if (prefix.length > 0) ids.push(checkRepository(prefix.join('/')));
      if (depth === 0) return;
      for (const s of ['a', 'b', 'aa', 'ab', 'ba', 'bb', 'aba']) grow([...prefix, s], depth - 1);
    };
    grow([], 3);
    for (let n = 0; n < 300; n++) {
      const a = glob();
      const b = glob();
      const meet = intersectScopes([a], [b]);
      for (const id of ids) {
        const both = inScope(id, [a]) && inScope(id, [b]);
        if (inScope(id, meet) !== both) throw new Error(`${a} ∩ ${b} = ${JSON.stringify(meet)} is wrong for ${id}`);
      }
      for (const piece of meet) {
        expect(scopeContains(a, piece) || ids.every((id) => !inScope(id, [piece]) || inScope(id, [a]))).toBe(true);
      }
    }
  });
});
