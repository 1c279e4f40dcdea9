/**
 * `pkgkeys publish`: a build becomes a signed publication in the repository directory whose files change
 * together: the index for pkgin, the signed index beside it in every form, checksums from the files;
 * again and again (idempotent, --resign), two at once (they take turns), and killed at any point
 * (the previous publication stays whole).
 */
import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { pkgkeys } from '../helpers/cli';
import { BIN } from '../helpers/mirror';
import { REPO, Repo, SIGNED_AT, VERIFY_AT, entry, iso } from '../helpers/repo';
import { buildPackage } from '../../lib/pkgsrc/package';
import { incompressible, packageSpec } from '../helpers/packages';

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

let repo: Repo;
/** The repository directory (what mirrors copy), and the build's own (test/publish/pbulk.test.ts). */
const all = () => repo.path('All');
const built = () => repo.path('build');

/** A build's output: package files and a pkg_summary.gz without checksums, as pkg_info -X writes it. */
async function build(names: string[]): Promise<void> {
  await fs.mkdir(built(), { recursive: true });
  for (const name of names) await fs.writeFile(path.join(built(), `${name}.tgz`), incompressible(2000, name));
  await fs.writeFile(path.join(built(), 'pkg_summary.gz'), gzipSync(names.map((n) => entry(n)).join('')));
}

const publish = (args: string[] = ['--build', built()], at = SIGNED_AT) =>
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
    all(),
  ]);

/** verify-packages of the published signed index against the directory, with fresh rollback state. */
async function verifyPublished(at = VERIFY_AT): Promise<{ status: number; stdout: string; stderr: string }> {
  const state = repo.path(`state-${Math.random().toString(36).slice(2)}`);
  return repo.verifyPackages(path.join(all(), 'pkg_summary.asc'), [], { at, stateDir: state });
}

beforeEach(async () => {
  repo = await Repo.create();
});
afterEach(() => repo.cleanup());

test('every form is published as a link into one generation; the signed index verifies against the files', async () => {
  await build(['foo-1.0', 'bar-2.0']);
  const result = await publish();
  expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 0, stderr: '' });
  for (const form of FORMS) expect(await fs.readlink(path.join(all(), form))).toBe(`.pkgkeys/current/${form}`);
  const text = gunzipSync(await fs.readFile(path.join(all(), 'pkg_summary.gz'))).toString();
  expect(text.match(/^FILE_CKSUM=sha256 [0-9a-f]{64}$/gm)).toHaveLength(2);
  expect(await verifyPublished()).toMatchObject({ status: 0, stdout: `2 package(s) match the index for ${REPO}\n` });
  // The signed forms are the same signed text.
  const asc = await fs.readFile(path.join(all(), 'pkg_summary.asc'));
  expect(gunzipSync(await fs.readFile(path.join(all(), 'pkg_summary.asc.gz'))).equals(asc)).toBe(true);
});

test('publishing again, and --resign later, keep a publication that verifies; one generation back is kept', async () => {
  await build(['foo-1.0']);
  expect((await publish()).status).toBe(0);
  expect((await publish(undefined, new Date(SIGNED_AT.getTime() + 60_000))).status).toBe(0);
  const later = new Date(SIGNED_AT.getTime() + 6 * 86400_000);
  const resigned = await publish(['--resign'], later);
  expect(resigned.status).toBe(0);
  const verified = await repo.verify(path.join(all(), 'pkg_summary.asc'), {
    at: new Date(later.getTime() + 3600_000),
    stateDir: repo.path('state-resign'),
    args: ['--json'],
  });
  expect(JSON.parse(verified.stdout)).toMatchObject({ ok: true, signed: iso(later).replace('.000', '') });
  expect(await fs.readdir(path.join(all(), '.pkgkeys/generations'))).toHaveLength(2);
});

test('a new build is published: its new package copied in, the unchanged one left, the withdrawn one removed', async () => {
  await build(['foo-1.0', 'bar-2.0']);
  expect((await publish()).stdout).toMatch(/, 2 package\(s\) copied, 0 removed,/);
  await fs.rm(path.join(built(), 'bar-2.0.tgz'));
  await build(['foo-1.0', 'baz-3.0']);
  // One package of two withdrawn is more than the share a publication may lose (PUBLISH_SHRINK): the operator says so.
  const published = await publish(['--build', built(), '--allow-shrink'], new Date(SIGNED_AT.getTime() + 60_000));
  expect(published.stdout).toMatch(/, 1 package\(s\) copied, 1 removed,/);
  expect(published.stderr).toMatch(
    /^pkgkeys: override: --allow-shrink: .*: the new index drops 1 of the 2 packages of the previous publication \(50\.0 %, more than the 10 % allowed\): bar\n$/,
  );
  expect((await fs.readdir(all())).filter((n) => n.endsWith('.tgz')).sort()).toEqual(['baz-3.0.tgz', 'foo-1.0.tgz']);
  expect((await verifyPublished()).stdout).toBe(`2 package(s) match the index for ${REPO}\n`);
});

test('two publish runs at once take turns, and both succeed', async () => {
  await build(['foo-1.0', 'bar-2.0']);
  const [a, b] = await Promise.all([publish(), publish(undefined, new Date(SIGNED_AT.getTime() + 1000))]);
  expect([a.status, b.status]).toEqual([0, 0]);
  expect((await verifyPublished()).status).toBe(0);
});

test('--sign-packages signs every package in place for pkg_add; the index describes the signed files', async () => {
  const rsa = await Repo.create({ hostType: 'rsa3072' });
  await repo.cleanup();
  repo = rsa;
  await build(['foo-1.0']);
  // A package must be a real package (+CONTENTS first) to be signed.
  await fs.writeFile(path.join(built(), 'foo-1.0.tgz'), buildPackage(packageSpec('foo-1.0', incompressible(5000))));
  const result = await publish(['--build', built(), '--sign-packages']);
  expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 0, stderr: '' });
  expect(result.stdout).toMatch(/1 package\(s\) signed/);
  expect((await fs.readFile(path.join(all(), 'foo-1.0.tgz'))).subarray(0, 8).toString()).toBe('!<arch>\n');
  expect((await verifyPublished()).status).toBe(0);
  const checked = await pkgkeys([
    'verify-package',
    '--now',
    iso(VERIFY_AT),
    '--anchor',
    repo.path('master.asc'),
    '--keyring',
    repo.path('keyring.asc'),
    path.join(all(), 'foo-1.0.tgz'),
  ]);
  expect(checked.status).toBe(0);
  // Publishing again signs nothing twice.
  expect(
    (await publish(['--build', built(), '--sign-packages'], new Date(SIGNED_AT.getTime() + 60_000))).stdout,
  ).not.toMatch(/signed,/);
}, 60_000);

test('killed at any point, the repository still holds a publication that verifies against its files', async () => {
  const names = Array.from({ length: 150 }, (_, i) => `pkg${i}-1.0`);
  await build(names.slice(0, 100));
  expect((await publish()).status).toBe(0);
  for (const [i, delay] of [50, 120, 200, 300, 400, 550, 700, 900].entries()) {
    await build(names.slice(0, 100 + (i + 1) * 5));
    const at = new Date(SIGNED_AT.getTime() + (i + 1) * 60_000);
    const child = spawn(
      process.execPath,
      [
        BIN,
        'publish',
        '--now',
        iso(at),
        '--repository',
        REPO,
        '--key',
        repo.path('host-secret.asc'),
        ...repo.clientKeyringArgs(),
        '--build',
        built(),
        all(),
      ],
      { stdio: 'ignore' },
    );
    const exited = new Promise((resolve) => child.on('exit', resolve));
    await new Promise((resolve) => setTimeout(resolve, delay));
    child.kill('SIGKILL');
    await exited;
    const verified = await verifyPublished(new Date(at.getTime() + 3600_000));
    expect({ delay, status: verified.status, stderr: verified.stderr }).toEqual({ delay, status: 0, stderr: '' });
  }
}, 120_000);
