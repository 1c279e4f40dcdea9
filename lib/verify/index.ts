/**
 * The verifier's edges: files in (signed index, anchors, keyring, state), a verified index out, and
 * the state brought up to it (lib/verify/state.ts). The checks themselves are in summary.ts (the index)
 * and packages.ts (the packages), in that order.
 */
import { readBounded } from '../fsutil';
import { loadTrustGraph } from '../keyring/store';
import { MAX_INDEX_BYTES } from '../limits';
import type { RepositoryId } from '../model';
import { decompress, decompressFile } from '../summary/compress';
import { type Policy } from '../trust/policy';
import { type PackageOptions, type PackageResult, verifyPackages } from './packages';
import { type Clock, ClientState, proofOf } from './state';
import { INDEX, type StreamOptions, type StreamedIndex, type VerifiedIndex, type VerifyOptions, recheckIndex, verifyIndex, verifyIndexStream } from './summary';

export interface TrustSources {
  anchors: readonly string[];
  keyring: string;
  stateDir: string;
}

export interface IndexRequest {
  file: string;
  repository: RepositoryId;
  sources: TrustSources;
  /** The clock, never before the floor of `sources.stateDir` (ClientState.clock). */
  clock: Clock;
  policy: Policy;
}

/** Reads (and decompresses, whatever the mirror served) a signed index, verifies it, and records it as the newest accepted. */
export async function verifyIndexFile(request: IndexRequest): Promise<VerifiedIndex> {
  const { repository, clock } = request;
  const graph = await loadTrustGraph(request.sources.anchors, request.sources.keyring);
  const state = new ClientState(request.sources.stateDir);
  const index = await verifyIndexData(await readBounded(request.file, MAX_INDEX_BYTES), request.file, {
    graph, repository, now: clock.now, clock, policy: request.policy, newest: await state.newest(repository),
  });
  await state.acceptIndex(proofOf(repository, index));
  return index;
}

/**
 * Verifies a signed index as a mirror served it, plain or compressed; `raw` is left as it was. A plain
 * index is not copied: the verified text is a view of `raw`.
 */
export async function verifyIndexData(raw: Uint8Array, source: string, options: VerifyOptions): Promise<VerifiedIndex> {
  // A mirror may serve the index compressed; a stream that does not decompress is a malformed index.
  return verifyIndex(await decompress(raw, source, MAX_INDEX_BYTES, INDEX.codes.malformed), source, options);
}

/** verifyIndexData for a file, read as it goes: neither it nor its text is ever whole in memory. */
export function verifyIndexFileStream(file: string, source: string, options: StreamOptions): Promise<StreamedIndex> {
  return verifyIndexStream(decompressFile(file, source, MAX_INDEX_BYTES, INDEX.codes.malformed), source, options);
}

/** Verifies the index, then the packages in `dir` against it. */
export async function verifyPackagesFile(request: IndexRequest & { dir: string } & PackageOptions): Promise<{ index: VerifiedIndex; packages: PackageResult[] }> {
  const index = await verifyIndexFile(request);
  return { index, packages: await verifyPackages(index.text, request.file, request.dir, request) };
}

export { recheckIndex };
export type { PackageResult, StreamOptions, StreamedIndex, VerifiedIndex, VerifyOptions };
