/**
 * pkg-vulnerabilities (lib/pkgsrc/vulnerabilities.ts) verified: a cleartext-signed file (DESIGN.md §4)
 * whose signer the master certified for the repository identifier `pkg-vulnerabilities` (lib/trust/scope.ts),
 * and whose signature names it in the `pkgsrc-repository@pkgsrc.org` notation and
 * expires. It goes through the steps of every signed document (signed.ts), then through the grammar
 * pkg_admin reads, so that what verifies here is a file pkg_admin accepts.
 */
import { readBounded } from '../fsutil';
import { loadTrustGraph } from '../keyring/store';
import { MAX_VULNERABILITIES_BYTES } from '../limits';
import type { Fingerprint } from '../model';
import { checkVulnerabilities } from '../pkgsrc/vulnerabilities';
import { decompress } from '../summary/compress';
import type { TrustGraph, Verdict } from '../trust/chain';
import type { Policy } from '../trust/policy';
import { PKG_VULNERABILITIES } from '../trust/scope';
import { type CleartextKind, verifySigned } from './signed';
import { type Clock, ClientState, proofOf } from './state';
import type { TrustSources } from './index';

export const VULNERABILITIES: CleartextKind = {
  noun: 'pkg-vulnerabilities',
  signature: 'text',
  covers: 'the signed text',
  notation: true,
  maxBytes: MAX_VULNERABILITIES_BYTES,
  // A list that cannot expire could be replayed for ever, hiding every later advisory: it is malformed.
  codes: {
    malformed: 'VULNERABILITIES_MALFORMED',
    noExpiry: 'VULNERABILITIES_MALFORMED',
    expired: 'VULNERABILITIES_EXPIRED',
  },
};

export interface VulnerabilitiesOptions {
  graph: TrustGraph;
  now: Date;
  /** How `now` was found (for messages). */
  clock?: Clock;
  policy: Policy;
}

export interface VerifiedVulnerabilities {
  /** The pkg-vulnerabilities text that was signed, and nothing else. */
  text: Buffer;
  entries: number;
  signer: Fingerprint;
  /** The certificate the signer belongs to (the signer itself, or the primary of a signing subkey). */
  primary: Fingerprint;
  signed: Date;
  expires: Date;
  chain: Verdict & { trusted: true };
}

/** `data` is left as it is; the text returned may be a view of it. */
export async function verifyVulnerabilities(
  data: Buffer,
  source: string,
  options: VulnerabilitiesOptions,
): Promise<VerifiedVulnerabilities> {
  const signed = await verifySigned(data, source, VULNERABILITIES, { ...options, repository: PKG_VULNERABILITIES });
  const { entries } = checkVulnerabilities(signed.text, source);
  return { ...signed, entries };
}

export interface VulnerabilitiesRequest {
  file: string;
  sources: TrustSources;
  /** The clock, never before the floor of `sources.stateDir` (ClientState.clock). */
  clock: Clock;
  policy: Policy;
}

/**
 * Reads a signed pkg-vulnerabilities file, plain or compressed as the mirror serves it
 * (pkg-vulnerabilities.gz), verifies it, and records its signature time in the floor.
 */
export async function verifyVulnerabilitiesFile(request: VulnerabilitiesRequest): Promise<VerifiedVulnerabilities> {
  const graph = await loadTrustGraph(request.sources.anchors, request.sources.keyring);
  const raw = await readBounded(request.file, MAX_VULNERABILITIES_BYTES);
  const data = await decompress(raw, request.file, MAX_VULNERABILITIES_BYTES, VULNERABILITIES.codes.malformed);
  const list = await verifyVulnerabilities(data, request.file, {
    graph,
    now: request.clock.now,
    clock: request.clock,
    policy: request.policy,
  });
  await new ClientState(request.sources.stateDir).prove(proofOf(PKG_VULNERABILITIES, list));
  return list;
}
