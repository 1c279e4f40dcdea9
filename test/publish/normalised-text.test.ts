/**
 * A build's pkg_summary with trailing blanks and CRLF line ends, which a cleartext signature cannot
 * keep (RFC 9580 §7.2): `publish` makes every form from the one text it signed, and `sign-summary` signs
 * that text; both say on standard error that the text was changed.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { pkgkeys } from '../helpers/cli';
import { REPO, Repo, SIGNED_AT, VERIFY_AT, entry, expectVerified, iso } from '../helpers/repo';
import { decompress } from '../../lib/summary/compress';

const FORMS = ['pkg_summary.gz', 'pkg_summary.bz2', 'pkg_summary.xz', 'pkg_summary.zst'];
const WARNING =
  /^pkgkeys: warning: .*pkg_summary\.gz: 12 line\(s\) had trailing blanks or a CR \(CRLF line ends\) or no final newline; the index is signed and published without them\n/m;

/** foo's lines end in CRLF; two of bar's have trailing blanks. */
const BUILT =
  entry('foo-1.0')
    .replace(/\n/g, '\r\n')
    .replace(/\r\n\r\n$/, '\r\n\n') + entry('bar-2.0', ['LICENSE=mit \t', 'HOMEPAGE=https://example.org/  ']);
/** What can be signed: the same lines without them. */
const SIGNABLE = entry('foo-1.0') + entry('bar-2.0', ['LICENSE=mit', 'HOMEPAGE=https://example.org/']);

let repo: Repo;
beforeAll(async () => {
  repo = await Repo.create();
  await fs.mkdir(repo.path('build'));
  for (const name of ['foo-1.0', 'bar-2.0']) await fs.writeFile(repo.path('build', `${name}.tgz`), `${name} package`);
  await fs.writeFile(repo.path('build', 'pkg_summary.gz'), gzipSync(BUILT));
});
afterAll(() => repo.cleanup());

test('the input really has what a signature cannot keep: CRLF on 10 lines, trailing blanks on 2', () => {
  expect(BUILT.match(/\r\n/g)).toHaveLength(10);
  expect(BUILT.match(/[ \t]+\n/g)).toHaveLength(2);
});

test('publish: every form holds the text the signature covers, and standard error says the text was changed', async () => {
  const result = await pkgkeys([
    'publish',
    '--now',
    iso(SIGNED_AT),
    '--repository',
    REPO,
    '--key',
    repo.path('host-secret.asc'),
    ...repo.clientKeyringArgs(),
    '--build',
    repo.path('build'),
    repo.path('All'),
  ]);
  expect(result.status).toBe(0);
  expect(result.stderr).toMatch(WARNING);
  const verified = await repo.verify(repo.path('All', 'pkg_summary.asc'), { at: VERIFY_AT });
  expectVerified(verified);
  const signedText = Buffer.from(verified.stdout, 'latin1');
  expect(signedText.toString('latin1').replace(/^FILE_(SIZE|CKSUM)=.*\n/gm, '')).toBe(SIGNABLE);
  for (const form of FORMS) {
    const text = await decompress(await fs.readFile(repo.path('All', form)), form, 1 << 20);
    expect({ form, same: text.equals(signedText) }).toEqual({ form, same: true });
  }
  const asc = await fs.readFile(repo.path('All', 'pkg_summary.asc'));
  for (const form of FORMS.map((f) => f.replace('pkg_summary', 'pkg_summary.asc'))) {
    expect({
      form,
      same: (await decompress(await fs.readFile(repo.path('All', form)), form, 1 << 20)).equals(asc),
    }).toEqual({ form, same: true });
  }
});

test('sign-summary: the signed text is the input without them, and standard error says so', async () => {
  const result = await repo.trySign({
    summary: path.join('build', 'pkg_summary.gz'),
    out: 'signed.asc',
    args: ['--packages', repo.path('build')],
  });
  expect(result.result.status).toBe(0);
  expect(result.result.stderr).toMatch(WARNING);
  const verified = await repo.verify(result.file, { at: VERIFY_AT, stateDir: repo.path('state-sign') });
  expectVerified(verified);
  expect(verified.stdout.replace(/^FILE_(SIZE|CKSUM)=.*\n/gm, '')).toBe(SIGNABLE);
  // A clean text: no warning.
  await fs.writeFile(repo.path('clean'), SIGNABLE);
  const clean = await repo.trySign({ summary: 'clean', out: 'clean.asc' });
  expect(clean.result.stderr).not.toMatch(/warning/);
});
