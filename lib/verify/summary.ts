/**
 * Verifying a signed repository index: the steps every signed document goes through (signed.ts: the
 * framework, the signer, the clock, its chain for this repository, the signature, the repository
 * notation, the expiry), then the one an index adds, rollback against the newest index already
 * accepted, and only then the pkg_summary grammar (DESIGN.md §2). Pure: the caller reads the newest
 * accepted signature before, and records this one after (lib/verify/state.ts).
 */
import { MAX_INDEX_BYTES } from '../limits';
import type { Fingerprint } from '../model';
import { checkSummary } from '../summary/format';
import type { TrustGraph, Verdict } from '../trust/chain';
import type { Policy } from '../trust/policy';
import { type DocumentKind, verifySigned } from './signed';
import { type Clock, type Proof, checkRollback, proofOf } from './state';

export const INDEX: DocumentKind = {
  noun: 'index',
  maxBytes: MAX_INDEX_BYTES,
  codes: { malformed: 'INDEX_MALFORMED', noExpiry: 'INDEX_NO_EXPIRY', expired: 'INDEX_EXPIRED' },
};

export interface VerifyOptions {
  graph: TrustGraph;
  /** The repository identifier the index must be signed for (DESIGN.md §5). */
  repository: string;
  now: Date;
  /** How `now` was found (for messages). */
  clock?: Clock;
  policy: Policy;
  /** The newest index signature accepted for this repository, or null (ClientState.newest). */
  newest: Proof | null;
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
  const { repository } = options;
  const signed = await verifySigned(data, source, INDEX, { ...options, identifier: repository });
  checkRollback(proofOf(repository, signed), options.newest);
  const entries = checkSummary(signed.text, source);
  return { ...signed, entries, repository };
}
