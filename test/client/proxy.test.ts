/**
 * The verifying proxy against a real published.upstream on 127.0.0.1, driven by pkgin's request sequence. The
 * attacks it refuses have a file each under test/security/proxy-*.test.ts.
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as http from 'node:http';
import { type PackageSpec, SIGNED_AT } from '../helpers/repo';
import {
  ClientRoot,
  Upstream,
  packagesOf,
  pkginPackage,
  pkginSummary,
  summaryOf,
  withPublished,
} from '../helpers/upstream';

const packages = packagesOf({ 'foo-1.0': 3000, 'bar-2.1nb3': 70_000, 'baz-0.9': 1 });

const published = withPublished(packages);

test('pkgin gets the verified text, dated by the signature, then 304 while it is unchanged, then the packages', async () => {
  const { proxy, log, repoURL } = await published.client.proxy();
  try {
    const first = await pkginSummary(repoURL);
    expect(first.tried).toEqual([{ ext: 'zst', status: 200 }]);
    expect(first.outcome.status).toBe(200);
    const got = first.outcome as { text: Buffer; lastModified: string };
    expect(got.text.toString('latin1')).toBe(summaryOf(packages));
    expect(got.lastModified).toBe(SIGNED_AT.toUTCString());

    const again = await pkginSummary(repoURL, got.lastModified);
    expect(again.outcome).toEqual({ status: 304 });

    for (const p of packages) {
      const res = await pkginPackage(repoURL, p.pkgname);
      expect({ status: res.status, truncated: res.truncated, same: res.body.equals(p.content) }).toEqual({
        status: 200,
        truncated: false,
        same: true,
      });
    }
    expect(log).toEqual([]);
  } finally {
    await proxy.close();
  }
});

test('cached packages unused for a week are removed when a proxy starts; those in use are kept', async () => {
  const first = await published.client.proxy();
  try {
    for (const p of packages) expect((await pkginPackage(first.repoURL, p.pkgname)).status).toBe(200);
  } finally {
    await first.proxy.close();
  }
  const cached = await published.client.cacheFiles();
  expect(cached).toHaveLength(packages.length);
  const old = new Date(Date.now() - 8 * 86400_000);
  await fs.utimes(published.client.path('var/db/pkgkeys/cache', cached[0]!), old, old);
  const second = await published.client.proxy();
  await second.proxy.close();
  expect(await published.client.cacheFiles()).toEqual(cached.slice(1));
});

describe('many pkgin processes at once', () => {
  const many = packagesOf({
    'a-1.0': 20_000,
    'b-1.0': 65_536,
    'c-1.0': 150_000,
    'd-1.0': 400_000,
    'e-1.0': 700_000,
    'f-1.0': 1_000_000,
  });
  let own: Upstream;
  beforeAll(async () => {
    own = await Upstream.start();
    await own.publish(many);
  }, 60_000);
  afterAll(() => own?.stop());

  test.each([
    ['after the summary was fetched', true],
    ['before any index was verified', false],
  ])(
    '200 concurrent requests %s get the right bytes; each package is fetched published.upstream once and cached once',
    async (_when, summaryFirst) => {
      const ownClient = await ClientRoot.create(own, own.repo.path(summaryFirst ? 'client-pkgin' : 'client-cold'));
      const { proxy, log, repoURL } = await ownClient.proxy();
      const before = own.mirror.requests.length;
      try {
        if (summaryFirst) expect((await pkginSummary(repoURL)).outcome.status).toBe(200);
        const asked = Array.from({ length: 200 }, (_, i) => many[(i * 7) % many.length]!);
        const answers = await Promise.all(asked.map((p) => pkginPackage(repoURL, p.pkgname)));
        const wrong = answers.flatMap((res, i) =>
          res.status === 200 && !res.truncated && res.body.equals(asked[i]!.content)
            ? []
            : [`${i} ${asked[i]!.pkgname}: ${res.status} ${res.body.length}`],
        );
        expect(wrong).toEqual([]);
        expect(log).toEqual([]);

        const fetched: Record<string, number> = {};
        for (const r of own.mirror.requests.slice(before))
          if (r.path.endsWith('.tgz')) fetched[r.path] = (fetched[r.path] ?? 0) + 1;
        expect(fetched).toEqual(Object.fromEntries(many.map((p) => [`${p.pkgname}.tgz`, 1])));
        const sha = (p: { content: Buffer }) => createHash('sha256').update(p.content).digest('hex');
        expect(await ownClient.cacheFiles()).toEqual(many.map((p) => `${sha(p)}.tgz`).sort());
      } finally {
        await proxy.close();
      }
    },
  );
});

/** A proxy in front of a mirror of its own publishing `packages`, for one test. */
async function withOwnProxy(
  packages: PackageSpec[],
  body: (served: { log: string[]; repoURL: string }) => Promise<void>,
): Promise<void> {
  const own = await Upstream.start();
  try {
    await own.publish(packages);
    const { proxy, log, repoURL } = await (await ClientRoot.create(own)).proxy();
    try {
      await body({ log, repoURL });
    } finally {
      await proxy.close();
    }
  } finally {
    await own.stop();
  }
}

test("packages whose names share a hash in the proxy's map of the index are each served as their own", async () => {
  // FNV-1a gives both names 0xf9173c7f: the map points at both entries, and the entry read decides.
  const twins = packagesOf({ 'collide462789-1.0': 3000, 'collide679192-1.0': 4000 });
  await withOwnProxy(twins, async ({ log, repoURL }) => {
    for (const p of twins) {
      const res = await pkginPackage(repoURL, p.pkgname);
      expect({ status: res.status, same: res.body.equals(p.content) }).toEqual({ status: 200, same: true });
    }
    expect((await pkginPackage(repoURL, 'collide0-1.0')).status).toBe(404);
    expect(log).toHaveLength(1);
  });
});

test('a client that goes away in the middle of a package is no refusal, and the next one gets it whole', async () => {
  const big = packagesOf({ 'big-1.0': 3_000_000 });
  await withOwnProxy(big, async ({ log, repoURL }) => {
    expect((await pkginPackage(repoURL, 'big-1.0')).status).toBe(200);
    const got = await new Promise<number>((resolve, reject) => {
      http
        .get(`${repoURL}/big-1.0.tgz`, { agent: false }, (res) => {
          res.once('data', (chunk: Buffer) => {
            res.destroy();
            resolve(chunk.length);
          });
        })
        .on('error', reject);
    });
    expect(got).toBeLessThan(big[0]!.content.length);
    const again = await pkginPackage(repoURL, 'big-1.0');
    expect({ status: again.status, truncated: again.truncated, same: again.body.equals(big[0]!.content) }).toEqual({
      status: 200,
      truncated: false,
      same: true,
    });
    expect(log).toEqual([]);
  });
});
