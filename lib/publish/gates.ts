/**
 * Publish gates: what is about to be published is refused when clients would refuse it, or when it
 * looks like a failed build, before anything is signed or written (docs/build-hosts.md, "Publish
 * gates"). pkg_add's own rules are lib/pkgsrc/pkg-add.ts. No gate has a switch that turns it off:
 * where an operator needs to pass one, the override is for one publication, and it is said and recorded.
 *
 *  - PUBLISH_SIGNER_UNTRUSTED: the signing key must be valid, for this repository, now, in the keyring
 *    clients have: the release published at the keyring URL (verified as `pkgkeys update` verifies
 *    it) or a keyring file. A key rotated in before the keyring release that certifies it reaches the
 *    mirrors would have every client refuse the index ("NO_PUBKEY after rotation").
 *  - PUBLISH_SHRINK: a new index that drops more than a share of the previous publication's packages
 *    (default 10 %) is a truncated build until the operator says otherwise, for this publication.
 *  - PUBLISH_RELEASE_TOO_SHORT, PUBLISH_RELEASE_OUTLIVES_SIGNER: a keyring release must outlive the
 *    interval clients update at, and its signer's chain must outlive the release (lib/publish/keyring.ts).
 */
import { PkgkeysError } from '../errors';
import { fetchBounded } from '../client/fetch';
import { KEYRING_FILE, RELEASE_FILE, checkKeyringFile } from '../keyring/release';
import { parseKeyring, readKeyring, trustGraphOf } from '../keyring/store';
import type { Fingerprint, KeyID, RepositoryId } from '../model';
import { MAX_KEYRING_BYTES, MAX_RELEASE_BYTES } from '../limits';
import { parseCleartext, readMessageSignature } from '../pgp';
import { pkgnameOf } from '../packages/files';
import type { Entry } from '../summary/format';
import { formatTime } from '../time';
import type { TrustGraph } from '../trust/chain';
import type { Policy } from '../trust/policy';
import { authorizeThreshold } from '../trust/threshold';
import { readClaim, verifyRelease } from '../verify/release';

/** Where the keyring clients have now comes from: a published release (http, https or file URL), or a keyring file. */
export type ClientKeyringSource = { url: string } | { file: string };

export interface ClientKeyringRequest {
  source: ClientKeyringSource;
  /** The keyring's name: a release is signed for `keyring/<name>`. */
  name: string;
  anchors: readonly string[];
  now: Date;
  policy: Policy;
  timeoutMs: number;
}

/** The keys clients judge signatures with, by which policy, and where they came from (for messages). */
export interface ClientKeyring {
  graph: TrustGraph;
  policy: Policy;
  description: string;
}

/**
 * The keyring clients have now. A release is verified as `pkgkeys update` verifies it (chain to an
 * anchor, signature, expiry, the keyring file it describes): one clients would refuse gives them no keys.
 */
export async function loadClientKeyring(request: ClientKeyringRequest): Promise<ClientKeyring> {
  if ('file' in request.source) {
    const { file } = request.source;
    return {
      graph: await trustGraphOf(request.anchors, [await readKeyring(file)]),
      policy: request.policy,
      description: `the keyring ${file}`,
    };
  }
  const base = new URL(request.source.url.endsWith('/') ? request.source.url : `${request.source.url}/`);
  const releaseURL = new URL(RELEASE_FILE, base);
  const keyringURL = new URL(KEYRING_FILE, base);
  const fetch = async (url: URL, limit: number) => {
    const got = await fetchBounded({ url, limit, timeoutMs: request.timeoutMs });
    if (got.notModified)
      throw new PkgkeysError('NETWORK_ERROR', `${url.href}: "not modified" to an unconditional request`);
    return got.body;
  };
  const statement = await fetch(releaseURL, MAX_RELEASE_BYTES);
  const claim = await readClaim(statement, releaseURL.href);
  const keyring = await fetch(keyringURL, Math.min(claim.release.size, MAX_KEYRING_BYTES));
  checkKeyringFile(claim.release, keyring, keyringURL.href);
  const graph = await trustGraphOf(request.anchors, [await parseKeyring(keyring, keyringURL.href)]);
  const { release } = await verifyRelease(statement, keyring, releaseURL.href, {
    graph,
    name: request.name,
    now: request.now,
    policy: request.policy,
    installed: null,
  });
  return {
    graph,
    policy: request.policy,
    description: `keyring ${release.name} release ${release.serial} at ${base.href}`,
  };
}

/** PUBLISH_SIGNER_UNTRUSTED unless clients with `keyring` trust `signer` for `repository` at `now`. */
export function checkSignerForClients(
  keyring: ClientKeyring,
  signer: Fingerprint,
  repository: RepositoryId,
  now: Date,
): void {
  const verdict = authorizeThreshold(keyring.graph, {
    key: signer,
    repository,
    signedAt: now,
    now,
    policy: keyring.policy,
  });
  if (!verdict.trusted) throw untrusted(keyring, signer, repository, verdict);
}

/** The same for a clearsigned document just made (by a key here or by a signing daemon): its signer is the one judged. */
export async function checkSignedForClients(
  keyring: ClientKeyring,
  signed: Buffer,
  repository: RepositoryId,
  now: Date,
): Promise<void> {
  // An index, whoever made it (a signing daemon, too).
  const sig = await readMessageSignature(
    parseCleartext(signed, 'the new signature', 'INDEX_MALFORMED').signature,
    'the new signature',
    'INDEX_MALFORMED',
  );
  if (sig.issuerFingerprint) checkSignerForClients(keyring, sig.issuerFingerprint, repository, now);
  else checkKeyIDForClients(keyring, sig.issuerKeyID, repository, now, 'the new signature');
}

/** The same for a signature that names its signer by key ID only (a package signed elsewhere): one key with that ID must be trusted. */
export function checkKeyIDForClients(
  keyring: ClientKeyring,
  keyID: KeyID,
  repository: RepositoryId,
  now: Date,
  what: string,
): void {
  const verdicts = keyring.graph
    .byKeyID(keyID)
    .map((key) => authorizeThreshold(keyring.graph, { key, repository, signedAt: now, now, policy: keyring.policy }));
  if (verdicts.some((v) => v.trusted)) return;
  const verdict = verdicts[0];
  if (!verdict || verdict.trusted)
    throw new PkgkeysError(
      'PUBLISH_SIGNER_UNTRUSTED',
      `${what}: signed by key ID ${keyID}, which is not in ${keyring.description}: clients would refuse it`,
    );
  throw untrusted(keyring, verdict.key, repository, verdict, what);
}

function untrusted(
  keyring: ClientKeyring,
  signer: Fingerprint,
  repository: RepositoryId,
  verdict: { code: string; reason: string },
  what?: string,
): PkgkeysError {
  return new PkgkeysError(
    'PUBLISH_SIGNER_UNTRUSTED',
    `${what ? `${what}: ` : ''}clients with ${keyring.description} would refuse what ${signer} signs for ${repository} (${verdict.code}: ${verdict.reason}); ` +
      'publish a keyring release that certifies the key for this repository and let clients update first',
  );
}

/** By default a publication may lose one package in ten (updates do not count: packages are compared by PKGBASE). */
export const DEFAULT_MAX_SHRINK_PERCENT = 10;

export interface ShrinkPolicy {
  /** The largest share of the previous publication's packages a new index may drop, in percent. */
  maxPercent: number;
  /** The operator's word, for this one publication: a larger drop is published, said and recorded. */
  allow: boolean;
}

export interface Shrink {
  previous: number;
  dropped: string[];
  percent: number;
  /** The line to print and record when the override let a larger drop through; null when none was needed. */
  override: string | null;
}

/** A package by its name without the version: an update (foo-1.0 to foo-1.1) drops nothing. */
const baseOf = (entry: Entry) => pkgnameOf(entry).replace(/-[^-]*$/, '');

/**
 * PUBLISH_SHRINK when `next` drops more than `policy.maxPercent` of the packages `previous` lists
 * (by PKGBASE), unless `policy.allow`; then the result's `override` says what went through.
 */
export function checkShrink(
  previous: readonly Entry[],
  next: readonly Entry[],
  policy: ShrinkPolicy,
  what: string,
): Shrink {
  const before = new Set(previous.map(baseOf));
  const after = new Set(next.map(baseOf));
  const dropped = [...before].filter((b) => !after.has(b)).sort();
  const percent = before.size === 0 ? 0 : (100 * dropped.length) / before.size;
  const shown = `${dropped.length} of the ${before.size} packages of the previous publication (${percent.toFixed(1)} %, more than the ${policy.maxPercent} % allowed): ${dropped.slice(0, 10).join(', ')}${dropped.length > 10 ? ', ...' : ''}`;
  const result = { previous: before.size, dropped, percent, override: null };
  if (percent <= policy.maxPercent) return result;
  if (!policy.allow) {
    throw new PkgkeysError(
      'PUBLISH_SHRINK',
      `${what}: the new index drops ${shown}; a failed or partial build? If the packages are meant to go, publish once with --allow-shrink`,
    );
  }
  return { ...result, override: `--allow-shrink: ${what}: the new index drops ${shown}` };
}

/** A record of an override, as a line for a log: when, who, and what it let through. */
export const overrideRecord = (at: Date, uid: number, text: string) =>
  `${JSON.stringify({ time: formatTime(at), uid, override: text })}\n`;
