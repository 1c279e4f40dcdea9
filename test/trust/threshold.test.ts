/**
 * The threshold layer over the engine: scopes per anchor (each path grants the intersection of its
 * links' scopes; a repository is granted when k anchors each grant it), k = 1 as the engine answers
 * alone, and no caller that goes around the layer.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { authorize } from '../../lib/trust/chain';
import { DEFAULT_POLICY } from '../../lib/trust/policy';
import { checkRepository } from '../../lib/trust/scope';
import { authorizeAllThreshold, authorizeThreshold } from '../../lib/trust/threshold';
import { NOW } from '../helpers/chain';
import { type TestKey, World, day } from '../helpers/world';

const policy = (k: number) => ({ ...DEFAULT_POLICY, anchorThreshold: k });
const asked = (repository: string | null) => (repository === null ? null : checkRepository(repository));

async function judge(w: World, anchors: TestKey[], key: TestKey, repository: string | null, k = 2) {
  return authorizeThreshold(await w.graph(...anchors), {
    key: key.fingerprint,
    repository: asked(repository),
    signedAt: NOW,
    now: NOW,
    policy: policy(k),
  });
}

const outcome = (v: Awaited<ReturnType<typeof judge>>) =>
  v.trusted ? { trusted: true, granted: v.granted } : { trusted: false, code: v.code };

describe('scopes that differ per anchor', () => {
  let w: World;
  let a: TestKey;
  let b: TestKey;
  let c: TestKey;
  let host: TestKey;
  beforeAll(async () => {
    w = new World();
    [a, b, c] = [await w.key('master-a'), await w.key('master-b'), await w.key('master-c')];
    host = await w.key('host');
    await w.certify(a, host, { scopes: ['NetBSD/x86_64/**'] });
    await w.certify(b, host, { scopes: ['NetBSD/*/10.0/All'] });
    await w.certify(c, host, { scopes: ['SmartOS/**'] });
  });

  it.each([
    ['NetBSD/x86_64/10.0/All', 'trusted'],
    ['NetBSD/x86_64/9.0/All', 'BELOW_THRESHOLD'],
    ['NetBSD/aarch64/10.0/All', 'BELOW_THRESHOLD'],
    ['SmartOS/2025Q4/x86_64/All', 'BELOW_THRESHOLD'],
    ['pkgsrc/other', 'OUT_OF_SCOPE'],
  ])('for %s: %s (a repository needs k anchors that each grant it)', async (repository, expected) => {
    const verdict = await judge(w, [a, b, c], host, repository);
    expect(verdict.trusted ? 'trusted' : verdict.code).toBe(expected);
  });

  it('for any repository, grants what at least k anchors grant, and nothing when no k of them overlap', async () => {
    expect(outcome(await judge(w, [a, b, c], host, null))).toEqual({
      trusted: true,
      granted: ['NetBSD/x86_64/10.0/All'],
    });
    const apart = await judge(w, [a, c], host, null);
    expect(outcome(apart)).toEqual({ trusted: false, code: 'BELOW_THRESHOLD' });
    expect(apart).toMatchObject({ reason: expect.stringContaining('but no repository is granted by 2 of them: ') });
    expect(apart).toMatchObject({ reason: expect.stringContaining(`${a.fingerprint} grants NetBSD/x86_64/**`) });
    expect(apart).toMatchObject({ reason: expect.stringContaining(`${c.fingerprint} grants SmartOS/**`) });
    expect(outcome(await judge(w, [a, b, c], host, null, 1))).toMatchObject({ trusted: true });
    expect(outcome(await judge(w, [a, b, c], host, null, 3))).toEqual({ trusted: false, code: 'BELOW_THRESHOLD' });
  });

  it('counts for each anchor only what its path grants: the intersection of the links', async () => {
    const w2 = new World();
    const [m1, m2] = [await w2.key('master-1'), await w2.key('master-2')];
    const dev = await w2.key('developer');
    const h = await w2.key('host');
    // m1 delegates NetBSD/** only; the developer certifies beyond it; m2 certifies everything.
    await w2.certify(m1, dev, { delegate: 1, scopes: ['NetBSD/**'] });
    await w2.certify(dev, h, { at: day(2), scopes: ['NetBSD/x86_64/**', 'SmartOS/**'] });
    await w2.certify(m2, h, { scopes: ['**'] });
    expect(outcome(await judge(w2, [m1, m2], h, 'NetBSD/x86_64/10.0/All'))).toMatchObject({ trusted: true });
    expect(outcome(await judge(w2, [m1, m2], h, 'SmartOS/2025Q4/x86_64/All'))).toEqual({
      trusted: false,
      code: 'BELOW_THRESHOLD',
    });
    expect(outcome(await judge(w2, [m1, m2], h, null))).toEqual({ trusted: true, granted: ['NetBSD/x86_64/**'] });
  });
});

test('with k = 1 the answer is the engine alone, for every key, every scope', async () => {
  const w = new World();
  const [a, b] = [await w.key('master-a'), await w.key('master-b')];
  const dev = await w.key('developer');
  const hosts = [await w.key('h1'), await w.key('h2'), await w.key('h3'), await w.key('h4'), await w.key('h5')];
  await w.certify(a, dev, { delegate: 1, scopes: ['NetBSD/**'] });
  await w.certify(dev, hosts[0]!, { at: day(2), scopes: ['NetBSD/x86_64/**'] });
  await w.certify(b, hosts[1]!, { scopes: ['pkgsrc/**'] });
  await w.certify(a, hosts[1]!, { scopes: ['NetBSD/**'], expires: day(50) });
  await w.certify(b, hosts[2]!, { scopes: ['NetBSD/**'] });
  await w.revokeKey(hosts[2]!, 'compromised', day(60));
  await w.certify(a, hosts[3]!, { scopes: ['SmartOS/**'] });
  await w.certify(b, hosts[3]!, { scopes: ['NetBSD/aarch64/**'] });
  const graph = await w.graph(a, b);
  for (const repository of ['NetBSD/x86_64/10.0/All', 'pkgsrc/x', 'SmartOS/a', null]) {
    const question = { repository: asked(repository), signedAt: NOW, now: NOW, policy: policy(1) };
    const all = authorizeAllThreshold(graph, question);
    for (const key of [...hosts, dev, a].map((k) => k.fingerprint)) {
      const { threshold: _t, anchors: _a, vouching, ...verdict } = authorizeThreshold(graph, { ...question, key });
      expect(verdict).toEqual(authorize(graph, { ...question, key }));
      expect(vouching.length > 0).toBe(verdict.trusted);
      if (key !== a.fingerprint) expect(all.get(key)).toMatchObject(verdict);
    }
  }
});

test('nothing outside lib/trust asks the engine around the threshold', async () => {
  const root = path.resolve(__dirname, '../..');
  const files: string[] = [];
  const walk = async (dir: string) => {
    for (const entry of await fs.readdir(path.join(root, dir), { withFileTypes: true })) {
      const relative = path.join(dir, entry.name);
      if (entry.isDirectory()) await walk(relative);
      else if (relative.endsWith('.ts')) files.push(relative);
    }
  };
  await walk('lib');
  await walk('cli');
  const offenders = [];
  for (const file of files.filter((f) => !f.startsWith(path.join('lib', 'trust')))) {
    const imports = [
      ...(await fs.readFile(path.join(root, file), 'utf8')).matchAll(
        /import\s*{([^}]*)}\s*from\s*'[^']*trust\/chain'/g,
      ),
    ];
    if (imports.some((m) => /\bauthorize(All)?\b/.test(m[1]!))) offenders.push(file);
  }
  expect(offenders).toEqual([]);
});
