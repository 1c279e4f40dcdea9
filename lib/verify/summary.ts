/**
 * Verifying a signed repository index, in the order DESIGN.md §2 fixes:
 *
 *   1. parse the cleartext framework strictly (one block, `Hash:` header consistent, size capped);
 *   2. find the signer in the keyring;
 *   3. walk its chain from an anchor, at the signature's time and now (lib/trust/chain.ts);
 *   4. check the signature over the signed text;
 *   5. check that the repository notation names this repository;
 *   6. check freshness: not expired, not from the future, not older than the newest already accepted;
 *   7. only then parse pkg_summary.
 *
 * Each step returns what the next needs or throws a PkgkeysError with a stable code; nothing is
 * returned unless every step passed.
 */
import { PkgkeysError } from '../errors';
import { type Fingerprint, REPOSITORY_NOTATION } from '../model';
import { type Cleartext, type MessageSignature, canonicalize, parseCleartext, readMessageSignature, verifyData } from '../pgp';
import { checkSummary } from '../summary/format';
import { type TrustGraph, type Verdict, authorize } from '../trust/chain';
import { type Policy, weakHash } from '../trust/policy';
import { formatTime } from '../time';
import type { FreshnessState } from './state';

/** Largest signed index read: a full repository is about 40 MB today. */
export const MAX_INDEX_BYTES = 512 * 1024 * 1024;

export interface VerifyOptions {
  graph: TrustGraph;
  /** The repository identifier the index must be signed for (DESIGN.md §5). */
  repository: string;
  now: Date;
  policy: Policy;
  state: FreshnessState;
}

export interface VerifiedSummary {
  /** The pkg_summary text that was signed, and nothing else. */
  text: Buffer;
  entries: number;
  repository: string;
  signer: Fingerprint;
  /** The certificate the signer belongs to (the signer itself, or the primary of a signing subkey). */
  primary: Fingerprint;
  signed: Date;
  expires: Date;
  chain: Verdict & { trusted: true };
}

/** `data` is consumed: the text is rewritten in place. */
export async function verifySummary(data: Buffer, source: string, options: VerifyOptions): Promise<VerifiedSummary> {
  const { cleartext, sig } = await parseFramework(data, source);
  const signer = findSigner(options.graph, sig);
  const chain = walkChain(options.graph, signer, sig, options);
  const text = await checkSignature(options.graph, signer, sig, cleartext, options.policy);
  checkRepository(sig, options.repository);
  const expires = checkFreshness(sig, options);
  await options.state.accept({ repository: options.repository, signed: sig.created, signer });
  const entries = checkSummary(text, source);
  return { text, entries, repository: options.repository, signer, primary: chain.primary, signed: sig.created, expires, chain };
}

/** Step 1. The signature packet is read here only for its hash algorithm, which the header must name. */
async function parseFramework(data: Buffer, source: string): Promise<{ cleartext: Cleartext; sig: MessageSignature }> {
  if (data.length > MAX_INDEX_BYTES) throw new PkgkeysError('TOO_LARGE', `${source}: ${data.length} bytes is more than the ${MAX_INDEX_BYTES} allowed`);
  const cleartext = parseCleartext(data, source);
  const sig = await readMessageSignature(cleartext.signature, `${source}: signature`);
  if (sig.kind !== 'text') throw new PkgkeysError('INDEX_MALFORMED', `${source}: a cleartext signature must be a text signature (type 0x01)`);
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
function findSigner(graph: TrustGraph, sig: MessageSignature): Fingerprint {
  if (sig.issuerFingerprint) {
    if (!graph.resolve(sig.issuerFingerprint)) throw new PkgkeysError('UNKNOWN_KEY', `the index is signed by ${sig.issuerFingerprint}, which is not in the keyring`);
    return sig.issuerFingerprint;
  }
  const candidates = graph.byKeyID(sig.issuerKeyID);
  if (candidates.length !== 1) {
    throw new PkgkeysError('UNKNOWN_KEY', `the index is signed by key ID ${sig.issuerKeyID}, which ${candidates.length ? 'names several keys' : 'is not in the keyring'}`);
  }
  return candidates[0]!;
}

/** Step 3: revocation, expiry and scope at every link, for this repository, at the signature's time and now. */
function walkChain(graph: TrustGraph, signer: Fingerprint, sig: MessageSignature, options: VerifyOptions): Verdict & { trusted: true } {
  const verdict = authorize(graph, { key: signer, scope: { repository: options.repository }, signedAt: sig.created, now: options.now, policy: options.policy });
  if (!verdict.trusted) throw new PkgkeysError(verdict.code, verdict.reason);
  return verdict;
}

/**
 * Step 4: the hash policy, then the mathematics over the canonical text (RFC 9580 §7.2). Returns the
 * signed text, decoded from the framework in the same pass that hashes it.
 */
async function checkSignature(graph: TrustGraph, signer: Fingerprint, sig: MessageSignature, cleartext: Cleartext, policy: Policy): Promise<Buffer> {
  const weak = weakHash(sig.hash, policy);
  if (weak) throw new PkgkeysError('WEAK_ALGORITHM', `index signature: ${weak}`);
  if (sig.problem) throw new PkgkeysError('BAD_SIGNATURE', `index signature: ${sig.problem}`);
  let text: Buffer | null = null;
  const valid = await verifyData(sig, graph.keyPacket(signer), (hash) => {
    text = canonicalize(cleartext.body, hash);
  });
  if (!valid || text === null) throw new PkgkeysError('BAD_SIGNATURE', `the signature by ${signer} does not match the signed text: the index was modified`);
  return text;
}

/** Step 5: the index names its repository, so one signed for another repository cannot be swapped in. */
function checkRepository(sig: MessageSignature, repository: string): void {
  const named = sig.notations.filter((n) => n.name === REPOSITORY_NOTATION).map((n) => n.value);
  if (named.length !== 1 || named[0] !== repository) {
    throw new PkgkeysError(
      'REPOSITORY_MISMATCH',
      named.length === 0
        ? `the index signature names no repository (${REPOSITORY_NOTATION} notation); expected ${repository}`
        : `the index is signed for ${named.join(', ')}, not for ${repository}`,
    );
  }
}

/** Step 6, the part that needs no state: an expiry must be set and not passed; the time must not lie ahead. */
function checkFreshness(sig: MessageSignature, options: VerifyOptions): Date {
  if (!sig.expires) throw new PkgkeysError('INDEX_NO_EXPIRY', `the index signature made ${formatTime(sig.created)} has no expiration time; an index must expire`);
  if (options.now >= sig.expires) {
    throw new PkgkeysError('INDEX_EXPIRED', `the index signature expired ${formatTime(sig.expires)} (now ${formatTime(options.now)}): the mirror may be frozen or stale`);
  }
  if (sig.created.getTime() > options.now.getTime() + options.policy.clockSkewSeconds * 1000) {
    throw new PkgkeysError('INDEX_FROM_FUTURE', `the index signature claims to be made ${formatTime(sig.created)}, after now (${formatTime(options.now)})`);
  }
  return sig.expires;
}
