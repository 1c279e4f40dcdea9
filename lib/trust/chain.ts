/**
 * The trust engine: "may this key, at this time, sign for this repository?"
 *
 * A key is trusted through a path from an anchor:
 *
 *     anchor ─cert─▶ signing key
 *     anchor ─trust sig (depth ≥ 1)─▶ intermediate ─cert─▶ signing key
 *
 * Each path is checked top-down and stops at its first failing step: the anchor, then for every link the
 * certification (validity, expiry, revocation, scope, delegation) and the key it comes from, and last
 * the signing key (and subkey) itself. Every check here is pure: certificates, anchors, times and policy
 * are inputs. Nothing in OpenPGP.js does any of this (DESIGN.md §4).
 *
 * Time has two parts. `now` is when the question is asked: expiry of keys and certifications, and
 * revocations of certifications, are judged at `now`. `signedAt` is when the signing key used its
 * signature: a soft revocation (superseded, retired) voids only signatures made after it, a hard one
 * (compromised, unspecified) voids all of them (RFC 9580 §5.2.3.31). Keys up the chain are judged the
 * same way, each at the time it made the certification below it.
 */
import type { Code } from '../errors';
import type {
  Certificate,
  Certification,
  Fingerprint,
  KeyID,
  RepositoryId,
  Revocation,
  SelfSignature,
  Subkey,
  UserID,
} from '../model';
import { KEY_FLAG } from '../model';
import { formatTime } from '../time';
import { type Policy, weakAlgorithm, weakHash } from './policy';
import { grantedScopes, inScope } from './scope';

export interface Question {
  key: Fingerprint;
  /** The repository the key would sign for; null: any (the chain must grant some). Index verification always names one. */
  repository: RepositoryId | null;
  signedAt: Date;
  now: Date;
  policy: Policy;
}

/** One line of the story `explain` tells. */
export interface Step {
  ok: boolean;
  code?: Code;
  text: string;
}

export type Verdict =
  /** `granted`: the scopes the path grants, the intersection of every link's (lib/trust/scope.ts). */
  | { trusted: true; key: Fingerprint; primary: Fingerprint; steps: Step[]; granted: string[] }
  | { trusted: false; key: Fingerprint; code: Code; reason: string; steps: Step[] };

/** Where a (sub)key fingerprint sits: a certificate, and the subkey when it is not the primary key. */
export type Holder = { certificate: Certificate; subkey: Subkey | null };

/** Certificates by fingerprint, with anchors marked; the input of every question. */
export class TrustGraph {
  private readonly byFingerprint = new Map<Fingerprint, Certificate>();
  private readonly bySubkey = new Map<Fingerprint, Holder[]>();
  readonly anchors: ReadonlySet<Fingerprint>;

  constructor(certificates: Iterable<Certificate>, anchors: Iterable<Fingerprint>) {
    for (const certificate of certificates) {
      this.byFingerprint.set(certificate.fingerprint, certificate);
      for (const subkey of certificate.subkeys)
        this.bySubkey.set(subkey.fingerprint, [
          ...(this.bySubkey.get(subkey.fingerprint) ?? []),
          { certificate, subkey },
        ]);
    }
    this.anchors = new Set(anchors);
  }

  get(fingerprint: Fingerprint): Certificate | undefined {
    return this.byFingerprint.get(fingerprint);
  }

  /**
   * Every certificate that holds a (sub)key fingerprint. Anyone can bind someone else's subkey, or
   * publish its key material as a primary key; only the owner's certificate has it bound and
   * back-signed (RFC 9580 §5.2.1). Those come first; the others stay, for `authorize` to try and refuse.
   */
  holders(fingerprint: Fingerprint): Holder[] {
    const primary = this.byFingerprint.get(fingerprint);
    const all: Holder[] = [
      ...(primary ? [{ certificate: primary, subkey: null }] : []),
      ...(this.bySubkey.get(fingerprint) ?? []),
    ];
    const owned = (h: Holder) =>
      h.subkey
        ? h.subkey.binding?.back != null
        : h.certificate.direct !== null || h.certificate.userIDs.some((u) => u.self);
    return [...all.filter(owned), ...all.filter((h) => !owned(h))];
  }

  /** The certificate a (sub)key fingerprint most likely belongs to: the first of `holders`. */
  resolve(fingerprint: Fingerprint): Holder | null {
    return this.holders(fingerprint)[0] ?? null;
  }

  /** Keys and subkeys with this key ID (RFC 9580 §5.5.4: the fingerprint's low 64 bits). */
  byKeyID(keyID: KeyID): Fingerprint[] {
    const keys = [...this.byFingerprint.values()].flatMap((c) => [c, ...c.subkeys]).filter((k) => k.keyID === keyID);
    return [...new Set(keys.map((k) => k.fingerprint))];
  }

  /** The key packet of a key or subkey in the graph, to check a signature with. */
  keyPacket(fingerprint: Fingerprint): Uint8Array {
    const found = this.resolve(fingerprint);
    if (!found) throw new Error(`key ${fingerprint} is not in the trust graph`);
    return (found.subkey ?? found.certificate).packet;
  }

  certificates(): Iterable<Certificate> {
    return this.byFingerprint.values();
  }
}

/** A failed check, carried up to the step that reports it. */
class Refusal extends Error {
  constructor(
    readonly code: Code,
    message: string,
  ) {
    super(message);
  }
}
const refuse = (code: Code, message: string): never => {
  throw new Refusal(code, message);
};

/** A candidate path: the anchor, then each certification with the key it certifies; the last is the signing key. */
interface Path {
  anchor: Certificate;
  links: Array<{ cert: Certification; subject: Certificate }>;
}

export function authorize(graph: TrustGraph, question: Question): Verdict {
  const holders = graph.holders(question.key);
  if (holders.length === 0) {
    return refused(question.key, [], 'UNKNOWN_KEY', `key ${question.key} is not in the keyring`);
  }
  // A key claimed by several certificates is judged under each: a claim alone proves nothing.
  return bestOf(holders.map((holder) => authorizeAs(graph, question, holder)));
}

function authorizeAs(graph: TrustGraph, question: Question, found: Holder): Verdict {
  const { certificate } = found;
  if (graph.anchors.has(certificate.fingerprint)) {
    return refused(
      question.key,
      [],
      'ANCHOR_NOT_SIGNER',
      `${describe(certificate)} is a trust anchor: it certifies signing keys and signs nothing else`,
    );
  }
  const paths = pathsTo(graph, certificate, question.policy);
  if (paths.length === 0) {
    return refused(question.key, [], 'NO_PATH', noPathReason(graph, certificate));
  }
  return bestOf(paths.map((path) => walk(question, found, path)));
}

/** The first verdict that trusts, or else the one that got furthest. */
function bestOf(verdicts: Verdict[]): Verdict {
  return verdicts.find((v) => v.trusted) ?? verdicts.reduce((best, v) => (progress(v) > progress(best) ? v : best));
}

/** Answers the question for every key and subkey of the graph that is not an anchor. */
export function authorizeAll(graph: TrustGraph, question: Omit<Question, 'key'>): Map<Fingerprint, Verdict> {
  const verdicts = new Map<Fingerprint, Verdict>();
  for (const certificate of graph.certificates()) {
    if (graph.anchors.has(certificate.fingerprint)) continue;
    for (const key of [certificate.fingerprint, ...certificate.subkeys.map((s) => s.fingerprint)]) {
      verdicts.set(key, authorize(graph, { ...question, key }));
    }
  }
  return verdicts;
}

const progress = (verdict: Verdict) => verdict.steps.filter((s) => s.ok).length;

function refused(key: Fingerprint, steps: Step[], code: Code, reason: string): Verdict {
  return { trusted: false, key, code, reason, steps: [...steps, { ok: false, code, text: reason }] };
}

/**
 * Every path from an anchor to `target` with at most `policy.maxDelegationDepth` intermediates. Paths
 * are only candidates: each is judged by `walk`. Cycles cannot occur, since a key appears once per path.
 */
function pathsTo(
  graph: TrustGraph,
  target: Certificate,
  policy: Policy,
  visited: ReadonlySet<Fingerprint> = new Set(),
): Path[] {
  const paths: Path[] = [];
  const seen = new Set([...visited, target.fingerprint]);
  for (const uid of target.userIDs) {
    for (const cert of uid.certifications) {
      if (seen.has(cert.issuer)) continue;
      const issuer = graph.get(cert.issuer);
      if (!issuer) continue;
      const link = { cert, subject: target };
      if (graph.anchors.has(issuer.fingerprint)) {
        paths.push({ anchor: issuer, links: [link] });
      } else if (visited.size < policy.maxDelegationDepth + 1) {
        // One more level than the policy allows is still explored, so that `walk` can name the failure.
        for (const above of pathsTo(graph, issuer, policy, seen))
          paths.push({ anchor: above.anchor, links: [...above.links, link] });
      }
    }
  }
  return paths;
}

function noPathReason(graph: TrustGraph, certificate: Certificate): string {
  const issuers = certificate.userIDs.flatMap((u) => u.certifications.map((c) => c.issuer));
  return issuers.length === 0
    ? `${describe(certificate)} carries no certification from any key in the keyring`
    : `no chain from a trust anchor (${[...graph.anchors].join(', ') || 'none given'}) to ${describe(certificate)}; it is certified by ${[...new Set(issuers)].join(', ')}`;
}

/** Judges one path top-down; the steps say what held, and the last one what failed. */
function walk(question: Question, target: { certificate: Certificate; subkey: Subkey | null }, path: Path): Verdict {
  const { now, policy } = question;
  const steps: Step[] = [];
  const step = (check: () => string): boolean => {
    try {
      steps.push({ ok: true, text: check() });
      return true;
    } catch (error) {
      if (!(error instanceof Refusal)) throw error;
      steps.push({ ok: false, code: error.code, text: error.message });
      return false;
    }
  };
  const fail = (): Verdict => {
    const last = steps[steps.length - 1]!;
    return { trusted: false, key: question.key, code: last.code!, reason: last.text, steps };
  };

  // Each key in the path is judged at the time it signed: the anchor and intermediates when they made
  // the certification below them, the signing key at `signedAt`.
  let issuer = path.anchor;
  for (const [i, { cert, subject }] of path.links.entries()) {
    const role = i === 0 ? 'anchor' : 'intermediate';
    const above = path.links.slice(0, i).map((l) => l.cert);
    const below = path.links.slice(i + 1).map((l) => l.cert);
    if (!step(() => checkKey(issuer, role, cert.created, now, policy, KEY_FLAG.certify))) return fail();
    if (!step(() => checkCertification(issuer, subject, cert, above, below, question))) return fail();
    issuer = subject;
  }
  // A delegation grants the power to certify within a scope, not to sign: intermediates are people's keys.
  const last = path.links[path.links.length - 1]!.cert;
  if (
    last.trust &&
    !step(() =>
      refuse(
        'NOT_SIGNING_KEY',
        `${describe(target.certificate)} is an intermediate (trust signature by ${last.issuer}): it may certify signing keys, not sign`,
      ),
    )
  )
    return fail();
  if (
    !step(() =>
      checkKey(target.certificate, 'signer', question.signedAt, now, policy, target.subkey ? null : KEY_FLAG.sign),
    )
  )
    return fail();
  if (target.subkey && !step(() => checkSubkey(target.certificate, target.subkey!, question.signedAt, now, policy)))
    return fail();
  return {
    trusted: true,
    key: question.key,
    primary: target.certificate.fingerprint,
    steps,
    granted: grantedScopes(path.links.map((l) => l.cert.scopes)),
  };
}

type Role = 'anchor' | 'intermediate' | 'signer';

const ROLE_CODES: Record<Role, { revoked: Code; expired: Code }> = {
  anchor: { revoked: 'ANCHOR_REVOKED', expired: 'ANCHOR_EXPIRED' },
  intermediate: { revoked: 'KEY_REVOKED', expired: 'KEY_EXPIRED' },
  signer: { revoked: 'KEY_REVOKED', expired: 'KEY_EXPIRED' },
};

/**
 * A key's own state: algorithm, self-signature, creation, revocation and expiry. `signedAt` is when
 * the key made the signature being relied on; `flag` the capability it needs (RFC 9580 §5.2.3.29).
 */
function checkKey(
  key: Certificate,
  role: Role,
  signedAt: Date,
  now: Date,
  policy: Policy,
  flag: number | null,
): string {
  const codes = ROLE_CODES[role];
  const weak = weakAlgorithm(key.algorithm, policy);
  if (weak) refuse('WEAK_ALGORITHM', `${describe(key)}: ${weak}`);
  const self = newestSelfSignature(key);
  if (!self) refuse('KEY_INVALID', `${describe(key)} has no valid self-signature`);
  if (self!.problem) refuse('KEY_INVALID', `${describe(key)}: self-signature has ${self!.problem}`);
  const weakSelf = weakHash(self!.hash, policy);
  if (weakSelf)
    refuse('WEAK_ALGORITHM', `${describe(key)}: self-signature uses ${self!.hash.toUpperCase()} (${weakSelf})`);
  if (flag !== null && self!.flags !== null && (self!.flags & flag) === 0) {
    refuse(
      flag === KEY_FLAG.sign ? 'NOT_SIGNING_KEY' : 'KEY_INVALID',
      `${describe(key)}: key flags do not allow it to ${flag === KEY_FLAG.sign ? 'sign' : 'certify'}`,
    );
  }
  if (key.created.getTime() > signedAt.getTime() + policy.clockSkewSeconds * 1000) {
    refuse(
      'KEY_NOT_YET_VALID',
      `${describe(key)} was created ${formatTime(key.created)}, after the signature it would have made at ${formatTime(signedAt)}`,
    );
  }
  const revoked = revocationAt(key.revocations, signedAt);
  if (revoked) refuse(codes.revoked, `${describe(key)} ${revocationText(revoked, signedAt, key.fingerprint)}`);
  // RFC 9580 §5.2.3.23: a revocation by a designated revoker whose certificate is missing cannot be
  // checked, so the key might be revoked: never trusted silently.
  const unknown = key.revokers.find((r) => !r.known);
  if (unknown) {
    refuse(
      'KEY_INVALID',
      `${describe(key)} names ${unknown.fingerprint} as a designated revoker, whose certificate is not in the keyring: a revocation by it could not be checked; add that certificate to the keyring`,
    );
  }
  const expires = keyExpires(key);
  if (expires && expires.getTime() <= Math.max(now.getTime(), signedAt.getTime())) {
    refuse(codes.expired, `${describe(key)} expired ${formatTime(expires)}`);
  }
  return `${role === 'signer' ? 'signing key' : role} ${describe(key)} (${algorithmText(key)}): valid${expires ? `, expires ${formatTime(expires)}` : ', does not expire'}`;
}

/**
 * One certification by `issuer` of `subject`: the signature itself, its User ID, expiry, revocation,
 * scope, and, when more links follow (`below`), the delegation it must grant to the subject. It grants
 * only within what the links `above` grant, whether or not a repository is named.
 */
function checkCertification(
  issuer: Certificate,
  subject: Certificate,
  cert: Certification,
  above: Certification[],
  below: Certification[],
  question: Question,
): string {
  const { now, policy } = question;
  const what = `certification by ${issuer.fingerprint} of "${cert.userID}" (${subject.fingerprint}) made ${formatTime(cert.created)}`;
  if (cert.problem) refuse('CERT_INVALID', `${what} has ${cert.problem}`);
  const weak = weakHash(cert.hash, policy);
  if (weak) refuse('WEAK_ALGORITHM', `${what} uses ${cert.hash.toUpperCase()} (${weak})`);
  if (cert.created.getTime() > now.getTime() + policy.clockSkewSeconds * 1000)
    refuse('CERT_NOT_YET_VALID', `${what} is dated in the future`);
  if (cert.expires && cert.expires.getTime() <= now.getTime())
    refuse('CERT_EXPIRED', `${what} expired ${formatTime(cert.expires)}`);

  const uid = subject.userIDs.find((u) => u.text === cert.userID)!;
  // RFC 9580 §5.2.1.12: a certification revocation voids the issuer's earlier certifications of the User ID.
  const revocation = uid.certificationRevocations.find(
    (r) => r.issuer === issuer.fingerprint && r.created >= cert.created && r.created <= now,
  );
  if (revocation)
    refuse('CERT_REVOKED', `${what} was revoked ${formatTime(revocation.created)}${reasonText(revocation)}`);
  checkUserID(subject, uid, now, policy);

  if (cert.scopes.length === 0)
    refuse('OUT_OF_SCOPE', `${what} carries no pkgsrc-scope@pkgsrc.org notation, so it grants no repository`);
  if (question.repository !== null && !inScope(question.repository, cert.scopes)) {
    refuse('OUT_OF_SCOPE', `${what} is for ${cert.scopes.join(', ')}, not for ${question.repository}`);
  }
  const granted = grantedScopes([...above, cert].map((c) => c.scopes));
  if (granted.length === 0) {
    refuse(
      'OUT_OF_SCOPE',
      above.length === 0
        ? `${what} is for ${cert.scopes.join(', ')}, which names no repository`
        : `${what} is for ${cert.scopes.join(', ')}, none of it within ${grantedScopes(above.map((c) => c.scopes)).join(', ')}, what the chain above grants`,
    );
  }

  if (below.length > 0) {
    // The subject goes on to certify: this must be a trust signature deep enough for what follows.
    if (!cert.trust)
      refuse(
        'NOT_DELEGATED',
        `${what} is a plain certification: it gives ${subject.fingerprint} no power to certify other keys`,
      );
    if (cert.trust!.amount < policy.minTrustAmount)
      refuse(
        'NOT_DELEGATED',
        `${what} grants trust ${cert.trust!.amount}, less than the ${policy.minTrustAmount} needed to delegate`,
      );
    if (cert.trust!.depth < below.length || below.length > policy.maxDelegationDepth) {
      refuse(
        'DEPTH_EXCEEDED',
        `${what} allows ${Math.min(cert.trust!.depth, policy.maxDelegationDepth)} level(s) of delegation; this chain needs ${below.length}`,
      );
    }
    const regex = cert.trust!.regex;
    if (regex !== null) {
      const matches = compileRegex(regex);
      const outside = below.find((c) => !matches(c.userID));
      if (outside)
        refuse(
          'OUT_OF_SCOPE',
          `${what} limits delegation to User IDs matching ${JSON.stringify(regex)}; "${outside.userID}" does not match`,
        );
    }
  }
  const kind = cert.trust
    ? `trust signature (depth ${cert.trust.depth}, amount ${cert.trust.amount})`
    : 'certification';
  const narrowed =
    above.length === 0 || granted.join(', ') === [...cert.scopes].sort().join(', ')
      ? ''
      : ` (within the chain: ${granted.join(', ')})`;
  return `${issuer.fingerprint} ${kind} of "${cert.userID}" (${subject.fingerprint}): scope ${cert.scopes.join(', ')}${narrowed}; made ${formatTime(cert.created)}, ${cert.expires ? `expires ${formatTime(cert.expires)}` : 'does not expire'}`;
}

/** The certified User ID must still be the subject's: self-signed, with an acceptable hash, not revoked. */
function checkUserID(subject: Certificate, uid: UserID, now: Date, policy: Policy): void {
  if (!uid.self) {
    // A key of an algorithm or curve pkgkeys cannot verify has no self-signature that verifies: say why.
    const weak = weakAlgorithm(subject.algorithm, policy);
    refuse(
      weak ? 'WEAK_ALGORITHM' : 'KEY_INVALID',
      weak
        ? `${describe(subject)}: ${weak}`
        : `User ID "${uid.text}" of ${subject.fingerprint} has no valid self-signature`,
    );
  }
  if (uid.self!.problem)
    refuse('KEY_INVALID', `User ID "${uid.text}" of ${subject.fingerprint}: self-signature has ${uid.self!.problem}`);
  const weak = weakHash(uid.self!.hash, policy);
  if (weak)
    refuse(
      'WEAK_ALGORITHM',
      `User ID "${uid.text}" of ${subject.fingerprint} is bound with ${uid.self!.hash.toUpperCase()} (${weak})`,
    );
  const revoked = uid.revocations.find((r) => r.created <= now && r.created >= uid.self!.created);
  if (revoked)
    refuse(
      'USER_ID_REVOKED',
      `User ID "${uid.text}" of ${subject.fingerprint} was revoked ${formatTime(revoked.created)}${reasonText(revoked)}`,
    );
}

/** A signing subkey: bound, cross-certified, allowed to sign, not revoked, not expired (RFC 9580 §5.2.1). */
function checkSubkey(primary: Certificate, subkey: Subkey, signedAt: Date, now: Date, policy: Policy): string {
  const what = `subkey ${subkey.fingerprint} of ${primary.fingerprint}`;
  const binding = subkey.binding;
  if (!binding) refuse('SUBKEY_UNBOUND', `${what} has no valid binding signature`);
  if (binding!.problem) refuse('SUBKEY_UNBOUND', `${what}: binding signature has ${binding!.problem}`);
  // By its use first: an encryption subkey is not a signing key, whatever its algorithm.
  if (binding!.flags === null || (binding!.flags & KEY_FLAG.sign) === 0)
    refuse('NOT_SIGNING_KEY', `${what} is not flagged for signing`);
  const weak = weakAlgorithm(subkey.algorithm, policy);
  if (weak) refuse('WEAK_ALGORITHM', `${what}: ${weak}`);
  const weakBinding = weakHash(binding!.hash, policy);
  if (weakBinding) refuse('WEAK_ALGORITHM', `${what} is bound with ${binding!.hash.toUpperCase()} (${weakBinding})`);
  const back = binding!.back;
  if (!back) refuse('SUBKEY_UNBOUND', `${what} does not cross-certify its primary key (no valid 0x19 back-signature)`);
  if (back!.problem) refuse('SUBKEY_UNBOUND', `${what}: its 0x19 back-signature has ${back!.problem}`);
  const weakBack = weakHash(back!.hash, policy);
  if (weakBack)
    refuse('WEAK_ALGORITHM', `${what} cross-certifies its primary key with ${back!.hash.toUpperCase()} (${weakBack})`);
  if (subkey.created.getTime() > signedAt.getTime() + policy.clockSkewSeconds * 1000) {
    refuse(
      'KEY_NOT_YET_VALID',
      `${what} was created ${formatTime(subkey.created)}, after the signature at ${formatTime(signedAt)}`,
    );
  }
  const revoked = revocationAt(subkey.revocations, signedAt);
  if (revoked) refuse('SUBKEY_REVOKED', `${what} ${revocationText(revoked, signedAt, primary.fingerprint)}`);
  const expires = binding!.keyExpires;
  if (expires && expires.getTime() <= Math.max(now.getTime(), signedAt.getTime()))
    refuse('SUBKEY_EXPIRED', `${what} expired ${formatTime(expires)}`);
  return `signing subkey ${subkey.fingerprint} (${subkey.algorithm.name} ${subkey.algorithm.bits}): bound, valid${expires ? `, expires ${formatTime(expires)}` : ''}`;
}

/** The revocation that voids a signature made at `signedAt`: any hard one, or a soft one made before it. */
function revocationAt(revocations: readonly Revocation[], signedAt: Date): Revocation | null {
  return revocations.find((r) => r.hard) ?? revocations.find((r) => r.created <= signedAt) ?? null;
}

function revocationText(revocation: Revocation, signedAt: Date, owner: Fingerprint): string {
  const kind = revocation.hard
    ? 'every signature it made is void'
    : `signatures after that are void, and this one is from ${formatTime(signedAt)}`;
  const by = revocation.issuer === owner ? '' : ` by designated revoker ${revocation.issuer}`;
  return `was revoked${by} ${formatTime(revocation.created)}${reasonText(revocation)}: ${kind}`;
}

const reasonText = (r: Revocation) => ` (${r.reason}${r.text ? `: ${r.text}` : ''})`;

/** The self-signature in force: the newest of the direct-key and User ID self-signatures (RFC 9580 §5.2.3.10). */
function newestSelfSignature(key: Certificate): SelfSignature | null {
  const candidates = [key.direct, ...key.userIDs.filter((u) => u.revocations.length === 0).map((u) => u.self)];
  return candidates.reduce<SelfSignature | null>(
    (best, s) => (s && (!best || s.created > best.created) ? s : best),
    null,
  );
}

/** When a key expires (RFC 9580 §5.2.3.13): as its self-signature in force says; null: never. */
export const keyExpires = (key: Certificate): Date | null => newestSelfSignature(key)?.keyExpires ?? null;

/**
 * The first instant after `at` at which a verdict on `graph` could differ from one at `at`, or null
 * when none can. The time enters a verdict only where `now` or `signedAt` is compared with a time the
 * keyring holds (a creation, expiry or revocation time), that time shifted by at most the clock skew
 * allowed; so no verdict changes before the earliest of those instants after `at`. Every time in the
 * certificates counts, wherever it sits, so a time field the model gains later is not missed.
 */
export function stableUntil(graph: TrustGraph, at: Date, policy: Policy): Date | null {
  const skew = policy.clockSkewSeconds * 1000;
  let first = Infinity;
  for (const time of timesIn([...graph.certificates()])) {
    for (const instant of [time - skew, time, time + skew])
      if (instant > at.getTime() && instant < first) first = instant;
  }
  return Number.isFinite(first) ? new Date(first) : null;
}

/** Every Date in a part of the model, in milliseconds. */
function timesIn(value: unknown, out: number[] = []): number[] {
  if (value instanceof Date) out.push(value.getTime());
  else if (Array.isArray(value)) for (const item of value) timesIn(item, out);
  else if (typeof value === 'object' && value !== null && !ArrayBuffer.isView(value))
    for (const item of Object.values(value)) timesIn(item, out);
  return out;
}

/**
 * RFC 9580 §8 regular expressions are a subset of JavaScript's. One that JavaScript cannot compile
 * matches nothing: an unreadable restriction must not widen a delegation.
 */
function compileRegex(source: string): (text: string) => boolean {
  try {
    const regex = new RegExp(source);
    return (text) => regex.test(text);
  } catch {
    return () => false;
  }
}

export function describe(key: Certificate): string {
  const uid = key.userIDs.find((u) => u.self)?.text ?? key.userIDs[0]?.text;
  return uid ? `${key.fingerprint} "${uid}"` : key.fingerprint;
}

const algorithmText = (key: Certificate) => `${key.algorithm.name} ${key.algorithm.bits}`;
