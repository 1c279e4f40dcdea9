/**
 * A repository's signed index as a client finds it upstream (docs/signed-index.md): the clearsigned
 * pkg_summary.asc beside pkg_summary.gz, which pkgin reads and which must stay plain pkg_summary(5),
 * optionally also compressed as pkg_summary.asc.{zst,xz,bz2,gz}. The compressed forms are tried first,
 * each as far as this machine can decompress it; a form the mirror does not have (404) is skipped.
 */
import { PkgkeysError } from '../errors';
import { MAX_INDEX_BYTES } from '../limits';
import { EXTENSIONS, compressionOf, decompress, decompressArriving } from '../summary/compress';
import type { TrustGraph } from '../trust/chain';
import type { Policy } from '../trust/policy';
import { type StreamedIndex, type VerifyOptions } from '../verify';
import type { Clock, Proof } from '../verify/state';
import { INDEX, verifyIndexStream } from '../verify/summary';
import type { Upstream } from './config';
import { type Validators, fetchChunks } from './fetch';

export const SIGNED_INDEX = 'pkg_summary.asc';

/** Every name the signed index may be published under, in the order they are tried. */
export const SIGNED_INDEX_FORMS: readonly string[] = [
  ...Object.keys(EXTENSIONS).map((ext) => `${SIGNED_INDEX}.${ext}`),
  SIGNED_INDEX,
];

export interface RemoteOptions {
  graph: TrustGraph;
  /** The clock, never before the floor (ClientState.clock). */
  clock: Clock;
  policy: Policy;
  /** The newest index signature accepted for the repository (ClientState.newest): an older one is a rollback. */
  newest: Proof | null;
  timeoutMs: number;
}

/**
 * Fetches and verifies a repository's current signed index, as it arrives: neither the download nor its
 * text is ever whole in memory. Nothing unverified comes back, and nothing is recorded.
 */
export async function verifyRemoteIndex(
  upstream: Upstream,
  options: RemoteOptions,
): Promise<{ index: StreamedIndex; download: Located }> {
  const verifying: VerifyOptions = {
    graph: options.graph,
    repository: upstream.repository,
    now: options.clock.now,
    clock: options.clock,
    policy: options.policy,
    newest: options.newest,
  };
  const found = await findSignedIndex(upstream, null, (url) => verifyForm(url, verifying, options.timeoutMs));
  return { index: found!.body!, download: { url: found!.url, validators: found!.validators } };
}

/** The bytes of a form that show what it is compressed with. */
const HEAD_BYTES = 16;

/**
 * One form of the signed index, verified as it is downloaded, once its first bytes show that this
 * machine can decompress it (no verdict, null, when it cannot). The failures are told as for a
 * download verified whole: the transfer's, then the decompression's, then the verification's.
 */
async function verifyForm(
  url: URL,
  options: VerifyOptions,
  timeoutMs: number,
): Promise<{ notModified: false; body: StreamedIndex | null; head: Uint8Array; validators: Validators }> {
  const transfer = fetchChunks({ url, limit: MAX_INDEX_BYTES, timeoutMs });
  transfer.result.catch(() => undefined); // told by the chunks
  try {
    const chunks = transfer.chunks[Symbol.asyncIterator]();
    const first: Buffer[] = [];
    let length = 0;
    for (let next; length < HEAD_BYTES && !(next = await chunks.next()).done; length += next.value.length)
      first.push(next.value);
    const head = Buffer.concat(first).subarray(0, HEAD_BYTES);
    if (!(await decodable(head))) return { notModified: false, body: null, head, validators: NO_VALIDATORS };
    async function* arriving(): AsyncGenerator<Buffer> {
      yield* first;
      for (let next; !(next = await chunks.next()).done;) yield next.value;
    }
    const index = await verifyIndexStream(
      decompressArriving(head, arriving(), url.href, MAX_INDEX_BYTES, INDEX.codes.malformed),
      url.href,
      options,
    );
    const done = await transfer.result;
    return { notModified: false, body: index, head, validators: done.notModified ? NO_VALIDATORS : done.validators };
  } finally {
    transfer.cancel();
  }
}

const NO_VALIDATORS: Validators = { etag: null, lastModified: null };

/** Where a signed index was found, and what identifies that version of it. */
export interface Located {
  url: string;
  validators: Validators;
}

/** One form fetched, into memory or into a file (`body`), with its first bytes; asked conditionally with `validators`. */
export type FormFetch<T> = (
  url: URL,
  validators: Validators | null,
) => Promise<{ notModified: true } | { notModified: false; body: T; head: Uint8Array; validators: Validators }>;

/**
 * The repository's signed index as `fetch` gets it: the form found before (`previous`), asked again
 * conditionally, else the first form the mirror has and this machine can decompress. Null when
 * `previous` is unchanged.
 */
export async function findSignedIndex<T>(
  upstream: Upstream,
  previous: Located | null,
  fetch: FormFetch<T>,
): Promise<(Located & { body: T }) | null> {
  if (previous) {
    try {
      const again = await fetch(new URL(previous.url), previous.validators);
      return again.notModified ? null : { url: previous.url, body: again.body, validators: again.validators };
    } catch (error) {
      if (!(error instanceof PkgkeysError && error.code === 'NOT_FOUND')) throw error;
    }
  }
  const missing: string[] = [];
  for (const form of SIGNED_INDEX_FORMS) {
    const url = new URL(`${upstream.url}/${form}`);
    try {
      const fetched = await fetch(url, null);
      if (fetched.notModified) continue; // not asked for conditionally: a broken server
      if (!(await decodable(fetched.head))) {
        missing.push(`${form} (no decompressor here)`);
        continue;
      }
      return { url: url.href, body: fetched.body, validators: fetched.validators };
    } catch (error) {
      if (!(error instanceof PkgkeysError && error.code === 'NOT_FOUND')) throw error;
      missing.push(form);
    }
  }
  throw new PkgkeysError(
    'NOT_FOUND',
    `${upstream.url}: no signed index (tried ${missing.join(', ')}); is the repository signed?`,
  );
}

const tools = new Map<string, Promise<boolean>>();

/** Whether this machine can decompress `data` (its first bytes): a mirror may offer .zst where no zstd is installed. */
function decodable(data: Uint8Array): Promise<boolean> {
  const format = compressionOf(data);
  if (format === 'none' || format === 'gzip') return Promise.resolve(true);
  let known = tools.get(format);
  if (!known) {
    // A few bytes are enough to see whether the tool runs: corrupt input still proves it does.
    known = decompress(data.subarray(0, 16), 'probe', 1 << 20).then(
      () => true,
      (error: unknown) => !(error instanceof PkgkeysError && error.code === 'IO_ERROR'),
    );
    tools.set(format, known);
  }
  return known;
}
