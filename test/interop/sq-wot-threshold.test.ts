/**
 * sq-wot (Sequoia's web of trust, Debian's sq-wot 0.2) as an independent oracle for k of n anchors.
 * Each anchor is a trust root; a plain certification and a pkgkeys delegation (trust signature, depth
 * 1, amount 120) each carry 120; requiring 120·k asks for k anchors' worth. Keys are made by pkgkeys
 * (World), the keyring is exported by pkgkeys, sq-wot runs on it under faketime at the time pkgkeys
 * judges, and the two verdicts must agree.
 *
 * The models coincide when every certification grants every repository (sq-wot ignores the
 * non-critical pkgsrc-scope notation), when each anchor reaches the key by at most one path, and when
 * no intermediate is shared by several anchors. They do not coincide, by design, where sq-wot computes
 * a flow and pkgkeys counts anchors:
 *   - an anchor reached twice (directly and through its delegate) is one anchor to pkgkeys, but two
 *     edge-disjoint paths worth 240 to sq-wot, which caps no root's contribution;
 *   - an intermediate that two anchors delegate to is a path from each anchor to pkgkeys (each master
 *     chose to delegate its vote), but one certification below it can carry 120 only once in sq-wot;
 *   - scopes: pkgkeys grants a repository only within every link's scope, sq-wot reads no scope.
 * Those cases run too, and the test asserts that the two differ exactly there, so that this comment
 * stays true.
 *
 * sq-wot and faketime are required: without them the test fails, it is not skipped.
 */
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { exportKeyring } from '../../lib/keyring/store';
import { DEFAULT_POLICY } from '../../lib/trust/policy';
import { authorizeThreshold } from '../../lib/trust/threshold';
import { NOW, REPO } from '../helpers/chain';
import { cleanup, tempDir } from '../helpers/cli';
import { type TestKey, World, day } from '../helpers/world';

function run(file: string, args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(
      file,
      args,
      { encoding: 'utf8', timeout: 60_000, env: { ...process.env, TZ: 'UTC' } },
      (error, stdout, stderr) => {
        if (error && typeof error.code !== 'number')
          return reject(
            new Error(
              `${file} could not run (${String(error.code)}): it is a required peer of this test (Debian packages sq-wot, faketime)`,
            ),
          );
        resolve({ status: error ? (error.code as number) : 0, stdout, stderr });
      },
    );
  });
}

let dir: string;
beforeAll(async () => {
  // Both peers present, each by itself (through faketime a missing sq-wot would look like a "no").
  expect((await run('sq-wot', ['--version'])).stdout).toMatch(/^sq-wot /);
  expect((await run('faketime', ['@0', 'date', '-u', '+%Y'])).stdout.trim()).toBe('1970');
  dir = await tempDir('pkgkeys-sqwot-');
});
afterAll(() => cleanup(dir));

interface Case {
  /** The masters, the key judged, and every other key of the case. */
  w: World;
  anchors: TestKey[];
  host: TestKey;
}

async function masters(n = 3): Promise<Case> {
  const w = new World();
  const anchors = [];
  for (let i = 0; i < n; i++) anchors.push(await w.key(`master-${'abc'[i]}`));
  return { w, anchors, host: await w.key('host') };
}

/** Every certification grants every repository, so scopes play no part. */
const ALL = { scopes: ['**'] };

/** pkgkeys: does the host hold with k of the anchors, for REPO, at `at`? */
async function pkgkeysSays({ w, anchors, host }: Case, k: number, at = NOW): Promise<boolean> {
  return authorizeThreshold(await w.graph(...anchors), {
    key: host.fingerprint,
    repository: REPO,
    signedAt: at,
    now: at,
    policy: { ...DEFAULT_POLICY, anchorThreshold: k },
  }).trusted;
}

let serial = 0;
/** sq-wot: is the host's User ID authenticated to 120·k from the anchors as roots, at `at`? */
async function sqWotSays({ w, anchors, host }: Case, k: number, at = NOW): Promise<boolean> {
  const armored = path.join(dir, `case${++serial}.asc`);
  await fs.writeFile(armored, w.material.join('\n'));
  const keyring = path.join(dir, `case${serial}.gpg`);
  await fs.writeFile(keyring, await exportKeyring(armored));
  const sqWot = async (roots: string[], amount: number) => {
    const result = await run('faketime', [
      `@${Math.floor(at.getTime() / 1000)}`,
      'sq-wot',
      '--keyring',
      keyring,
      ...roots.flatMap((r) => ['--trust-root', r]),
      'authenticate',
      '--trust-amount',
      String(amount),
      host.userID,
      host.fingerprint,
    ]);
    // 0: authenticated to the amount; 1: not. Anything else is a broken run.
    if (result.status !== 0 && result.status !== 1)
      throw new Error(`sq-wot failed (${result.status}): ${result.stderr}`);
    return result.status === 0;
  };
  // sq-wot says "not authenticated" (1) also for a binding it cannot see at all: with the host as its
  // own root, its self-signed User ID must hold, or a "no" below would mean nothing.
  if (!(await sqWot([host.fingerprint], 120)))
    throw new Error(`sq-wot does not see ${host.fingerprint} "${host.userID}" in ${keyring}`);
  return sqWot(
    anchors.map((a) => a.fingerprint),
    120 * k,
  );
}

async function both(c: Case, k: number, at = NOW) {
  return { pkgkeys: await pkgkeysSays(c, k, at), sqWot: await sqWotSays(c, k, at) };
}

const agree = (trusted: boolean) => ({ pkgkeys: trusted, sqWot: trusted });

describe('where the models coincide, sq-wot agrees', () => {
  it('three, two, one and no anchors vouching, for k = 1, 2, 3', async () => {
    const c = await masters();
    const [a, b, m] = c.anchors as [TestKey, TestKey, TestKey];
    const stranger = await c.w.key('stranger');
    await c.w.certify(stranger, c.host, ALL);
    expect(await both(c, 1)).toEqual(agree(false));
    await c.w.certify(a, c.host, ALL);
    expect(await both(c, 1)).toEqual(agree(true));
    expect(await both(c, 2)).toEqual(agree(false));
    await c.w.certify(b, c.host, ALL);
    expect(await both(c, 2)).toEqual(agree(true));
    expect(await both(c, 3)).toEqual(agree(false));
    await c.w.certify(m, c.host, ALL);
    expect(await both(c, 3)).toEqual(agree(true));
  });

  it('one anchor revoked', async () => {
    const c = await masters();
    const [a, b, m] = c.anchors as [TestKey, TestKey, TestKey];
    await c.w.certify(a, c.host, ALL);
    await c.w.certify(b, c.host, ALL);
    await c.w.revokeKey(b, 'compromised', day(50));
    expect(await both(c, 2)).toEqual(agree(false));
    expect(await both(c, 1)).toEqual(agree(true));
    await c.w.certify(m, c.host, ALL);
    expect(await both(c, 2)).toEqual(agree(true));
  });

  it('a path through a delegation, counted for its anchor', async () => {
    const c = await masters();
    const [a, b] = c.anchors as [TestKey, TestKey, TestKey];
    const dev = await c.w.key('developer');
    await c.w.certify(a, dev, { ...ALL, delegate: 1 });
    await c.w.certify(dev, c.host, { ...ALL, at: day(2) });
    expect(await both(c, 2)).toEqual(agree(false));
    await c.w.certify(b, c.host, ALL);
    expect(await both(c, 2)).toEqual(agree(true));
  });

  it('a master that delegates to another master: one vote', async () => {
    const c = await masters();
    const [a, b] = c.anchors as [TestKey, TestKey, TestKey];
    await c.w.certify(a, b, { ...ALL, delegate: 1 });
    await c.w.certify(b, c.host, { ...ALL, at: day(2) });
    expect(await both(c, 2)).toEqual(agree(false));
    expect(await both(c, 1)).toEqual(agree(true));
  });

  it('a certification revoked, and one that expires: each judged at the time asked', async () => {
    const c = await masters();
    const [a, b, m] = c.anchors as [TestKey, TestKey, TestKey];
    await c.w.certify(a, c.host, ALL);
    await c.w.certify(b, c.host, { ...ALL, expires: day(150) });
    await c.w.certify(m, c.host, ALL);
    await c.w.revokeCertification(m, c.host, day(20));
    expect(await both(c, 2)).toEqual(agree(true));
    // After b's certification expired: also a check that sq-wot runs at the faked time.
    expect(await both(c, 2, day(200))).toEqual(agree(false));
    expect(await both(c, 1, day(200))).toEqual(agree(true));
  });
});

describe('where the models differ, they differ as the header says', () => {
  it('an anchor reached twice: one anchor to pkgkeys, 240 to sq-wot', async () => {
    const c = await masters();
    const [a] = c.anchors as [TestKey, TestKey, TestKey];
    const dev = await c.w.key('developer');
    await c.w.certify(a, c.host, ALL);
    await c.w.certify(a, dev, { ...ALL, delegate: 1 });
    await c.w.certify(dev, c.host, { ...ALL, at: day(2) });
    expect(await both(c, 2)).toEqual({ pkgkeys: false, sqWot: true });
  });

  it('an intermediate two anchors delegate to: two anchors to pkgkeys, 120 to sq-wot', async () => {
    const c = await masters();
    const [a, b] = c.anchors as [TestKey, TestKey, TestKey];
    const dev = await c.w.key('developer');
    await c.w.certify(a, dev, { ...ALL, delegate: 1 });
    await c.w.certify(b, dev, { ...ALL, delegate: 1 });
    await c.w.certify(dev, c.host, { ...ALL, at: day(2) });
    expect(await both(c, 2)).toEqual({ pkgkeys: true, sqWot: false });
  });

  it('scopes that do not overlap: refused by pkgkeys, unseen by sq-wot', async () => {
    const c = await masters();
    const [a, b] = c.anchors as [TestKey, TestKey, TestKey];
    await c.w.certify(a, c.host, { scopes: ['NetBSD/x86_64/**'] });
    await c.w.certify(b, c.host, { scopes: ['SmartOS/**'] });
    expect(await both(c, 2)).toEqual({ pkgkeys: false, sqWot: true });
  });
});
