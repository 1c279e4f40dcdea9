/**
 * Attack: a build account talks to the signing daemon directly, past publish and its shrink gate, to
 * have a truncated index signed (a failed build, or packages withdrawn on purpose to hide them). The
 * daemon compares the staged index with the publication in force in the repository directory and
 * refuses one that drops more than max-shrink percent of its packages (PUBLISH_SHRINK). The operator's
 * word for one index (allowShrink, what publish --allow-shrink sends) lets it through, and the audit
 * log records the override with the signature.
 */
import { promises as fs } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { writeAtomic } from '../../lib/fsutil';
import { stagingFile } from '../../lib/publish/repository';
import { signIndexVia, signdRequest } from '../../lib/signd/client';
import { pkgkeys } from '../helpers/cli';
import { REPO, SIGNED_AT, entry, iso } from '../helpers/repo';
import { PASSPHRASE, codeOf, withDaemon } from '../helpers/signd';

const fixture = withDaemon();
const names = Array.from({ length: 10 }, (_, i) => `pkg${i}-1.0`);
/** The truncated index the build account stages itself: 7 of 10 packages. */
const truncated = Buffer.from(
  names
    .slice(0, 7)
    .map((n) => entry(n))
    .join(''),
);

beforeAll(async () => {
  const { repo } = fixture;
  await signdRequest(fixture.config.socket, { op: 'unlock', passphrase: PASSPHRASE });
  await fs.mkdir(repo.path('build'));
  for (const name of names) await fs.writeFile(repo.path('build', `${name}.tgz`), name);
  await fs.writeFile(repo.path('build', 'pkg_summary.gz'), gzipSync(names.map((n) => entry(n)).join('')));
  const published = await pkgkeys([
    'publish',
    '--now',
    iso(SIGNED_AT),
    '--repository',
    REPO,
    '--signd',
    fixture.config.socket,
    ...repo.clientKeyringArgs(),
    '--build',
    repo.path('build'),
    repo.path('All'),
  ]);
  expect(published.status).toBe(0);
  await writeAtomic(stagingFile(repo.path('All')), truncated);
}, 60_000);

test('a truncated index sent straight to the daemon is refused, and nothing is signed', async () => {
  const before = await fixture.records();
  expect(await codeOf(signIndexVia(fixture.config.socket, REPO, truncated))).toBe('PUBLISH_SHRINK');
  expect(fixture.log.at(-1)).toMatch(
    /^pkgkeys: signd: refused: PUBLISH_SHRINK: .* \(NetBSD\/x86_64\/10\.0\/All\): the new index drops 3 of the 10 packages of the previous publication \(30\.0 %, more than the 10 % allowed\): pkg7, pkg8, pkg9; /,
  );
  expect(await fixture.records()).toBe(before);
});

test("with the operator's word for this index it is signed, and the audit record carries the override", async () => {
  const signed = await signIndexVia(fixture.config.socket, REPO, truncated, { allowShrink: true });
  expect(signed.includes(truncated)).toBe(true);
  const last = JSON.parse((await fs.readFile(fixture.config.auditLog, 'utf8')).trim().split('\n').at(-1)!);
  expect(last).toMatchObject({
    repository: REPO,
    overrides: [expect.stringMatching(/^--allow-shrink: .*drops 3 of the 10 packages/)],
  });
  expect(fixture.log).toContainEqual(expect.stringMatching(/^pkgkeys: signd: override for uid \d+: --allow-shrink: /));
});
