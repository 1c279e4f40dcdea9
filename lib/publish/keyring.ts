/**
 * The master key holder's (or a release machine's) side of a keyring release: the sorted export of
 * keyrings/<name>/ and the signed statement about it (lib/keyring/release.ts), as a mirror serves them.
 * The result is verified as a client would, against the anchor and the release already in the output
 * directory, before anything is written: a release clients would refuse is never published. Keys that
 * some anchors vouch for, but fewer than the threshold, are reported: clients will not trust them yet.
 * Two publish gates (lib/publish/gates.ts) come first and last: the release must outlive the interval
 * clients update at (PUBLISH_RELEASE_TOO_SHORT), or between two runs every client would find it
 * expired and report the keyring frozen; and its signer's chain must outlive the release
 * (PUBLISH_RELEASE_OUTLIVES_SIGNER), or clients would refuse it before it expires.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { PkgkeysError } from '../errors';
import { readBounded, writeAtomic } from '../fsutil';
import { KEYRING_FILE, RELEASE_FILE, type VerifiedRelease, describeKeyring, formatRelease } from '../keyring/release';
import { MAX_RELEASE_BYTES } from '../limits';
import { checkLayout, exportKeyring, parseKeyring, trustGraphOf } from '../keyring/store';
import { REPOSITORY_NOTATION, type RepositoryId } from '../model';
import { type SecretKey, hashCanonical, signData, writeCleartext } from '../pgp';
import type { TrustGraph } from '../trust/chain';
import type { Policy } from '../trust/policy';
import { keyringRepository } from '../trust/scope';
import { type ThresholdVerdict, authorizeThreshold, belowThreshold } from '../trust/threshold';
import { describeSpan, formatTime } from '../time';
import { readClaim, verifyRelease } from '../verify/release';

export interface KeyringPublishRequest {
  /** The decomposed keyring, keyrings/<name>/. */
  keyring: string;
  name: string;
  /** Default: one more than the release in `out`, and at least YYYYMMDD01 of `now`. */
  serial: number | null;
  key: SecretKey;
  anchors: readonly string[];
  /** As clients will judge: their anchor threshold above all. */
  policy: Policy;
  now: Date;
  expires: Date;
  /** How often clients run `pkgkeys update` (cron): the release must live longer. */
  updateIntervalMs: number;
  /** Where the mirror's files go: keyring.gpg and release.asc, and a copy of both in SERIAL/. */
  out: string;
}

export async function publishKeyring(
  request: KeyringPublishRequest,
): Promise<VerifiedRelease & { belowThreshold: ThresholdVerdict[] }> {
  const repository = keyringRepository(request.name);
  const lifetime = request.expires.getTime() - request.now.getTime();
  if (lifetime <= request.updateIntervalMs) {
    throw new PkgkeysError(
      'PUBLISH_RELEASE_TOO_SHORT',
      `the release would expire ${describeSpan(lifetime)} after it is made (${formatTime(request.expires)}), within the ${describeSpan(request.updateIntervalMs)} between two runs of pkgkeys update: ` +
        'clients would find it expired and report the keyring frozen before they fetch the next one; give --expires longer than --update-interval',
    );
  }
  const { problems } = await checkLayout(request.keyring);
  if (problems.length > 0)
    throw new PkgkeysError(
      'KEYRING_INVALID',
      `${request.keyring}: ${problems.length} problem(s); run pkgkeys keyring check`,
    );
  const keyring = await exportKeyring(request.keyring);
  const previous = await previousRelease(request);
  const serial =
    request.serial ??
    Math.max((previous?.serial ?? 0) + 1, Number(`${request.now.toISOString().slice(0, 10).replace(/-/g, '')}01`));
  const text = formatRelease(describeKeyring(request.name, keyring, serial));
  const signature = await signData(
    request.key.signer(),
    {
      kind: 'text',
      hash: 'sha256',
      created: request.now,
      expires: request.expires,
      notations: [{ name: REPOSITORY_NOTATION, value: repository }],
    },
    (hash) => hashCanonical(text, hash),
  );
  const statement = Buffer.concat(writeCleartext(text, 'sha256', signature));
  const graph = await trustGraphOf(request.anchors, [await parseKeyring(keyring, request.keyring)]);
  const { release } = await verifyRelease(Buffer.from(statement), keyring, 'the new release', {
    graph,
    name: request.name,
    now: request.now,
    policy: request.policy,
    installed: previous,
  });
  checkSignerOutlives(graph, release, repository, request.policy);
  // Each release also stays in SERIAL/, where a pkgsrc package's distfiles never change (pkgsrc/security/pkgsrc-keyring).
  // The keyring before its statement: a mirror that syncs in between serves a pair clients refuse, and retry.
  for (const dir of [path.join(request.out, String(release.serial)), request.out]) {
    await writeAtomic(path.join(dir, KEYRING_FILE), keyring);
    await writeAtomic(path.join(dir, RELEASE_FILE), statement);
  }
  return { ...release, belowThreshold: belowThreshold(graph, request.now, request.policy) };
}

/**
 * The signer's chain (its certification for keyring/NAME, its key, the anchor) must still hold the
 * moment before the release expires: asked then, the trust engine says what lapses first.
 */
function checkSignerOutlives(
  graph: TrustGraph,
  release: VerifiedRelease,
  repository: RepositoryId,
  policy: Policy,
): void {
  const lastMoment = new Date(release.expires.getTime() - 1);
  const verdict = authorizeThreshold(graph, {
    key: release.signer,
    repository,
    signedAt: release.signed,
    now: lastMoment,
    policy,
  });
  if (!verdict.trusted) {
    throw new PkgkeysError(
      'PUBLISH_RELEASE_OUTLIVES_SIGNER',
      `the release would be valid until ${formatTime(release.expires)}, but its signer ${release.signer} is not trusted for ${repository} by then (${verdict.code}: ${verdict.reason}): ` +
        'clients would refuse the release before it expires; renew the certification first, or give an earlier --expires',
    );
  }
}

/**
 * The release already in the output directory, read but not judged: it is this publisher's own, and
 * may well have expired (which is why a new one is being made). Only its serial and digest matter.
 */
async function previousRelease(request: KeyringPublishRequest): Promise<VerifiedRelease | null> {
  const file = path.join(request.out, RELEASE_FILE);
  if (!(await fs.stat(file).catch(() => null))) return null;
  const claim = await readClaim(await readBounded(file, MAX_RELEASE_BYTES), file);
  return { ...claim.release, signer: claim.issuer, signed: claim.signed, expires: claim.expires ?? claim.signed };
}
