/**
 * Verifying a signed repository index: the steps every signed document goes through (signed.ts: the
 * framework, the signer, its chain for this repository, the signature, the repository notation, the
 * expiry), then the one an index adds, freshness against the newest index already accepted, and only
 * then the pkg_summary grammar (DESIGN.md §2).
 */
import { MAX_INDEX_BYTES } from '../limits';
import type { Fingerprint } from '../model';
import { checkSummary } from '../summary/format';
import type { TrustGraph, Verdict } from '../trust/chain';
import type { Policy } from '../trust/policy';
import { type CleartextKind, verifySigned } from './signed';
import type { FreshnessState } from './state';

export const INDEX: CleartextKind = {
  noun: 'index',
  signature: 'text',
  covers: 'the signed text',
  notation: true,
  maxBytes: MAX_INDEX_BYTES,
  codes: { malformed: 'INDEX_MALFORMED', noExpiry: 'INDEX_NO_EXPIRY', expired: 'INDEX_EXPIRED', fromFuture: 'INDEX_FROM_FUTURE' },
};

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

/** `data` is left as it is; the text returned may be a view of it. */
export async function verifySummary(data: Buffer, source: string, options: VerifyOptions): Promise<VerifiedSummary> {
  const { repository, state } = options;
  const signed = await verifySigned(data, source, INDEX, { ...options, identifier: repository });
  await state.accept({ repository, signed: signed.signed, signer: signed.signer });
  const entries = checkSummary(signed.text, source);
  return { ...signed, entries, repository };
}
