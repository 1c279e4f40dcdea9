/**
 * The verifier's edges: files in (signed index, anchors, keyring, state), a verified index out, and
 * the state brought up to it (lib/verify/state.ts). The checks themselves are in summary.ts (the index)
 * and packages.ts (the packages), in that order.
 */
import { BoundedFile, readBounded } from '../fsutil';
import { loadTrustGraph } from '../keyring/store';
import { MAX_INDEX_BYTES } from '../limits';
import type { RepositoryId } from '../model';
import { compressionOf, decompress, decompressChunks, decompressFile } from '../summary/compress';
import type { TrustGraph } from '../trust/chain';
import { type Policy } from '../trust/policy';
import { type PackageOptions, type PackageResult, verifyPackages } from './packages';
import { type Clock, ClientState, proofOf } from './state';
import {
  INDEX,
  type StreamOptions,
  type StreamedIndex,
  type VerifiedIndex,
  type VerifyOptions,
  recheckIndex,
  verifyIndex,
  verifyIndexStream,
} from './summary';

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
  const { graph, state } = await edges(request);
  const index = await verifyIndexData(
    await readBounded(request.file, MAX_INDEX_BYTES),
    request.file,
    await optionsOf(request, graph, state),
  );
  await state.acceptIndex(proofOf(request.repository, index));
  return index;
}

/**
 * verifyIndexFile read as it goes, with the same checks and failures: neither the file nor its text
 * is ever whole in memory (a compressed file is, as it is much smaller). The text is handed to `text`
 * in pieces as it is decoded, before it is verified: keep it apart until this returns.
 */
export async function verifyIndexFileInto(request: IndexRequest, text?: StreamOptions['text']): Promise<StreamedIndex> {
  const { graph, state } = await edges(request);
  const file = await BoundedFile.open(request.file, MAX_INDEX_BYTES);
  try {
    const index = await verifyIndexStream(indexChunks(file), request.file, {
      ...(await optionsOf(request, graph, state)),
      text,
    });
    await state.acceptIndex(proofOf(request.repository, index));
    return index;
  } finally {
    await file.close();
  }
}

/** What verifying a file of an index starts from: the keyring and the state. */
async function edges(request: IndexRequest): Promise<{ graph: TrustGraph; state: ClientState }> {
  return {
    graph: await loadTrustGraph(request.sources.anchors, request.sources.keyring),
    state: new ClientState(request.sources.stateDir),
  };
}

async function optionsOf(request: IndexRequest, graph: TrustGraph, state: ClientState): Promise<VerifyOptions> {
  const { repository, clock, policy } = request;
  return { graph, repository, now: clock.now, clock, policy, newest: await state.newest(repository) };
}

/** A plain index read as it goes, one read whole if compressed (verifyIndexData's reading, in chunks). */
async function* indexChunks(file: BoundedFile): AsyncGenerator<Buffer> {
  if (compressionOf(await file.head(8)) === 'none') yield* file.chunks();
  else yield* decompressChunks(await file.read(), file.file, MAX_INDEX_BYTES, INDEX.codes.malformed);
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
export async function verifyPackagesFile(
  request: IndexRequest & { dir: string } & PackageOptions,
): Promise<{ index: VerifiedIndex; packages: PackageResult[] }> {
  const index = await verifyIndexFile(request);
  return { index, packages: await verifyPackages(index.text, request.file, request.dir, request) };
}

export { recheckIndex };
export type { PackageResult, StreamOptions, StreamedIndex, VerifiedIndex, VerifyOptions };
