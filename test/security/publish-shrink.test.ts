/**
 * Attack (by accident): a bulk build fails half-way and its truncated pkg_summary is published, and
 * every client's next `pkgin upgrade` sees most packages withdrawn. publish refuses (PUBLISH_SHRINK)
 * a new index that drops more than --max-shrink percent (default 10) of the previous publication's
 * packages, compared by PKGBASE (an update drops nothing), and leaves the previous publication as it
 * was, packages included. --allow-shrink lets one such publication through, said on standard error and
 * recorded in the repository's .pkgkeys/overrides.log; it carries over to nothing after it.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { pkgkeys } from '../helpers/cli';
import { REPO, Repo, SIGNED_AT, entry, iso } from '../helpers/repo';

let repo: Repo;
const build = () => repo.path('build');
const all = () => repo.path('All');
const names = Array.from({ length: 20 }, (_, i) => `pkg${i}-1.0`);
let step = 0;

beforeEach(async () => {
  repo = await Repo.create();
  step = 0;
  await writeBuild(names);
  expect((await publish()).status).toBe(0);
}, 60_000);
afterEach(() => repo.cleanup());

/** A build's output: these packages and its pkg_summary.gz. */
async function writeBuild(list: string[]): Promise<void> {
  await fs.rm(build(), { recursive: true, force: true });
  await fs.mkdir(build());
  for (const name of list) await fs.writeFile(path.join(build(), `${name}.tgz`), `${name} package`);
  await fs.writeFile(path.join(build(), 'pkg_summary.gz'), gzipSync(list.map((n) => entry(n)).join('')));
}

/** Each publication a minute after the one before. */
const publish = (args: string[] = []) =>
  pkgkeys([
    'publish',
    '--now',
    iso(new Date(SIGNED_AT.getTime() + step++ * 60_000)),
    '--repository',
    REPO,
    '--key',
    repo.path('host-secret.asc'),
    ...repo.clientKeyringArgs(),
    ...args,
    '--build',
    build(),
    all(),
  ]);

/** What a mirror copies: every package and the signed index, byte for byte. */
async function mirrorView(): Promise<Record<string, string>> {
  const view: Record<string, string> = {};
  for (const name of (await fs.readdir(all())).filter((n) => !n.startsWith('.')).sort())
    view[name] = (await fs.readFile(path.join(all(), name))).toString('base64');
  return view;
}

test('a build that lost 3 of 20 packages (15 %) is refused; the previous publication stays, packages and all', async () => {
  const before = await mirrorView();
  await writeBuild(names.slice(0, 17));
  const result = await publish();
  expect(result.status).toBe(1);
  expect(result.stderr).toBe(
    `pkgkeys: PUBLISH_SHRINK: ${all()} (${REPO}): the new index drops 3 of the 20 packages of the previous publication (15.0 %, more than the 10 % allowed): pkg17, pkg18, pkg19; a failed or partial build? If the packages are meant to go, publish once with --allow-shrink\n`,
  );
  expect(await mirrorView()).toEqual(before);
  await expect(fs.stat(path.join(all(), '.pkgkeys', 'overrides.log'))).rejects.toThrow(/ENOENT/);
});

test('2 of 20 (10 %) is within the default; every package updated to a new version drops nothing', async () => {
  await writeBuild(names.slice(0, 18));
  expect((await publish()).status).toBe(0);
  await writeBuild(names.slice(0, 18).map((n) => n.replace(/-1\.0$/, '-1.1')));
  const updated = await publish();
  expect({ status: updated.status, stderr: updated.stderr }).toEqual({ status: 0, stderr: '' });
});

test('--max-shrink sets the share for a repository that sheds more as a rule', async () => {
  await writeBuild(names.slice(0, 15));
  expect((await publish(['--max-shrink', '20'])).status).toBe(1);
  expect((await publish(['--max-shrink', '25'])).status).toBe(0);
  expect((await publish(['--max-shrink', '100'])).status).toBe(2);
});

test('--allow-shrink publishes this one index, says so on standard error and records it; the next publication is judged afresh', async () => {
  await writeBuild(names.slice(0, 5));
  const allowed = await publish(['--allow-shrink']);
  expect(allowed.status).toBe(0);
  expect(allowed.stderr).toMatch(
    /^pkgkeys: override: --allow-shrink: .*: the new index drops 15 of the 20 packages of the previous publication \(75\.0 %, more than the 10 % allowed\): pkg10, pkg11, .*, \.\.\.\n$/,
  );
  const log = (await fs.readFile(path.join(all(), '.pkgkeys', 'overrides.log'), 'utf8'))
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  expect(log).toEqual([
    {
      time: '2026-04-11T00:01:00Z',
      uid: process.getuid!(),
      override: expect.stringMatching(/^--allow-shrink: .*drops 15 of the 20 packages/) as string,
    },
  ]);
  expect((await fs.readdir(all())).filter((n) => n.endsWith('.tgz'))).toHaveLength(5);

  await writeBuild(names.slice(0, 1));
  expect((await publish()).status).toBe(1);
});
