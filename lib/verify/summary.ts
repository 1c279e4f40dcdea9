/**
 * Verifying a signed repository index: the steps every signed document goes through (signed.ts: the
 * framework, the signer, the clock, its chain for this repository, the signature, the repository
 * notation, the expiry), then the one an index adds, rollback against the newest index already
 * accepted, and only then the pkg_summary grammar (DESIGN.md §2). Pure: the caller reads the newest
 * accepted signature before, and records this one after (lib/verify/state.ts). An index is verified
 * whole in memory, or as it is read (a long-running proxy on a small board), with the same steps and
 * the same failures.
 */
import { PkgkeysError } from '../errors';
import { MAX_INDEX_BYTES } from '../limits';
import type { Fingerprint, RepositoryId } from '../model';
import { CleartextReader, type MessageSignature, verifyHashed } from '../pgp';
import { type Sink, SummaryLines } from '../summary/format';
import type { TrustGraph, Verdict } from '../trust/chain';
import type { Policy } from '../trust/policy';
import { type CleartextKind, type SignedVerdict, judgeSigned, readCleartextSignature, verifySigned } from './signed';
import { type Clock, type Proof, checkRollback, proofOf } from './state';

export const INDEX: CleartextKind = {
  noun: 'index',
  signature: 'text',
  covers: 'the signed text',
  notation: true,
  maxBytes: MAX_INDEX_BYTES,
  codes: { malformed: 'INDEX_MALFORMED', noExpiry: 'INDEX_NO_EXPIRY', expired: 'INDEX_EXPIRED' },
};

export interface VerifyOptions {
  graph: TrustGraph;
  /** The repository the index must be signed for (DESIGN.md §5). */
  repository: RepositoryId;
  now: Date;
  /** How `now` was found (for messages). */
  clock?: Clock;
  policy: Policy;
  /** The newest index signature accepted for this repository, or null (ClientState.newest). */
  newest: Proof | null;
}

export interface VerifiedIndex {
  /** The pkg_summary text that was signed, and nothing else. */
  text: Buffer;
  entries: number;
  repository: RepositoryId;
  signer: Fingerprint;
  /** The certificate the signer belongs to (the signer itself, or the primary of a signing subkey). */
  primary: Fingerprint;
  signed: Date;
  expires: Date;
  chain: Verdict & { trusted: true };
}

/** `data` is left as it is; the text returned may be a view of it. */
export async function verifyIndex(data: Buffer, source: string, options: VerifyOptions): Promise<VerifiedIndex> {
  const grammar = new SummaryLines(source);
  const signed = await verifySigned(data, source, INDEX, options, grammar);
  return accepted(signed, options, () => grammar.end());
}

/** An index verified as it was read: its text went to the caller. */
export interface StreamedIndex extends Omit<VerifiedIndex, 'text'> {
  /** The signature, and the signer's key packet it verified with: what recheckIndex judges again. */
  verifiedWith: { sig: MessageSignature; key: Uint8Array };
}

export interface StreamOptions extends VerifyOptions {
  /**
   * The text, decoded, as it is read and before it is verified: keep it apart until verification ends
   * well. A piece is good until the promise returned settles (the chunks it is a view of may be reused).
   */
  text?: (pieces: Buffer[]) => void | Promise<void>;
  /** Sees each variable and the end of each entry as the grammar is checked (before verification ends, too). */
  entries?: Sink;
}

/**
 * verifyIndex for a signed index read chunk by chunk: never whole in memory. The framework, the
 * hashing and the grammar share one pass; the failures are told in verifyIndex's order all the same:
 * reading and decompressing first (the framework's failure waits until the chunks end well), the
 * grammar's last.
 */
export async function verifyIndexStream(
  chunks: AsyncIterable<Buffer>,
  source: string,
  options: StreamOptions,
): Promise<StreamedIndex> {
  let pieces: Buffer[] = [];
  const grammar = new SummaryLines(source, options.entries);
  const reader = new CleartextReader(source, INDEX.codes.malformed, (piece) => void pieces.push(piece), grammar);
  let malformed: unknown = null;
  let size = 0;
  for await (const chunk of chunks) {
    size += chunk.length;
    if (size > INDEX.maxBytes)
      throw new PkgkeysError('TOO_LARGE', `${source}: more than the ${INDEX.maxBytes} bytes allowed`);
    if (malformed !== null) continue;
    try {
      reader.push(chunk);
    } catch (error) {
      malformed = error;
      continue;
    }
    if (pieces.length > 0) await options.text?.(pieces);
    pieces = [];
  }
  if (malformed !== null) throw malformed;
  const cleartext = reader.end();
  const sig = await readCleartextSignature(cleartext, source, INDEX);
  let key: Uint8Array | null = null;
  const signed = await judgeSigned(sig, INDEX, options, async (signer) => {
    const hash = cleartext.hashes.get(sig.hash);
    key = signer;
    return hash !== undefined && verifyHashed(sig, signer, hash);
  });
  const verified = accepted(signed, options, () => grammar.end());
  return { ...verified, verifiedWith: { sig, key: key! } };
}

/**
 * An index verifyIndexStream verified, judged again now without its text, which has not changed:
 * every step that depends on the time, the keyring or the state (chain, expiry, rollback), and the
 * signature by the key it verified with. A signer's key is its fingerprint's, so a key that is not the
 * same bytes is not the signer's: the text is not vouched for.
 */
export async function recheckIndex(previous: StreamedIndex, options: VerifyOptions): Promise<StreamedIndex> {
  const { sig, key } = previous.verifiedWith;
  const signed = await judgeSigned(sig, INDEX, options, async (signer) => Buffer.compare(signer, key) === 0);
  return { ...accepted(signed, options, () => previous.entries), verifiedWith: previous.verifiedWith };
}

/** The step an index adds (rollback, judged against the newest accepted; recorded by the caller), then its grammar (`grammar` counts the entries or throws). */
function accepted<T extends SignedVerdict>(
  signed: T,
  options: VerifyOptions,
  grammar: () => number,
): T & { entries: number; repository: RepositoryId } {
  const { repository } = options;
  checkRollback(proofOf(repository, signed), options.newest);
  return { ...signed, entries: grammar(), repository };
}
