/**
 * stableUntil (lib/trust/chain.ts): no verdict changes between a time and the horizon it gives, which is
 * what lets `pkgkeys update` and `status` answer from recorded verdicts (lib/keyring/verdicts.ts).
 * Checked by judging every key at times across each span, in a keyring where time changes verdicts
 * in every way it can: expiries of certifications and keys, a certification and a key made later, a
 * soft revocation and a certification revocation that take effect later.
 */
import { type TrustGraph, authorizeAll, stableUntil } from '../../lib/trust/chain';
import { DEFAULT_POLICY } from '../../lib/trust/policy';
import { World, day } from '../helpers/world';

const FROM = day(10);
const TO = day(100);

/** Every key's verdict for any repository at `now`, as text. */
function verdicts(graph: TrustGraph, now: Date): string {
  const all = authorizeAll(graph, { repository: null, signedAt: now, now, policy: DEFAULT_POLICY });
  return [...all]
    .map(([key, v]) => `${key} ${v.trusted ? 'trusted' : v.code}`)
    .sort()
    .join('\n');
}

test('no verdict changes before the horizon, and each change comes at one', async () => {
  const w = new World();
  const master = await w.key('master');
  const expiring = await w.key('expiring');
  await w.certify(master, expiring, { expires: day(60) });
  const later = await w.key('later');
  await w.certify(master, later, { at: day(40) });
  const shortLived = await w.key('short-lived', { expires: day(70) });
  await w.certify(master, shortLived);
  const retired = await w.key('retired');
  await w.certify(master, retired);
  await w.revokeKey(retired, 'superseded', day(50));
  const uncertified = await w.key('uncertified');
  await w.certify(master, uncertified);
  await w.revokeCertification(master, uncertified, day(55));
  const made = await w.key('made-later', { created: day(30) });
  await w.certify(master, made, { at: day(30) });
  const graph = await w.graph(master);

  const horizons: Date[] = [];
  let changes = 0;
  for (let at = FROM; at < TO;) {
    const horizon = stableUntil(graph, at, DEFAULT_POLICY) ?? TO;
    const judged = verdicts(graph, at);
    for (const t of [at.getTime() + 1, (at.getTime() + horizon.getTime()) / 2, horizon.getTime() - 1]) {
      expect({ at: new Date(t), verdicts: verdicts(graph, new Date(t)) }).toEqual({
        at: new Date(t),
        verdicts: judged,
      });
    }
    if (verdicts(graph, horizon) !== judged) changes++;
    horizons.push(horizon);
    at = horizon;
  }
  // Expiries at days 60 and 70, validity from days 30 and 40 less the clock skew, revocations at days 50 and 55.
  expect(changes).toBe(6);
  expect(horizons.length).toBeGreaterThanOrEqual(changes);
});

test('with nothing in the keyring after the time, there is no horizon', async () => {
  const w = new World();
  const master = await w.key('master');
  const host = await w.key('host');
  await w.certify(master, host, { expires: null });
  expect(stableUntil(await w.graph(master), day(10), DEFAULT_POLICY)).toBeNull();
});
