/**
 * A bulk build writes its index as pbulk does (pkgtools/pbulk scripts/build), run here by sh with the
 * real gzip and bzip2, again and again:
 *
 *     sed 's/$/.tgz/' < ${loc}/success | sort | xargs ${pkg_info} -X | ${gzip} -c > pkg_summary.gz
 *     ${gzip} -dc < pkg_summary.gz | ${bzip2} -c > pkg_summary.bz2
 *
 * Between publishes, what a mirror would copy stays byte for byte what was published; each publish signs
 * exactly the text that build wrote, and every published form holds that one text. A build's
 * redirection cannot reach a published file, and a publication that something wrote into is never signed
 * again.
 */
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { pkgkeys } from '../helpers/cli';
import { incompressible } from '../helpers/packages';
import { REPO, Repo, SIGNED_AT, codeOf, entry, expectRefusal, iso } from '../helpers/repo';
import { decompress } from '../../lib/summary/compress';

const FORMS = [
  'pkg_summary.gz',
  'pkg_summary.bz2',
  'pkg_summary.xz',
  'pkg_summary.zst',
  'pkg_summary.asc',
  'pkg_summary.asc.gz',
  'pkg_summary.asc.bz2',
  'pkg_summary.asc.xz',
  'pkg_summary.asc.zst',
];
const MINUTE = 60_000;

let repo: Repo;
/** pbulk's ${packages}/All, the build's own directory; and the repository directory, which mirrors copy. */
const build = () => repo.path('packages', 'All');
const published = () => repo.path('All');

/** pkg_info -X, standing in for pkg_install's: prints the entry of each package file named. */
const PKG_INFO = `#!/bin/sh
[ "$1" = -X ] || exit 2
shift
for f; do cat "$INFO/\${f%.tgz}"; done
`;

beforeEach(async () => {
  repo = await Repo.create();
  await fs.mkdir(build(), { recursive: true });
  await fs.mkdir(repo.path('loc'));
  await fs.mkdir(repo.path('info'));
  await fs.writeFile(repo.path('pkg_info'), PKG_INFO, { mode: 0o755 });
});
afterEach(() => repo.cleanup());

/**
 * One bulk build: `packages` (name -> contents) written into the build's directory as a build does,
 * in place over the last build's file of that name, the last build's others deleted; then pbulk's two
 * lines, by sh. Returns the text pkg_info -X wrote.
 */
async function pbulkBuild(packages: Record<string, string>): Promise<string> {
  for (const name of await fs.readdir(build()))
    if (name.endsWith('.tgz') && !(name.slice(0, -4) in packages)) await fs.rm(path.join(build(), name));
  for (const [name, seed] of Object.entries(packages)) {
    await fs.writeFile(path.join(build(), `${name}.tgz`), incompressible(3000, seed));
    await fs.writeFile(repo.path('info', name), entry(name, [`BUILD_DATE=${seed}`]));
  }
  await fs.writeFile(
    repo.path('loc', 'success'),
    Object.keys(packages)
      .map((n) => `${n}\n`)
      .join(''),
  );
  const script = [
    'set -e',
    'cd "$packages/All"',
    'sed \'s/$/.tgz/\' < "$loc/success" | sort | xargs "$pkg_info" -X | gzip -c > pkg_summary.gz',
    'gzip -dc < pkg_summary.gz | bzip2 -c > pkg_summary.bz2',
  ].join('\n');
  const env = {
    ...process.env,
    packages: repo.path('packages'),
    loc: repo.path('loc'),
    pkg_info: repo.path('pkg_info'),
    INFO: repo.path('info'),
  };
  await new Promise<void>((resolve, reject) =>
    execFile('sh', ['-c', script], { env }, (error, _out, stderr) =>
      error ? reject(new Error(`${error.message}: ${stderr}`)) : resolve(),
    ),
  );
  return Object.keys(packages)
    .sort()
    .map((n) => entry(n, [`BUILD_DATE=${packages[n]}`]))
    .join('');
}

const publish = (at: Date, args: string[] = ['--build', build()]) =>
  pkgkeys([
    'publish',
    '--now',
    iso(at),
    '--repository',
    REPO,
    '--key',
    repo.path('host-secret.asc'),
    ...repo.clientKeyringArgs(),
    ...args,
    published(),
  ]);

/** The bytes a mirror copies (rsync -L): every form, and every file in the repository directory. */
async function mirrorView(): Promise<Record<string, string>> {
  const view: Record<string, string> = {};
  for (const name of (await fs.readdir(published())).filter((n) => !n.startsWith('.')).sort()) {
    view[name] = (await fs.readFile(path.join(published(), name))).toString('base64');
  }
  return view;
}

/** Every form decompressed; the text verify-summary verified; and verify-packages of the repository directory. */
async function checkPublication(at: Date, built: string, packages: number): Promise<void> {
  const verified = await repo.verify(path.join(published(), 'pkg_summary.asc'), {
    at: new Date(at.getTime() + MINUTE),
    stateDir: repo.path(`state-${at.getTime()}`),
  });
  expect({ status: verified.status, stderr: verified.stderr }).toEqual({ status: 0, stderr: '' });
  const text = Buffer.from(verified.stdout, 'latin1');
  const asc = await fs.readFile(path.join(published(), 'pkg_summary.asc'));
  for (const form of FORMS) {
    const plain = await decompress(await fs.readFile(path.join(published(), form)), form, 1 << 20);
    expect({ form, same: plain.equals(form.startsWith('pkg_summary.asc') ? asc : text) }).toEqual({ form, same: true });
  }
  // Exactly the build's text, with the checksums publish adds.
  expect(text.toString('latin1').replace(/^FILE_(SIZE|CKSUM)=.*\n/gm, '')).toBe(built);
  const checked = await pkgkeys([
    'verify-packages',
    ...repo.trustArgs({ at: new Date(at.getTime() + MINUTE), stateDir: repo.path(`pkgs-${at.getTime()}`) }),
    path.join(published(), 'pkg_summary.asc'),
    published(),
  ]);
  expect({ status: checked.status, stdout: checked.stdout }).toEqual({
    status: 0,
    stdout: `${packages} package(s) match the index for ${REPO}\n`,
  });
}

test('three builds in a row, each written as pbulk writes it: a build never changes what mirrors copy; each publish signs exactly that build', async () => {
  const builds = [
    { foo: 'foo-1', bar: 'bar-1' },
    { foo: 'foo-2', bar: 'bar-1', baz: 'baz-1' }, // foo rebuilt (new bytes, same name), baz new
    { foo: 'foo-3', baz: 'baz-1', qux: 'qux-1' }, // bar gone
  ];
  let before: Record<string, string> | null = null;
  for (const [i, packages] of builds.entries()) {
    const names = Object.fromEntries(Object.entries(packages).map(([name, seed]) => [`${name}-1.0`, seed]));
    const built = await pbulkBuild(names);
    // What was published is untouched by the build, byte for byte (the first time there is nothing yet).
    if (before) expect(await mirrorView()).toEqual(before);
    const at = new Date(SIGNED_AT.getTime() + i * 10 * MINUTE);
    // bar going is one package of three: more than the default share (PUBLISH_SHRINK), so this repository allows a half.
    const result = await publish(at, ['--build', build(), '--max-shrink', '50']);
    expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 0, stderr: '' });
    await checkPublication(at, built, Object.keys(names).length);
    // Published names are never files or links a redirection in the build's directory reaches.
    for (const form of FORMS)
      expect((await fs.readlink(path.join(published(), form))).startsWith('.pkgkeys/current/')).toBe(true);
    before = await mirrorView();
    expect(
      Object.keys(before)
        .filter((n) => n.endsWith('.tgz'))
        .sort(),
    ).toEqual(
      Object.keys(names)
        .map((n) => `${n}.tgz`)
        .sort(),
    );
  }
  // Another build between publishes, and only a new signature meanwhile (cron): still the last build's text.
  await pbulkBuild({ 'late-1.0': 'late-1' });
  const resigned = await publish(new Date(SIGNED_AT.getTime() + 60 * MINUTE), ['--resign']);
  expect(resigned.status).toBe(0);
  const view = await mirrorView();
  expect(
    Object.keys(view)
      .filter((n) => n.endsWith('.tgz'))
      .sort(),
  ).toEqual(['baz-1.0.tgz', 'foo-1.0.tgz', 'qux-1.0.tgz']);
});

test('a build whose index forms disagree, or that wrote none, is refused, and the publication stays as it was', async () => {
  await pbulkBuild({ 'foo-1.0': 'foo-1' });
  expect((await publish(SIGNED_AT)).status).toBe(0);
  const before = await mirrorView();
  // A pkg_summary.xz left from some other tool, beside this build's .gz and .bz2.
  await pbulkBuild({ 'foo-1.0': 'foo-2', 'bar-1.0': 'bar-1' });
  await fs.writeFile(path.join(build(), 'pkg_summary.xz'), await fs.readFile(path.join(published(), 'pkg_summary.xz')));
  const conflicting = await publish(new Date(SIGNED_AT.getTime() + MINUTE));
  expectRefusal(conflicting, 'BAD_INPUT', 2);
  expect(conflicting.stderr).toMatch(/All\/pkg_summary\.xz and .*All\/pkg_summary\.bz2 hold different indexes/);
  for (const name of await fs.readdir(build()))
    if (name.startsWith('pkg_summary')) await fs.rm(path.join(build(), name));
  expectRefusal(await publish(new Date(SIGNED_AT.getTime() + 2 * MINUTE)), 'NOT_FOUND', 3);
  // Neither a build nor --resign; and the build's directory as the repository directory.
  expectRefusal(await publish(new Date(SIGNED_AT.getTime() + 3 * MINUTE), []), 'USAGE', 2);
  const same = await pkgkeys([
    'publish',
    '--now',
    iso(SIGNED_AT),
    '--repository',
    REPO,
    '--key',
    repo.path('host-secret.asc'),
    ...repo.clientKeyringArgs(),
    '--build',
    published(),
    published(),
  ]);
  expectRefusal(same, 'USAGE', 2);
  expect(await mirrorView()).toEqual(before);
});

test('a publication something wrote into (pbulk run in the repository directory) is never signed again; a build replaces it', async () => {
  await pbulkBuild({ 'foo-1.0': 'foo-1' });
  expect((await publish(SIGNED_AT)).status).toBe(0);
  // pbulk's first line run in the repository directory itself: the redirection follows the link.
  await new Promise<void>((resolve, reject) =>
    execFile('sh', ['-c', `printf 'PKGNAME=evil-1.0\\n\\n' | gzip -c > "${published()}/pkg_summary.gz"`], (error) =>
      error ? reject(error) : resolve(),
    ),
  );
  const resigned = await publish(new Date(SIGNED_AT.getTime() + MINUTE), ['--resign']);
  expectRefusal(resigned, 'HASH_MISMATCH');
  expect(resigned.stderr).toMatch(/pkg_summary\.gz no longer holds the published text/);
  // The next build's publish replaces the generation, and says what it found.
  const built = await pbulkBuild({ 'foo-1.0': 'foo-1', 'bar-1.0': 'bar-1' });
  const at = new Date(SIGNED_AT.getTime() + 2 * MINUTE);
  const result = await publish(at);
  expect({ status: result.status, code: codeOf(result) }).toEqual({ status: 0, code: null });
  expect(result.stderr).toMatch(
    /^pkgkeys: warning: .*pkg_summary\.gz no longer holds the published text .*every package copied again, and the new index is not compared with it \(PUBLISH_SHRINK\)\n$/,
  );
  await checkPublication(at, built, 2);
});
