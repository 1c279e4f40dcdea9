/**
 * The verifier's edges: files in (signed index, anchors, keyring, state), a verified index out. The
 * checks themselves are in summary.ts (the index) and packages.ts (the packages), in that order.
 */
import { readBounded } from '../fsutil';
import { loadTrustGraph } from '../keyring/store';
import { MAX_INDEX_BYTES } from '../limits';
import { decompress } from '../summary/compress';
import { type Policy } from '../trust/policy';
import { checkRepository } from '../trust/scope';
import { type PackageOptions, type PackageResult, verifyPackages } from './packages';
import { FreshnessState } from './state';
import { INDEX, type VerifiedSummary, type VerifyOptions, verifySummary } from './summary';

export interface TrustSources {
  anchors: readonly string[];
  keyring: string;
  stateDir: string;
}

export interface IndexRequest {
  file: string;
  repository: string;
  sources: TrustSources;
  now: Date;
  policy: Policy;
}

/** Reads (and decompresses, whatever the mirror served) a signed index and verifies it. */
export async function verifySummaryFile(request: IndexRequest): Promise<VerifiedSummary> {
  checkRepository(request.repository);
  const graph = await loadTrustGraph(request.sources.anchors, request.sources.keyring);
  return verifySummaryData(await readBounded(request.file, MAX_INDEX_BYTES), request.file, {
    graph, repository: request.repository, now: request.now, policy: request.policy, state: new FreshnessState(request.sources.stateDir),
  });
}

/**
 * Verifies a signed index as a mirror served it, plain or compressed; `raw` is left as it was. A plain
 * index is not copied: the verified text is a view of `raw`.
 */
export async function verifySummaryData(raw: Uint8Array, source: string, options: VerifyOptions): Promise<VerifiedSummary> {
  // A mirror may serve the index compressed; a stream that does not decompress is a malformed index.
  return verifySummary(await decompress(raw, source, MAX_INDEX_BYTES, INDEX.codes.malformed), source, options);
}

/** Verifies the index, then the packages in `dir` against it. */
export async function verifyPackagesFile(request: IndexRequest & { dir: string } & PackageOptions): Promise<{ index: VerifiedSummary; packages: PackageResult[] }> {
  const index = await verifySummaryFile(request);
  return { index, packages: await verifyPackages(index.text, request.file, request.dir, request) };
}


export type { PackageResult, VerifiedSummary, VerifyOptions };
