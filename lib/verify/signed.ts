/**
 * A cleartext-signed document for one identifier (DESIGN.md §5): a repository index, or a keyring
 * release (lib/keyring/release.ts). Both are judged by the same steps, in the order DESIGN.md §2 fixes:
 *
 *   1. parse the cleartext framework strictly (one block, `Hash:` header consistent, size capped);
 *   2. find the signer in the keyring;
 *   3. check the signature's algorithms against the policy;
 *   4. check the clock: the signature is not made after now (beyond the skew), or no judgement
 *      "at the signature's time and now" below means anything;
 *   5. walk its chain from each anchor, at the signature's time and now, for this identifier, until
 *      enough anchors vouch (lib/trust/chain.ts, lib/trust/threshold.ts);
 *   6. check the signature over the signed text;
 *   7. check that the `pkgsrc-repository@pkgsrc.org` notation names this identifier;
 *   8. check freshness: an expiry set and not passed.
 *
 * Each step returns what the next needs or throws a PkgkeysError with a stable code; nothing is
 * returned unless every step passed. What the document says is the caller's to check, afterwards.
 * "Now" is the later of the clock and the floor (lib/verify/state.ts), which the caller reads.
 */
import { type Code, PkgkeysError } from '../errors';
import { type Fingerprint, REPOSITORY_NOTATION } from '../model';
import { type Cleartext, type MessageSignature, canonicalize, parseCleartext, readMessageSignature, verifyData } from '../pgp';
import type { TrustGraph } from '../trust/chain';
import { type ThresholdVerdict, authorizeThreshold } from '../trust/threshold';
import { type Policy, weakHash } from '../trust/policy';
import { describeSpan, formatTime } from '../time';
import { type Clock, SET_THE_CLOCK, clockBehind } from './state';

/** What kind of document is judged: its name in messages and its codes for the failures of its own. */
export interface DocumentKind {
  noun: string;
  /** The whole file, before anything is read. */
  maxBytes: number;
  codes: { malformed: Code; noExpiry: Code; expired: Code };
}

export interface SignedOptions {
  graph: TrustGraph;
  /** The repository (or keyring) identifier the document must be signed for. */
  identifier: string;
  now: Date;
  /** How `now` was found: the clock's reading and the floor; for messages that say which is wrong. */
  clock?: Clock;
  policy: Policy;
  /** Accept a signature past its expiry (a keyring package's release, installed long after it was made). */
  allowExpired?: boolean;
}

export interface SignedText {
  /** The text that was signed, and nothing else. */
  text: Buffer;
  signer: Fingerprint;
  /** The certificate the signer belongs to (the signer itself, or the primary of a signing subkey). */
  primary: Fingerprint;
  signed: Date;
  expires: Date;
  chain: ThresholdVerdict & { trusted: true };
}

/** What verifySigned finds, but the text (which a document read as it arrives does not keep). */
export type SignedVerdict = Omit<SignedText, 'text'>;

/** Whether the signature is valid by the signer's key packet `key` over the document's text (step 4's mathematics). */
export type SignatureCheck = (key: Uint8Array) => Promise<boolean>;

/** `data` is left as it is; the text returned may be a view of it. */
export async function verifySigned(data: Buffer, source: string, kind: DocumentKind, options: SignedOptions): Promise<SignedText> {
  if (data.length > kind.maxBytes) throw new PkgkeysError('TOO_LARGE', `${source}: ${data.length} bytes is more than the ${kind.maxBytes} allowed`);
  const cleartext = await framework(kind, () => parseCleartext(data, source));
  const sig = await readSignature(cleartext, source, kind);
  let text: Buffer | null = null;
  const verdict = await judgeSigned(sig, kind, options, (key) =>
    verifyData(sig, key, (hash) => {
      text = canonicalize(cleartext.body, hash);
    }),
  );
  return { text: text!, ...verdict };
}

/**
 * Steps 2 to 8 on the signature step 1 read; `matches` is step 4's mathematics over the text, however
 * the text was read.
 */
export async function judgeSigned(sig: MessageSignature, kind: DocumentKind, options: SignedOptions, matches: SignatureCheck): Promise<SignedVerdict> {
  const signer = findSigner(options.graph, sig, kind.noun);
  checkAlgorithms(sig, options.policy, kind);
  checkClock(sig.created, options, kind.noun);
  const chain = walkChain(options.graph, signer, sig, options);
  await checkSignature(options.graph, signer, kind, matches);
  checkIdentifier(sig, options.identifier, kind);
  const expires = checkFreshness(sig, options, kind);
  return { signer, primary: chain.primary, signed: sig.created, expires, chain };
}

/** Step 1's parse, whose parser speaks of indexes: a keyring release has a code of its own. */
export async function framework<T>(kind: DocumentKind, parse: () => T | Promise<T>): Promise<T> {
  try {
    return await parse();
  } catch (error) {
    if (error instanceof PkgkeysError && error.code === 'INDEX_MALFORMED') throw new PkgkeysError(kind.codes.malformed, error.message, { cause: error });
    throw error;
  }
}

/** Step 1, after the framework: the signature packet is read here only for its hash algorithm, which the header must name. */
export async function readSignature(cleartext: Pick<Cleartext, 'headerHashes' | 'signature'>, source: string, kind: DocumentKind): Promise<MessageSignature> {
  const sig = await framework(kind, () => readMessageSignature(cleartext.signature, `${source}: signature`));
  if (sig.kind !== 'text') throw new PkgkeysError(kind.codes.malformed, `${source}: a cleartext signature must be a text signature (type 0x01)`);
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
    if (!graph.resolve(sig.issuerFingerprint)) throw new PkgkeysError('UNKNOWN_KEY', `the ${noun} is signed by ${sig.issuerFingerprint}, which is not in the keyring`);
    return sig.issuerFingerprint;
  }
  const candidates = graph.byKeyID(sig.issuerKeyID);
  if (candidates.length !== 1) {
    throw new PkgkeysError('UNKNOWN_KEY', `the ${noun} is signed by key ID ${sig.issuerKeyID}, which ${candidates.length ? 'names several keys' : 'is not in the keyring'}`);
  }
  return candidates[0]!;
}

/** Step 5: revocation, expiry and scope at every link, for this identifier, at the signature's time and now; k anchors. */
function walkChain(graph: TrustGraph, signer: Fingerprint, sig: MessageSignature, options: SignedOptions): ThresholdVerdict & { trusted: true } {
  const verdict = authorizeThreshold(graph, { key: signer, scope: { repository: options.identifier }, signedAt: sig.created, now: options.now, policy: options.policy });
  if (!verdict.trusted) throw new PkgkeysError(verdict.code, verdict.reason);
  return verdict;
}

/** Step 3: the hash policy, and what the packet reader found wrong (a critical subpacket it does not know). */
function checkAlgorithms(sig: MessageSignature, policy: Policy, kind: DocumentKind): void {
  const weak = weakHash(sig.hash, policy);
  if (weak) throw new PkgkeysError('WEAK_ALGORITHM', `${kind.noun} signature: ${weak}`);
  if (sig.problem) throw new PkgkeysError('BAD_SIGNATURE', `${kind.noun} signature: ${sig.problem}`);
}

/** Step 6: the mathematics over the canonical text (RFC 9580 §7.2), however the text was read. */
async function checkSignature(graph: TrustGraph, signer: Fingerprint, kind: DocumentKind, matches: SignatureCheck): Promise<void> {
  if (!(await matches(graph.keyPacket(signer)))) throw new PkgkeysError('BAD_SIGNATURE', `the signature by ${signer} does not match the signed text: the ${kind.noun} was modified`);
}

/** Step 7: the document names what it is for, so one signed for another repository or keyring cannot be swapped in. */
function checkIdentifier(sig: MessageSignature, identifier: string, kind: DocumentKind): void {
  const named = sig.notations.filter((n) => n.name === REPOSITORY_NOTATION).map((n) => n.value);
  if (named.length !== 1 || named[0] !== identifier) {
    throw new PkgkeysError(
      'REPOSITORY_MISMATCH',
      named.length === 0
        ? `the ${kind.noun} signature names no repository (${REPOSITORY_NOTATION} notation); expected ${identifier}`
        : `the ${kind.noun} is signed for ${named.join(', ')}, not for ${identifier}`,
    );
  }
}

/** Step 8: an expiry must be set and not passed, also when the clock was set back (`now` is never before the floor). */
function checkFreshness(sig: MessageSignature, options: SignedOptions, kind: DocumentKind): Date {
  if (!sig.expires) throw new PkgkeysError(kind.codes.noExpiry, `the ${kind.noun} signature made ${formatTime(sig.created)} has no expiration time; it must expire`);
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
  const proven = clock.floor ? `the latest time proven here is ${formatTime(clock.floor.signed)}` : 'nothing is proven here yet';
  throw new PkgkeysError(
    'CLOCK_BEHIND',
    behind
      ? `the ${noun} was signed ${formatTime(created)}, but ${behind}`
      : `the ${noun} was signed ${formatTime(created)}, ${describeSpan(ahead)} after now: this machine's clock reads ${formatTime(clock.reads)} (${proven}). ` +
        `If the clock is wrong, ${SET_THE_CLOCK}; if it is right, the signer's clock is ahead, and the ${noun} cannot be used before ${formatTime(created)}`,
  );
}
