/**
 * `sign-summary --packages DIR`: FILE_SIZE and FILE_CKSUM=sha256 added from the package files where an
 * entry lacks them, checked where it has them, everything else kept byte for byte; a disagreement or a
 * missing file refuses the whole index, writing nothing.
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { signableText } from '../../lib/pgp';
import { signIndex } from '../../lib/publish/summary';
import { checkSummary } from '../../lib/summary/format';
import { REPO, Repo, SIGNED_AT, entry, expectRefusal, expectVerified } from '../helpers/repo';
import { day } from '../helpers/world';

const content = (pkgname: string) => Buffer.from(`${pkgname} package contents`);
const checksums = (pkgname: string) => [
  `FILE_SIZE=${content(pkgname).length}`,
  `FILE_CKSUM=sha256 ${createHash('sha256').update(content(pkgname)).digest('hex')}`,
];
const NAMES = ['foo-1.0', 'bar-2.0', 'baz-3.0'];

let repo: Repo;
beforeAll(async () => {
  repo = await Repo.create();
  for (const name of NAMES) await fs.writeFile(repo.path('All', `${name}.tgz`), content(name));
});
afterAll(() => repo.cleanup());

/** Signs `summary` (latin1) with --packages All/; returns the result and the file it would write. */
async function signWithPackages(name: string, summary: string) {
  await repo.write(name, Buffer.from(summary, 'latin1'));
  return repo.trySign({ summary: name, out: `${name}.asc`, args: ['--packages', repo.path('All')] });
}

const exists = (file: string) =>
  fs.access(file).then(
    () => true,
    () => false,
  );

describe('sign-summary --packages', () => {
  it('adds FILE_SIZE and FILE_CKSUM where missing, checks them where present, and keeps the rest byte for byte', async () => {
    // foo: nothing; bar: both, before other variables; baz: only FILE_SIZE. Odd bytes in a DESCRIPTION.
    const odd = 'DESCRIPTION=caf\xe9 \xc3\xa9 = both latin1 and UTF-8; BUILD_DATE=2026-01-01';
    const input = [
      entry('foo-1.0', ['LICENSE=2-clause-bsd', odd]),
      entry('bar-2.0', [...checksums('bar-2.0'), 'LICENSE=mit']),
      entry('baz-3.0', [checksums('baz-3.0')[0]!, 'HOMEPAGE=https://example.org/']),
    ].join('');
    const expected = [
      entry('foo-1.0', ['LICENSE=2-clause-bsd', odd, ...checksums('foo-1.0')]),
      entry('bar-2.0', [...checksums('bar-2.0'), 'LICENSE=mit']),
      entry('baz-3.0', [checksums('baz-3.0')[0]!, 'HOMEPAGE=https://example.org/', checksums('baz-3.0')[1]!]),
    ].join('');
    const { result, file } = await signWithPackages('mixed', input);
    expect(result.status).toBe(0);
    const verified = await repo.verify(file);
    expectVerified(verified);
    expect(Buffer.from(verified.stdout, 'latin1')).toEqual(Buffer.from(expected, 'latin1'));
    expectVerified(await repo.verifyPackages(file));
  });

  it.each([
    ['HASH_MISMATCH', 'FILE_CKSUM', [checksums('bar-2.0')[0]!, `FILE_CKSUM=sha256 ${'0'.repeat(64)}`]],
    ['SIZE_MISMATCH', 'FILE_SIZE', ['FILE_SIZE=1', checksums('bar-2.0')[1]!]],
  ])(
    'refuses with %s an index whose %s disagrees with the package file, writing nothing',
    async (code, _what, wrong) => {
      const { result, file } = await signWithPackages(`wrong-${code}`, entry('foo-1.0') + entry('bar-2.0', wrong));
      expectRefusal(result, code);
      expect(await exists(file)).toBe(false);
    },
  );

  it('refuses an index naming a package file that does not exist, writing nothing', async () => {
    const { result, file } = await signWithPackages('missing', entry('foo-1.0') + entry('gone-1.0'));
    expectRefusal(result, 'PACKAGE_MISSING', 3);
    expect(await exists(file)).toBe(false);
  });
});

describe('signIndex', () => {
  const sign = (text: string) =>
    signIndex(Buffer.from(text, 'latin1'), 'pkg_summary', {
      key: repo.host.secret,
      repository: REPO,
      created: SIGNED_AT,
      expires: day(7, SIGNED_AT),
      hash: 'sha256',
    });
  const grammarOf = (text: string) => {
    try {
      return checkSummary(signableText(Buffer.from(text, 'latin1')), 'pkg_summary');
    } catch (error) {
      return (error as Error).message;
    }
  };

  it('checks the grammar in the pass that hashes the text: what checkSummary refuses, with its message, and its count', async () => {
    for (const bad of [
      'PKGNAME=a-1\nJUNK\n\n',
      'PKGNAME=a-1\nCOMMENT=x\ry\n\n',
      'PKGNAME=a-1\n',
      'COMMENT=x\n\n',
      '\n',
      'PKGNAME=a-1\n\x00\n',
    ]) {
      const refused = await sign(bad).then(
        () => 'signed',
        (error: Error) => error.message,
      );
      expect({ bad, refused }).toEqual({ bad, refused: grammarOf(bad) });
    }
    const good = entry('foo-1.0') + entry('bar-2.0');
    expect((await sign(good)).entries).toBe(2);
    expect((await sign(`${good}PKGNAME=trailing-1.0 \t\r\n\n`)).entries).toBe(3);
  });
});
