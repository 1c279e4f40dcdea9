/**
 * The verdicts on the installed keyring (live.ts), recorded in verdicts.json beside it by the update
 * that judged it: an update that finds nothing new, and `pkgkeys status`, read them there instead of
 * loading OpenPGP.js and judging the whole keyring again.
 *
 * A record stands only while nothing it was judged from can have changed: the installed files (the
 * keyring, its exports, the release statement) and the anchors, byte for byte, the policy, the
 * version of pkgkeys that judged, and the time, which must lie from the judgement up to, not
 * including, the horizon: the first instant at which a verdict could change (lib/trust/chain.ts
 * stableUntil), at the latest the release's expiry.
 * Otherwise, and when the record is missing or damaged, the keyring is judged anew: a record spares
 * work, and never answers otherwise than judging would.
 */
import { createHash } from 'node:crypto';
import * as path from 'node:path';
import { parseRecord, readBounded, writeAtomic } from '../fsutil';
import { MAX_KEYRING_BYTES } from '../limits';
import type { Fingerprint } from '../model';
import { pkgkeysVersion } from '../paths';
import { type TrustGraph, keyExpires, stableUntil } from '../trust/chain';
import type { Policy } from '../trust/policy';
import { authorizeAllThreshold } from '../trust/threshold';
import type { PkgInstallKeyrings } from './exports';
import { type Generation, type Installed, LIVE, readLive } from './live';
import type { VerifiedRelease } from './release';

/** When a key trusted at the judgement stops being valid, or a certification on it ends (for `pkgkeys status`). */
export interface Expiry {
  key: Fingerprint;
  what: string;
  expires: Date;
}

/** What judging the installed keyring found, and until when it stands. */
export interface Verdicts {
  judged: Date;
  /** No verdict can change before this instant. */
  horizon: Date;
  /** Primary keys in the pkg_install exports. */
  verifyKeys: number;
  pkgvulnKeys: number;
  /** Of every key trusted for some repository (`expiriesOf`). */
  expiries: Expiry[];
}

/** What verdicts rest on besides the installed files and the time: the anchors' bytes, read before judging, and the policy. */
export interface Grounds {
  anchors: readonly Uint8Array[];
  policy: Policy;
}

const RECORD = 'verdicts.json';

/** The installed files verdicts are judged from or make, by stable name and by field of a generation. */
const FILES = [
  [LIVE.keyring, 'keyring'],
  [LIVE.verify, 'verify'],
  [LIVE.pkgvuln, 'pkgvuln'],
  [LIVE.release, 'statement'],
] as const;

/** The grounds of a judgement; null when an anchor is not a plain file (a keyring directory): such verdicts are not recorded. */
export async function groundsOf(anchorFiles: readonly string[], policy: Policy): Promise<Grounds | null> {
  try {
    return { anchors: await Promise.all(anchorFiles.map((file) => readBounded(file, MAX_KEYRING_BYTES))), policy };
  } catch {
    return null; // judging reads them again, and says what is wrong
  }
}

/** The verdicts on `graph` at `now`, whose release is `release` and exports `exports`. */
export function verdictsOf(
  graph: TrustGraph,
  exports: PkgInstallKeyrings,
  release: VerifiedRelease,
  now: Date,
  policy: Policy,
): Verdicts {
  const changes = stableUntil(graph, now, policy);
  return {
    judged: now,
    horizon: changes && changes < release.expires ? changes : release.expires,
    verifyKeys: exports.verifyKeys.length,
    pkgvulnKeys: exports.pkgvulnKeys.length,
    expiries: expiriesOf(graph, now, policy),
  };
}

/** For every key trusted now for some repository: its own expiry, its subkey's, and those of the certifications on its User IDs. */
export function expiriesOf(graph: TrustGraph, now: Date, policy: Policy): Expiry[] {
  const out: Expiry[] = [];
  for (const verdict of authorizeAllThreshold(graph, { repository: null, signedAt: now, now, policy }).values()) {
    if (!verdict.trusted) continue;
    const found = graph.resolve(verdict.key)!;
    const cert = found.certificate;
    const candidates: Array<[string, Date | null | undefined]> = [
      ['key', keyExpires(cert)],
      ['subkey', found.subkey?.binding?.keyExpires],
      ...cert.userIDs.flatMap((u) =>
        u.certifications.map((c): [string, Date | null] => [`certification by ${c.issuer}`, c.expires]),
      ),
    ];
    for (const [what, expires] of candidates) if (expires) out.push({ key: verdict.key, what, expires });
  }
  return out;
}

/** Records the verdicts on `generation`, installed in `dir` (new, or found there already); the caller holds the directory's lock. */
export async function recordVerdicts(
  dir: string,
  verdicts: Verdicts,
  generation: Generation,
  grounds: Grounds,
): Promise<void> {
  const basis = basisOf(
    FILES.map(([, field]) => generation[field]),
    grounds,
  );
  await writeAtomic(
    path.join(dir, RECORD),
    `${JSON.stringify({ pkgkeys: pkgkeysVersion(), ...verdicts, basis }, null, 2)}\n`,
  );
}

/** The verdicts recorded on `installed`, if they stand at `now` on `grounds`; else null: the keyring is to be judged anew. */
export async function recordedVerdicts(
  dir: string,
  installed: Installed,
  grounds: Grounds | null,
  now: Date,
): Promise<Verdicts | null> {
  if (!grounds) return null;
  try {
    const record = readRecord((await readBounded(path.join(dir, RECORD), MAX_KEYRING_BYTES)).toString('utf8'));
    if (record === null) return null;
    const { pkgkeys, basis, verdicts } = record;
    // Another version may judge otherwise: a fix to the trust engine takes effect at once.
    if (pkgkeys !== pkgkeysVersion() || now < verdicts.judged || now >= verdicts.horizon) return null;
    const files = await Promise.all(FILES.map(([name]) => readLive(installed, name)));
    return basis === basisOf(files, grounds) ? verdicts : null;
  } catch {
    return null; // no record, a damaged one, or installed files that cannot be read: judging says what is wrong
  }
}

/** One SHA-256 over what verdicts rest on but the time: the installed files, the anchors, the policy, each part prefixed by its length. */
function basisOf(files: readonly Uint8Array[], grounds: Grounds): string {
  const hash = createHash('sha256').update('pkgkeys verdicts 1\n');
  for (const part of [...files, ...grounds.anchors, Buffer.from(policyText(grounds.policy))])
    hash.update(`${part.length}\n`).update(part);
  return hash.digest('hex');
}

/** The policy as text that changes exactly when it does: its settings in name order, sets sorted. */
const policyText = (policy: Policy) =>
  JSON.stringify(
    Object.entries(policy)
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([name, value]) => [name, value instanceof Set ? [...value].sort() : value]),
  );

/** A record read back, strictly: anything out of place is damage (null, and so judged anew). */
const readRecord = (text: string): { pkgkeys: string; basis: string; verdicts: Verdicts } | null =>
  parseRecord(text, (r) => ({
    pkgkeys: r.string('pkgkeys'),
    basis: r.string('basis'),
    verdicts: {
      judged: r.time('judged'),
      horizon: r.time('horizon'),
      verifyKeys: r.count('verifyKeys'),
      pkgvulnKeys: r.count('pkgvulnKeys'),
      expiries: r
        .objects('expiries')
        .map((e) => ({ key: e.string('key'), what: e.string('what'), expires: e.time('expires') })),
    },
  }));
