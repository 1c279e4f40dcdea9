// Repository identifiers and scope globs (lib/trust/scope.ts): what certify and the verifier accept,
// and which repositories a scope grants.
import { checkRepository, checkScope, grantsPackages, inScope } from '../../lib/trust/scope';
import { expectCode } from '../helpers/caught';

describe('repository identifiers', () => {
  it.each(['NetBSD/x86_64/10.0/All', 'SmartOS/2024Q4/x86_64/All', 'keyring/pkgsrc', 'pkg-vulnerabilities'])('accepts %s', (id) => {
    expect(checkRepository(id)).toBe(id);
  });

  it.each(['', 'NetBSD//All', '../etc', 'NetBSD/./All', 'NetBSD/x86_64/10.*/All', 'NetBSD/x 86/All', `${'a/'.repeat(128)}a`])('refuses %j (USAGE)', async (id) => {
    const error = await expectCode(() => checkRepository(id), 'USAGE');
    expect(error.message).toContain('is not a repository identifier');
  });
});

describe('scope globs', () => {
  it.each(['NetBSD/**', 'NetBSD/x86_64/10.*/All', '**', 'NetBSD/*/10.?/All'])('accepts %s', (glob) => expect(checkScope(glob)).toBe(glob));

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
  ])('%s grants %s: %s', (glob, repository, granted) => expect(inScope(repository, [glob])).toBe(granted));

  it('grants nothing with no scope, anything any one of several grants', () => {
    expect(inScope('NetBSD/x86_64/10.0/All', [])).toBe(false);
    expect(inScope('NetBSD/x86_64/10.0/All', ['keyring/pkgsrc', 'NetBSD/x86_64/**'])).toBe(true);
  });

  it('tells the scopes that grant packages from those for keyring releases and pkg-vulnerabilities', () => {
    expect(['NetBSD/**', '**', 'keyring/pkgsrc', 'keyring/**', 'pkg-vulnerabilities'].map(grantsPackages)).toEqual([true, true, false, false, false]);
  });
});
