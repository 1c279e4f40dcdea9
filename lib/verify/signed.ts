/**
 * A signed document for one repository identifier (DESIGN.md §5): a repository index, a keyring release
 * (lib/keyring/release.ts), pkg-vulnerabilities, all cleartext-signed, or a signed binary package, whose
 * +PKG_HASH is signed detached (signed-package.ts). All are judged by the same steps, in the order
 * DESIGN.md §2 fixes:
 *
 *   1. read the signature: the cleartext framework, strictly (one block, `Hash:` header consistent,
 *      size capped), or the package's archive; a signature of the kind's type (RFC 9580 §5.2.1);
 *   2. find the signer in the keyring;
 *   3. check the signature's algorithms against the policy;
 *   4. check the clock: the signature is not made after now (beyond the skew), or no judgement
 *      "at the signature's time and now" below means anything;
 *   5. walk its chain from each anchor, at the signature's time and now, for this repository, until
 *      enough anchors vouch (lib/trust/chain.ts, lib/trust/threshold.ts); then the kind's own check;
 *   6. check the signature over what it covers;
 *   7. check that the `pkgsrc-repository@pkgsrc.org` notation names this repository;
 *   8. check freshness: an expiry set (unless the kind does without) and not passed.
 *
 * Each step returns what the next needs or throws a PkgkeysError with a stable code; nothing is
 * returned unless every step passed. A document kind supplies its codes and its own checks; what the
 * document says is the caller's to check, afterwards. "Now" is the later of the clock and the floor
 * (lib/verify/state.ts), which the caller reads.
 */
import { type Code, PkgkeysError } from '../errors';
import { type Fingerprint, REPOSITORY_NOTATION, type RepositoryId } from '../model';
import {
  type Cleartext,
  type MessageSignature,
  type TextLines,
  canonicalize,
  parseCleartext,
  readMessageSignature,
  verifyData,
} from '../pgp';
import type { TrustGraph } from '../trust/chain';
import { type ThresholdVerdict, authorizeThreshold } from '../trust/threshold';
import { type Policy, weakHash } from '../trust/policy';
import { describeSpan, formatTime } from '../time';
import { type Clock, SET_THE_CLOCK, clockBehind } from './state';

export type Trusted = ThresholdVerdict & { trusted: true };

/** What kind of document is judged: its name in messages, its codes for the failures of its own, its own checks. */
export interface DocumentKind {
  noun: string;
  /** The signature type it is signed with (RFC 9580 §5.2.1): text over a cleartext document, binary over +PKG_HASH. */
  signature: 'text' | 'binary';
  /** What the signature covers, in messages. */
  covers: string;
  /** Whether the signature must name the repository in the pkgsrc-repository@pkgsrc.org notation (pkg_install's package format has none). */
  notation: boolean;
  /** noExpiry null: a signature without an expiry is accepted. */
  codes: { malformed: Code; noExpiry: Code | null; expired: Code };
  /** A check of the chain beyond scope, after step 5. */
  checkChain?: (chain: Trusted, signer: Fingerprint, options: SignedOptions) => void;
}

/** A cleartext-signed document: capped in size, and it must expire (one that cannot could be replayed for ever). */
export interface CleartextKind extends DocumentKind {
  signature: 'text';
  /** The whole file, before anything is read. */
  maxBytes: number;
  codes: { malformed: Code; noExpiry: Code; expired: Code };
}

export interface SignedOptions {
  graph: TrustGraph;
  /** The repository (`keyring/<name>`, ...) the document must be signed for; null: any (a package verified for no repository). */
  repository: RepositoryId | null;
  now: Date;
  /** How `now` was found: the clock's reading and the floor; for messages that say which is wrong. */
  clock?: Clock;
  policy: Policy;
  /** Accept a signature past its expiry (a keyring package's release, installed long after it was made). */
  allowExpired?: boolean;
}

/** What the steps find of a signature. */
export interface SignedVerdict {
  signer: Fingerprint;
  /** The certificate the signer belongs to (the signer itself, or the primary of a signing subkey). */
  primary: Fingerprint;
  signed: Date;
  /** Null only for a kind that accepts a signature without expiry. */
  expires: Date | null;
  chain: Trusted;
}

export interface SignedText extends SignedVerdict {
  /** The text that was signed, and nothing else. */
  text: Buffer;
  expires: Date;
}

/** Whether the signature is valid by the signer's key packet `key` over what it covers (step 6's mathematics). */
export type SignatureCheck = (key: Uint8Array) => Promise<boolean>;

/**
 * A cleartext-signed document: every step. `data` is left as it is; the text returned may be a view of
 * it. `lines` is told each line of the text as it is decoded (the kind's own check of the text, in the
 * same pass), which happens at step 6.
 */
export async function verifySigned(
  data: Buffer,
  source: string,
  kind: CleartextKind,
  options: SignedOptions & { repository: RepositoryId },
  lines?: TextLines,
): Promise<SignedText> {
  if (data.length > kind.maxBytes)
    throw new PkgkeysError('TOO_LARGE', `${source}: ${data.length} bytes is more than the ${kind.maxBytes} allowed`);
  const cleartext = parseCleartext(data, source, kind.codes.malformed);
  const sig = await readCleartextSignature(cleartext, source, kind);
  // The text, decoded from the framework in the same pass that hashes it (RFC 9580 §7.2).
  let text: Buffer | null = null;
  const verdict = await judgeSigned(sig, kind, options, (key) =>
    verifyData(sig, key, (hash) => {
      text = canonicalize(cleartext.body, hash, lines);
    }),
  );
  // The signature held, so the text was read.
  return { ...verdict, text: text! };
}

/**
 * Steps 2 to 8 on the signature step 1 read; `matches` is step 6's mathematics over what the signature
 * covers, however it was read.
 */
export async function judgeSigned(
  sig: MessageSignature,
  kind: CleartextKind,
  options: SignedOptions,
  matches: SignatureCheck,
): Promise<SignedVerdict & { expires: Date }>;
export async function judgeSigned(
  sig: MessageSignature,
  kind: DocumentKind,
  options: SignedOptions,
  matches: SignatureCheck,
): Promise<SignedVerdict>;
export async function judgeSigned(
  sig: MessageSignature,
  kind: DocumentKind,
  options: SignedOptions,
  matches: SignatureCheck,
): Promise<SignedVerdict> {
  const signer = findSigner(options.graph, sig, kind.noun);
  checkAlgorithms(sig, options.policy, kind);
  checkClock(sig.created, options, kind.noun);
  const chain = walkChain(signer, sig, kind, options);
  await checkSignature(options.graph, signer, kind, matches);
  checkNotation(sig, options.repository, kind);
  const expires = checkFreshness(sig, options, kind);
  return { signer, primary: chain.primary, signed: sig.created, expires, chain };
}

/** Step 1, the signature itself: one v4 signature packet of the kind's type, or the kind's malformed code. */
export async function readSignature(bytes: Uint8Array, what: string, kind: DocumentKind): Promise<MessageSignature> {
  const sig = await readMessageSignature(bytes, what, kind.codes.malformed);
  if (sig.kind !== kind.signature) {
    throw new PkgkeysError(
      kind.codes.malformed,
      `${what}: expected a ${kind.signature} signature (type ${kind.signature === 'text' ? '0x01' : '0x00'}) over ${kind.covers}`,
    );
  }
  return sig;
}

/** Step 1 for a cleartext document, after the framework: its signature, whose hash the `Hash:` header must name. */
export async function readCleartextSignature(
  cleartext: Pick<Cleartext, 'headerHashes' | 'signature'>,
  source: string,
  kind: CleartextKind,
): Promise<MessageSignature> {
  const sig = await readSignature(cleartext.signature, `${source}: signature`, kind);
  // RFC 9580 §7.1: the header announces the hash, so a verifier can hash while reading; it must not lie.
  if (!cleartext.headerHashes.includes(sig.hash)) {
    throw new PkgkeysError(
      'HASH_HEADER_MISMATCH',
      `${source}: the signature uses ${sig.hash.toUpperCase()} but the Hash header says ${cleartext.headerHashes.map((h) => h.toUpperCase()).join(', ') || '(none)'}`,
    );
  }
  return sig;
}

/** Step 2: by Issuer Fingerprint when the signature names one, else by its Issuer Key ID. */
export function findSigner(graph: TrustGraph, sig: MessageSignature, noun: string): Fingerprint {
  if (sig.issuerFingerprint) {
    if (!graph.resolve(sig.issuerFingerprint))
      throw new PkgkeysError(
        'UNKNOWN_KEY',
        `the ${noun} is signed by ${sig.issuerFingerprint}, which is not in the keyring`,
      );
    return sig.issuerFingerprint;
  }
  const candidates = graph.byKeyID(sig.issuerKeyID);
  if (candidates.length !== 1) {
    throw new PkgkeysError(
      'UNKNOWN_KEY',
      `the ${noun} is signed by key ID ${sig.issuerKeyID}, which ${candidates.length ? 'names several keys' : 'is not in the keyring'}`,
    );
  }
  return candidates[0]!;
}

/** Step 3: the hash policy, and what the packet reader found wrong (a critical subpacket it does not know). */
function checkAlgorithms(sig: MessageSignature, policy: Policy, kind: DocumentKind): void {
  const weak = weakHash(sig.hash, policy);
  if (weak) throw new PkgkeysError('WEAK_ALGORITHM', `${kind.noun} signature: ${weak}`);
  if (sig.problem) throw new PkgkeysError('BAD_SIGNATURE', `${kind.noun} signature: ${sig.problem}`);
}

/**
 * Step 5: revocation, expiry and scope at every link, for this repository (or any), at the
 * signature's time and now, until enough anchors vouch; then the kind's own check of the chain.
 */
function walkChain(signer: Fingerprint, sig: MessageSignature, kind: DocumentKind, options: SignedOptions): Trusted {
  const verdict = authorizeThreshold(options.graph, {
    key: signer,
    repository: options.repository,
    signedAt: sig.created,
    now: options.now,
    policy: options.policy,
  });
  if (!verdict.trusted) throw new PkgkeysError(verdict.code, verdict.reason);
  kind.checkChain?.(verdict, signer, options);
  return verdict;
}

/** Step 6: the mathematics over what the signature covers (for a cleartext, the canonical text, RFC 9580 §7.2), however it was read. */
async function checkSignature(
  graph: TrustGraph,
  signer: Fingerprint,
  kind: DocumentKind,
  matches: SignatureCheck,
): Promise<void> {
  if (!(await matches(graph.keyPacket(signer)))) {
    throw new PkgkeysError(
      'BAD_SIGNATURE',
      `the signature by ${signer} does not match ${kind.covers}: the ${kind.noun} was modified`,
    );
  }
}

/** Step 7: the document names what it is for, so one signed for another repository or keyring cannot be swapped in. */
function checkNotation(sig: MessageSignature, repository: RepositoryId | null, kind: DocumentKind): void {
  if (!kind.notation) return;
  const named = sig.notations.filter((n) => n.name === REPOSITORY_NOTATION).map((n) => n.value);
  if (named.length !== 1 || named[0] !== repository) {
    throw new PkgkeysError(
      'REPOSITORY_MISMATCH',
      named.length === 0
        ? `the ${kind.noun} signature names no repository (${REPOSITORY_NOTATION} notation); expected ${repository}`
        : `the ${kind.noun} is signed for ${named.join(', ')}, not for ${repository}`,
    );
  }
}

/** Step 8: an expiry set (unless the kind does without) and not passed, also when the clock was set back (`now` is never before the floor). */
function checkFreshness(sig: MessageSignature, options: SignedOptions, kind: DocumentKind): Date | null {
  if (!sig.expires) {
    if (kind.codes.noExpiry)
      throw new PkgkeysError(
        kind.codes.noExpiry,
        `the ${kind.noun} signature made ${formatTime(sig.created)} has no expiration time; it must expire`,
      );
    return null;
  }
  if (options.now >= sig.expires && !options.allowExpired) {
    const behind = options.clock && clockBehind(options.clock, options.policy);
    throw new PkgkeysError(
      kind.codes.expired,
      `the ${kind.noun} signature expired ${formatTime(sig.expires)} (now ${formatTime(options.now)}): ${behind ? `it stays expired, as ${behind}` : 'the mirror may be frozen or stale'}`,
    );
  }
  return sig.expires;
}

/**
 * Step 4: a signature made after now, beyond the skew, cannot be judged: either this machine's clock is
 * behind (a board without a battery reads 1970 until ntpd runs) or the signer's is ahead. Refused
 * either way, with the times that tell which (CLOCK_BEHIND); the chain is not walked at a "now" before
 * the signature.
 */
function checkClock(created: Date, options: { now: Date; clock?: Clock; policy: Policy }, noun: string): void {
  const ahead = created.getTime() - options.now.getTime();
  if (ahead <= options.policy.clockSkewSeconds * 1000) return;
  const clock = options.clock ?? { now: options.now, reads: options.now, floor: null };
  const behind = clockBehind(clock, options.policy);
  const proven = clock.floor
    ? `the latest time proven here is ${formatTime(clock.floor.signed)}`
    : 'nothing is proven here yet';
  throw new PkgkeysError(
    'CLOCK_BEHIND',
    behind
      ? `the ${noun} was signed ${formatTime(created)}, but ${behind}`
      : `the ${noun} was signed ${formatTime(created)}, ${describeSpan(ahead)} after now: this machine's clock reads ${formatTime(clock.reads)} (${proven}). ` +
          `If the clock is wrong, ${SET_THE_CLOCK}; if it is right, the signer's clock is ahead, and the ${noun} cannot be used before ${formatTime(created)}`,
  );
}
