/**
 * A signed document for one identifier (DESIGN.md §5): a repository index, a keyring release
 * (lib/keyring/release.ts), pkg-vulnerabilities, all cleartext-signed, or a signed binary package, whose
 * +PKG_HASH is signed detached (signed-package.ts). All are judged by the same steps, in the order
 * DESIGN.md §2 fixes:
 *
 *   1. read the signature: the cleartext framework, strictly (one block, `Hash:` header consistent,
 *      size capped), or the package's archive; a signature of the kind's type (RFC 9580 §5.2.1);
 *   2. find the signer in the keyring;
 *   3. walk its chain from each anchor, at the signature's time and now, for this identifier, until enough
 *      anchors vouch (lib/trust/chain.ts, lib/trust/threshold.ts);
 *   4. check the signature over what it covers;
 *   5. check that the `pkgsrc-repository@pkgsrc.org` notation names this identifier;
 *   6. check freshness: an expiry set and not passed, a creation time not ahead of now.
 *
 * Each step returns what the next needs or throws a PkgkeysError with a stable code; nothing is
 * returned unless every step passed. A document kind supplies its codes and its own checks; what the
 * document says is the caller's to check, afterwards.
 */
import { type Code, PkgkeysError } from '../errors';
import { type Fingerprint, REPOSITORY_NOTATION } from '../model';
import { type Cleartext, type DataFeed, type MessageSignature, canonicalize, parseCleartext, readMessageSignature, verifyData } from '../pgp';
import type { RepositoryScope, TrustGraph } from '../trust/chain';
import { type ThresholdVerdict, authorizeThreshold } from '../trust/threshold';
import { type Policy, weakHash } from '../trust/policy';
import { formatTime } from '../time';

export type Trusted = ThresholdVerdict & { trusted: true };

/** What kind of document is judged: its name in messages, its codes for the failures of its own, its own checks. */
export interface DocumentKind {
  noun: string;
  /** The signature type it is signed with (RFC 9580 §5.2.1): text over a cleartext document, binary over +PKG_HASH. */
  signature: 'text' | 'binary';
  /** What the signature covers, in messages. */
  covers: string;
  /** Whether the signature must name the identifier in the pkgsrc-repository@pkgsrc.org notation (pkg_install's package format has none). */
  notation: boolean;
  /** noExpiry null: a signature without an expiry is accepted. */
  codes: { malformed: Code; noExpiry: Code | null; expired: Code; fromFuture: Code };
  /** A check of the chain beyond scope, after step 3. */
  checkChain?: (chain: Trusted, signer: Fingerprint, options: SignedOptions) => void;
}

/** A cleartext-signed document, capped in size. */
export interface CleartextKind extends DocumentKind {
  signature: 'text';
  /** The whole file, before anything is read. */
  maxBytes: number;
}

export interface SignedOptions {
  graph: TrustGraph;
  /** The repository (or keyring) identifier the document must be signed for; null: any (a package verified for no repository). */
  identifier: string | null;
  now: Date;
  policy: Policy;
  /** Accept a signature past its expiry (a keyring package's release, installed long after it was made). */
  allowExpired?: boolean;
}

export interface Signed {
  signer: Fingerprint;
  /** The certificate the signer belongs to (the signer itself, or the primary of a signing subkey). */
  primary: Fingerprint;
  signed: Date;
  /** Null only for a kind that accepts a signature without expiry. */
  expires: Date | null;
  chain: Trusted;
}

export interface SignedText extends Signed {
  /** The text that was signed, and nothing else. */
  text: Buffer;
  expires: Date;
}

/** A cleartext-signed document: steps 1 to 6. `data` is left as it is; the text returned may be a view of it. */
export async function verifySigned(data: Buffer, source: string, kind: CleartextKind, options: SignedOptions & { identifier: string }): Promise<SignedText> {
  const { cleartext, sig } = await parseFramework(data, source, kind);
  // The text, decoded from the framework in the same pass that hashes it (RFC 9580 §7.2).
  let text: Buffer | null = null;
  const signed = await checkSigned(sig, (hash) => void (text = canonicalize(cleartext.body, hash)), kind, options);
  // A cleartext kind requires an expiry (codes.noExpiry), and the signature held, so the text was read.
  return { ...signed, text: text as unknown as Buffer, expires: signed.expires! };
}

/** Steps 2 to 6, for a signature read in step 1, over the data `feed` gives. */
export async function checkSigned(sig: MessageSignature, feed: DataFeed, kind: DocumentKind, options: SignedOptions): Promise<Signed> {
  const signer = findSigner(options.graph, sig, kind.noun);
  const chain = walkChain(signer, sig, kind, options);
  await checkSignature(options.graph, signer, sig, feed, options.policy, kind);
  checkIdentifier(sig, options.identifier, kind);
  const expires = checkFreshness(sig, options, kind);
  return { signer, primary: chain.primary, signed: sig.created, expires, chain };
}

/** Step 1, the signature itself: one v4 signature packet of the kind's type. */
export async function readSignature(bytes: Uint8Array, what: string, kind: DocumentKind): Promise<MessageSignature> {
  const sig = await readMessageSignature(bytes, what, kind.codes.malformed);
  if (sig.kind !== kind.signature) {
    throw new PkgkeysError(kind.codes.malformed, `${what}: expected a ${kind.signature} signature (type ${kind.signature === 'text' ? '0x01' : '0x00'}) over ${kind.covers}`);
  }
  return sig;
}

/** Step 1 for a cleartext document. The signature packet is read here only for its hash algorithm, which the header must name. */
async function parseFramework(data: Buffer, source: string, kind: CleartextKind): Promise<{ cleartext: Cleartext; sig: MessageSignature }> {
  if (data.length > kind.maxBytes) throw new PkgkeysError('TOO_LARGE', `${source}: ${data.length} bytes is more than the ${kind.maxBytes} allowed`);
  const cleartext = parseCleartext(data, source, kind.codes.malformed);
  const sig = await readSignature(cleartext.signature, `${source}: signature`, kind);
  // RFC 9580 §7.1: the header announces the hash, so a verifier can hash while reading; it must not lie.
  if (!cleartext.headerHashes.includes(sig.hash)) {
    throw new PkgkeysError(
      'HASH_HEADER_MISMATCH',
      `${source}: the signature uses ${sig.hash.toUpperCase()} but the Hash header says ${cleartext.headerHashes.map((h) => h.toUpperCase()).join(', ') || '(none)'}`,
    );
  }
  return { cleartext, sig };
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

/**
 * Step 3: revocation, expiry and scope at every link, for this identifier (or any repository), at the
 * signature's time and now, until enough anchors vouch; then the kind's own check of the chain.
 */
function walkChain(signer: Fingerprint, sig: MessageSignature, kind: DocumentKind, options: SignedOptions): Trusted {
  const scope: RepositoryScope = options.identifier === null ? { anyRepository: true } : { repository: options.identifier };
  const verdict = authorizeThreshold(options.graph, { key: signer, scope, signedAt: sig.created, now: options.now, policy: options.policy });
  if (!verdict.trusted) throw new PkgkeysError(verdict.code, verdict.reason);
  kind.checkChain?.(verdict, signer, options);
  return verdict;
}

/** Step 4: the hash policy, then the mathematics over what the signature covers, as `feed` gives it. */
async function checkSignature(graph: TrustGraph, signer: Fingerprint, sig: MessageSignature, feed: DataFeed, policy: Policy, kind: DocumentKind): Promise<void> {
  const weak = weakHash(sig.hash, policy);
  if (weak) throw new PkgkeysError('WEAK_ALGORITHM', `${kind.noun} signature: ${weak}`);
  if (sig.problem) throw new PkgkeysError('BAD_SIGNATURE', `${kind.noun} signature: ${sig.problem}`);
  if (!(await verifyData(sig, graph.keyPacket(signer), feed))) {
    throw new PkgkeysError('BAD_SIGNATURE', `the signature by ${signer} does not match ${kind.covers}: the ${kind.noun} was modified`);
  }
}

/** Step 5: the document names what it is for, so one signed for another repository or keyring cannot be swapped in. */
function checkIdentifier(sig: MessageSignature, identifier: string | null, kind: DocumentKind): void {
  if (!kind.notation) return;
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

/** Step 6, the part that needs no state: an expiry set (unless the kind does without) and not passed; the time must not lie ahead. */
function checkFreshness(sig: MessageSignature, options: SignedOptions, kind: DocumentKind): Date | null {
  if (!sig.expires && kind.codes.noExpiry) {
    throw new PkgkeysError(kind.codes.noExpiry, `the ${kind.noun} signature made ${formatTime(sig.created)} has no expiration time; it must expire`);
  }
  if (sig.expires && options.now >= sig.expires && !options.allowExpired) {
    throw new PkgkeysError(kind.codes.expired, `the ${kind.noun} signature expired ${formatTime(sig.expires)} (now ${formatTime(options.now)}): the mirror may be frozen or stale`);
  }
  if (sig.created.getTime() > options.now.getTime() + options.policy.clockSkewSeconds * 1000) {
    throw new PkgkeysError(kind.codes.fromFuture, `the ${kind.noun} signature claims to be made ${formatTime(sig.created)}, after now (${formatTime(options.now)})`);
  }
  return sig.expires;
}
