/**
 * The verifier's edges (lib/verify/index.ts) and a signed index's own steps (lib/verify/summary.ts)
 * called directly: files in, decompression whatever the mirror served, the signed document's steps,
 * freshness against the state, then the pkg_summary grammar; then the packages.
 */
import { promises as fs } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { DEFAULT_POLICY } from '../../lib/trust/policy';
import { type IndexRequest, verifyPackagesFile, verifyIndexData, verifyIndexFile } from '../../lib/verify/index';
import { ClientState, clockAt } from '../../lib/verify/state';
import { verifyIndex } from '../../lib/verify/summary';
import { expectCode } from '../helpers/caught';
import { REPO, type Repo, SIGNED_AT, VERIFY_AT, entry, withSignedRepo } from '../helpers/repo';
import { day } from '../helpers/world';

const signed = withSignedRepo([
  { pkgname: 'foo-1.0', content: Buffer.from('foo') },
  { pkgname: 'bar-2.0', content: Buffer.from('bar') },
]);
let repo: Repo;
let summary: string;
beforeAll(async () => {
  repo = signed.repo;
  summary = await fs.readFile(repo.path('pkg_summary'), 'utf8');
});

let states = 0;
/** A request against the repository's anchor and keyring, with a state directory of its own. */
const request = (file: string, o: Partial<IndexRequest> = {}): IndexRequest => ({
  file,
  repository: REPO,
  clock: clockAt(VERIFY_AT, null),
  policy: DEFAULT_POLICY,
  sources: {
    anchors: [repo.path('master.asc')],
    keyring: repo.path('keyring.asc'),
    stateDir: repo.path(`state-${++states}`),
  },
  ...o,
});

describe('verifyIndexFile', () => {
  it('reads the files, verifies, records the signature, and gives back the pkg_summary and what it holds', async () => {
    const file = await repo.write('index.asc', await repo.signIndex(summary));
    const req = request(file);
    const verified = await verifyIndexFile(req);
    expect(verified.text.toString()).toBe(summary);
    expect(verified).toMatchObject({
      entries: 2,
      repository: REPO,
      signer: repo.host.fingerprint,
      signed: SIGNED_AT,
      expires: day(7, SIGNED_AT),
    });
    expect(await new ClientState(req.sources.stateDir).newest(REPO)).toEqual({
      repository: REPO,
      signed: SIGNED_AT,
      signer: repo.host.fingerprint,
    });
  });

  it('IO_ERROR: an index, an anchor or a keyring that cannot be read', async () => {
    const file = await repo.write('index.asc', await repo.signIndex(summary));
    await expectCode(verifyIndexFile(request(repo.path('absent.asc'))), 'IO_ERROR');
    const anchors = request(file);
    anchors.sources.anchors = [repo.path('absent-anchor.asc')];
    await expectCode(verifyIndexFile(anchors), 'IO_ERROR');
  });
});

describe('verifyIndexData', () => {
  it('takes the index compressed as a mirror serves it, and leaves the bytes it was given as they were', async () => {
    const signed = await repo.signIndex(summary);
    const gz = gzipSync(signed);
    const copy = Buffer.from(gz);
    const verified = await verifyIndexData(gz, 'index.asc.gz', {
      graph: await repo.world.graph(repo.master),
      repository: REPO,
      now: VERIFY_AT,
      policy: DEFAULT_POLICY,
      newest: null,
    });
    expect(verified.text.toString()).toBe(summary);
    expect(gz.equals(copy)).toBe(true);
    const plain = Buffer.from(signed);
    await verifyIndexData(plain, 'index.asc', {
      graph: await repo.world.graph(repo.master),
      repository: REPO,
      now: VERIFY_AT,
      policy: DEFAULT_POLICY,
      newest: null,
    });
    expect(plain.equals(signed)).toBe(true);
  });

  it('INDEX_MALFORMED: compressed data that does not decompress', async () => {
    const broken = gzipSync(await repo.signIndex(summary)).subarray(0, 100);
    const options = {
      graph: await repo.world.graph(repo.master),
      repository: REPO,
      now: VERIFY_AT,
      policy: DEFAULT_POLICY,
      newest: null,
    };
    const error = await expectCode(verifyIndexData(broken, 'index.asc.gz', options), 'INDEX_MALFORMED');
    expect(error.message).toMatch(/^index\.asc\.gz: corrupt gzip data: /);
  });
});

describe('verifyIndex: freshness, then the grammar', () => {
  // The verifier is pure: it is given the newest signature accepted, and records nothing.
  const options = async (newest: Date | null) => ({
    graph: await repo.world.graph(repo.master),
    repository: REPO,
    now: VERIFY_AT,
    policy: DEFAULT_POLICY,
    newest: newest && { repository: REPO, signed: newest, signer: repo.host.fingerprint },
  });

  it('ROLLBACK: an index signed before the one already accepted, however valid', async () => {
    await verifyIndex(await repo.signIndex(summary, { created: day(-1, SIGNED_AT) }), 'older.asc', await options(null));
    await verifyIndex(await repo.signIndex(summary), 'newer.asc', await options(day(-1, SIGNED_AT)));
    await verifyIndex(await repo.signIndex(summary), 'newer-again.asc', await options(SIGNED_AT));
    await expectCode(
      verifyIndex(
        await repo.signIndex(summary, { created: day(-1, SIGNED_AT) }),
        'older.asc',
        await options(SIGNED_AT),
      ),
      'ROLLBACK',
    );
  });

  it('SUMMARY_MALFORMED: signed text that is no pkg_summary, judged only after the signature and freshness held; nothing recorded', async () => {
    const error = await expectCode(
      verifyIndex(
        await repo.signIndex('PKGNAME=foo-1.0\nthis line has no equals sign\n\n'),
        'bad.asc',
        await options(null),
      ),
      'SUMMARY_MALFORMED',
    );
    expect(error.message).toContain('bad.asc');
    // Through the edge: a malformed index does not advance the rollback state.
    const req = request(
      await repo.write('bad.asc', await repo.signIndex('PKGNAME=foo-1.0\nthis line has no equals sign\n\n')),
    );
    await expectCode(verifyIndexFile(req), 'SUMMARY_MALFORMED');
    expect(await new ClientState(req.sources.stateDir).newest(REPO)).toBeNull();
  });
});

describe('verifyPackagesFile', () => {
  it('verifies the index, then each package against it', async () => {
    const file = await repo.write(
      'index.asc',
      await repo.signIndex(summary + entry('gone-1.0', [], Buffer.from('gone'))),
    );
    const { index, packages } = await verifyPackagesFile({
      ...request(file),
      dir: repo.path('All'),
      names: [],
      jobs: 2,
    });
    expect(index.entries).toBe(3);
    expect(packages.map((p) => [p.pkgname, p.ok ? 'ok' : p.code])).toEqual([
      ['foo-1.0', 'ok'],
      ['bar-2.0', 'ok'],
      ['gone-1.0', 'PACKAGE_MISSING'],
    ]);
  });

  it('fails with the index, and no package result, when the index does not verify', async () => {
    const file = await repo.write('index.asc', await repo.signIndex(summary, { notations: [] }));
    await expectCode(
      verifyPackagesFile({ ...request(file), dir: repo.path('All'), names: [], jobs: 2 }),
      'REPOSITORY_MISMATCH',
    );
  });
});
