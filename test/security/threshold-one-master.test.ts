// Attack: with anchors that ask for 2 of 3 masters, one master key holder (or whoever stole one master
// key) makes a build host trusted alone: by certifying it once, twice (directly and through a developer
// it delegated to), through another master it delegated to, or by certifying another master's key as
// a signer. Each anchor counts once, for the paths that start from it; a revoked master counts for
// nothing. `keyring explain` gives the same answer as the engine, anchor by anchor.
import type { Code } from '../../lib/errors';
import { DEFAULT_POLICY } from '../../lib/trust/policy';
import { type ThresholdVerdict, authorizeThreshold } from '../../lib/trust/threshold';
import { NOW, REPO, explain } from '../helpers/chain';
import { type TestKey, World, day } from '../helpers/world';

const policy = (k: number) => ({ ...DEFAULT_POLICY, anchorThreshold: k });

async function judge(w: World, anchors: TestKey[], key: TestKey, k = 2): Promise<ThresholdVerdict> {
  return authorizeThreshold(await w.graph(...anchors), {
    key: key.fingerprint,
    repository: REPO,
    signedAt: NOW,
    now: NOW,
    policy: policy(k),
  });
}

/** The engine's verdict with k of the anchors, and explain's: the same, with the count against k. */
async function expectVerdict(
  w: World,
  anchors: TestKey[],
  key: TestKey,
  expected: { code: Code | 'trusted'; vouching: TestKey[] },
  k = 2,
): Promise<ThresholdVerdict> {
  const verdict = await judge(w, anchors, key, k);
  const names = (fprs: string[]) => fprs.map((f) => anchors.find((a) => a.fingerprint === f)!.name).sort();
  expect({ code: verdict.trusted ? 'trusted' : verdict.code, vouching: names(verdict.vouching) }).toEqual({
    code: expected.code,
    vouching: expected.vouching.map((a) => a.name).sort(),
  });
  const run = await explain(w, anchors, key.fingerprint, { threshold: k });
  expect(run.stdout).toContain(`  ${expected.vouching.length} of ${anchors.length} anchors vouch`);
  expect(run.stdout).toContain(`; ${k} needed\n`);
  expect(run.stdout.endsWith(expected.code === 'trusted' ? '\ntrusted\n' : `\nnot trusted: ${expected.code}\n`)).toBe(
    true,
  );
  expect(run.status).toBe(expected.code === 'trusted' ? 0 : 1);
  return verdict;
}

describe('2 of 3 masters', () => {
  let w: World;
  let a: TestKey;
  let b: TestKey;
  let c: TestKey;
  let host: TestKey;
  beforeEach(async () => {
    w = new World();
    [a, b, c] = [await w.key('master-a'), await w.key('master-b'), await w.key('master-c')];
    host = await w.key('host');
  });

  it('trusts a host two masters certified, each anchor named with its path', async () => {
    await w.certify(a, host);
    await w.certify(b, host);
    const verdict = await expectVerdict(w, [a, b, c], host, { code: 'trusted', vouching: [a, b] });
    expect(verdict.anchors.map((o) => (o.verdict.trusted ? 'trusted' : o.verdict.code))).toContain('NO_PATH');
    const run = await explain(w, [a, b, c], host.fingerprint, { threshold: 2 });
    expect(run.stdout).toContain(`  anchor ${a.fingerprint} "${a.userID}": vouches\n    ok    anchor ${a.fingerprint}`);
    expect(run.stdout).toContain(`  anchor ${c.fingerprint} "${c.userID}": does not vouch (NO_PATH)\n    FAIL NO_PATH`);
  });

  it('refuses a host one master certified, naming how many vouch, which, and k', async () => {
    await w.certify(a, host);
    const verdict = await expectVerdict(w, [a, b, c], host, { code: 'BELOW_THRESHOLD', vouching: [a] });
    expect(!verdict.trusted && verdict.reason).toMatch(
      new RegExp(
        `^1 of 3 anchors vouch for ${host.fingerprint} .* for ${REPO} \\(${a.fingerprint}\\), 2 needed; not vouching: .*NO_PATH`,
      ),
    );
    // With one anchor enough, as without a threshold, the same keyring trusts it.
    await expectVerdict(w, [a, b, c], host, { code: 'trusted', vouching: [a] }, 1);
  });

  it('refuses a host no master certified with the reason of the furthest path', async () => {
    const stranger = await w.key('stranger');
    await w.certify(stranger, host);
    const verdict = await expectVerdict(w, [a, b, c], host, { code: 'NO_PATH', vouching: [] });
    expect(!verdict.trusted && verdict.reason).toMatch(/\(no anchor vouches; 2 of 3 needed\)$/);
  });

  it('does not count a revoked master', async () => {
    await w.certify(a, host);
    await w.certify(b, host);
    await w.revokeKey(b, 'compromised', day(50));
    const verdict = await expectVerdict(w, [a, b, c], host, { code: 'BELOW_THRESHOLD', vouching: [a] });
    expect(verdict.anchors.find((o) => o.anchor === b.fingerprint)!.verdict).toMatchObject({
      trusted: false,
      code: 'ANCHOR_REVOKED',
    });
    await w.certify(c, host);
    await expectVerdict(w, [a, b, c], host, { code: 'trusted', vouching: [a, c] });
  });

  it('counts a path through a delegation for the anchor it starts from', async () => {
    const dev = await w.key('developer');
    await w.certify(a, dev, { delegate: 1 });
    await w.certify(dev, host, { at: day(2) });
    await expectVerdict(w, [a, b, c], host, { code: 'BELOW_THRESHOLD', vouching: [a] });
    await w.certify(b, host);
    const verdict = await expectVerdict(w, [a, b, c], host, { code: 'trusted', vouching: [a, b] });
    // The story holds both anchors' paths: a's through the developer, b's direct.
    expect(verdict.steps.filter((s) => s.text.startsWith('anchor ')).length).toBe(2);
    expect(verdict.steps.some((s) => s.text.startsWith('intermediate '))).toBe(true);
  });

  it('counts an anchor reached twice once', async () => {
    const dev = await w.key('developer');
    await w.certify(a, host);
    await w.certify(a, dev, { delegate: 1 });
    await w.certify(dev, host, { at: day(2) });
    await expectVerdict(w, [a, b, c], host, { code: 'BELOW_THRESHOLD', vouching: [a] });
  });

  it('gives a master that delegates to another master no second vote', async () => {
    // a trust-signs b (say, in a handover): b's certification is b's vote, not a's as well.
    await w.certify(a, b, { delegate: 1 });
    await w.certify(b, host, { at: day(2) });
    await expectVerdict(w, [a, b, c], host, { code: 'BELOW_THRESHOLD', vouching: [b] });
  });

  it('never trusts a master as a signer, however many masters certify it', async () => {
    await w.certify(a, c);
    await w.certify(b, c);
    const verdict = await judge(w, [a, b, c], c);
    expect(verdict).toMatchObject({ trusted: false, code: 'ANCHOR_NOT_SIGNER', anchors: [], vouching: [] });
  });

  it('judges each anchor at the signature time: a soft revocation after a certification leaves it counting', async () => {
    await w.certify(a, host);
    await w.certify(b, host);
    await w.revokeKey(b, 'superseded', day(50));
    await expectVerdict(w, [a, b, c], host, { code: 'trusted', vouching: [a, b] });
  });

  it('refuses a threshold above the number of anchors, as a configuration error', async () => {
    await w.certify(a, host);
    await expect(judge(w, [a, b], host, 3)).rejects.toMatchObject({
      code: 'BAD_CONFIG',
      message: expect.stringMatching(/threshold is 3, but 2 anchor\(s\) are given/),
    });
    const run = await explain(w, [a, b], host.fingerprint, { threshold: 3 });
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/BAD_CONFIG/);
  });
});
