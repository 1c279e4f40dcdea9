/**
 * A cleartext-signed document for one identifier (DESIGN.md §5): a repository index, or a keyring
 * release (lib/keyring/release.ts). Both are judged by the same steps, in the order DESIGN.md §2 fixes:
 *
 *   1. parse the cleartext framework strictly (one block, `Hash:` header consistent, size capped);
 *   2. find the signer in the keyring;
 *   3. walk its chain from an anchor, at the signature's time and now, for this identifier (lib/trust/chain.ts);
 *   4. check the signature over the signed text;
 *   5. check that the `pkgsrc-repository@pkgsrc.org` notation names this identifier;
 *   6. check freshness: an expiry set and not passed, a creation time not ahead of now.
 *
 * Each step returns what the next needs or throws a PkgkeysError with a stable code; nothing is
 * returned unless every step passed. What the document says is the caller's to check, afterwards.
 */
import { type Code, PkgkeysError } from '../errors';
import { type Fingerprint, REPOSITORY_NOTATION } from '../model';
import { type Cleartext, type MessageSignature, canonicalize, parseCleartext, readMessageSignature, verifyData } from '../pgp';
import { type TrustGraph, type Verdict, authorize } from '../trust/chain';
import { type Policy, weakHash } from '../trust/policy';
import { formatTime } from '../time';

/** What kind of document is judged: its name in messages and its codes for the failures of its own. */
export interface DocumentKind {
  noun: string;
  /** The whole file, before anything is read. */
  maxBytes: number;
  codes: { malformed: Code; noExpiry: Code; expired: Code; fromFuture: Code };
}

export interface SignedOptions {
  graph: TrustGraph;
  /** The repository (or keyring) identifier the document must be signed for. */
  identifier: string;
  now: Date;
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
  chain: Verdict & { trusted: true };
}

/** `data` is left as it is; the text returned may be a view of it. */
export async function verifySigned(data: Buffer, source: string, kind: DocumentKind, options: SignedOptions): Promise<SignedText> {
  const { cleartext, sig } = await parseFramework(data, source, kind);
  const signer = findSigner(options.graph, sig, kind.noun);
  const chain = walkChain(options.graph, signer, sig, options);
  const text = await checkSignature(options.graph, signer, sig, cleartext, options.policy, kind);
  checkIdentifier(sig, options.identifier, kind);
  const expires = checkFreshness(sig, options, kind);
  return { text, signer, primary: chain.primary, signed: sig.created, expires, chain };
}

/** Step 1. The signature packet is read here only for its hash algorithm, which the header must name. */
async function parseFramework(data: Buffer, source: string, kind: DocumentKind): Promise<{ cleartext: Cleartext; sig: MessageSignature }> {
  if (data.length > kind.maxBytes) throw new PkgkeysError('TOO_LARGE', `${source}: ${data.length} bytes is more than the ${kind.maxBytes} allowed`);
  const cleartext = parseCleartext(data, source, kind.codes.malformed);
  const sig = await readMessageSignature(cleartext.signature, `${source}: signature`, kind.codes.malformed);
  if (sig.kind !== 'text') throw new PkgkeysError(kind.codes.malformed, `${source}: a cleartext signature must be a text signature (type 0x01)`);
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

/** Step 3: revocation, expiry and scope at every link, for this identifier, at the signature's time and now. */
function walkChain(graph: TrustGraph, signer: Fingerprint, sig: MessageSignature, options: SignedOptions): Verdict & { trusted: true } {
  const verdict = authorize(graph, { key: signer, scope: { repository: options.identifier }, signedAt: sig.created, now: options.now, policy: options.policy });
  if (!verdict.trusted) throw new PkgkeysError(verdict.code, verdict.reason);
  return verdict;
}

/**
 * Step 4: the hash policy, then the mathematics over the canonical text (RFC 9580 §7.2). Returns the
 * signed text, decoded from the framework in the same pass that hashes it.
 */
async function checkSignature(graph: TrustGraph, signer: Fingerprint, sig: MessageSignature, cleartext: Cleartext, policy: Policy, kind: DocumentKind): Promise<Buffer> {
  const weak = weakHash(sig.hash, policy);
  if (weak) throw new PkgkeysError('WEAK_ALGORITHM', `${kind.noun} signature: ${weak}`);
  if (sig.problem) throw new PkgkeysError('BAD_SIGNATURE', `${kind.noun} signature: ${sig.problem}`);
  let text: Buffer | null = null;
  const valid = await verifyData(sig, graph.keyPacket(signer), (hash) => {
    text = canonicalize(cleartext.body, hash);
  });
  if (!valid || text === null) throw new PkgkeysError('BAD_SIGNATURE', `the signature by ${signer} does not match the signed text: the ${kind.noun} was modified`);
  return text;
}

/** Step 5: the document names what it is for, so one signed for another repository or keyring cannot be swapped in. */
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

/** Step 6, the part that needs no state: an expiry must be set and not passed; the time must not lie ahead. */
function checkFreshness(sig: MessageSignature, options: SignedOptions, kind: DocumentKind): Date {
  if (!sig.expires) throw new PkgkeysError(kind.codes.noExpiry, `the ${kind.noun} signature made ${formatTime(sig.created)} has no expiration time; it must expire`);
  if (options.now >= sig.expires && !options.allowExpired) {
    throw new PkgkeysError(kind.codes.expired, `the ${kind.noun} signature expired ${formatTime(sig.expires)} (now ${formatTime(options.now)}): the mirror may be frozen or stale`);
  }
  if (sig.created.getTime() > options.now.getTime() + options.policy.clockSkewSeconds * 1000) {
    throw new PkgkeysError(kind.codes.fromFuture, `the ${kind.noun} signature claims to be made ${formatTime(sig.created)}, after now (${formatTime(options.now)})`);
  }
  return sig.expires;
}
