/**
 * A repository's signed index as a client finds it upstream (docs/signed-index.md): the clearsigned
 * pkg_summary.asc beside pkg_summary.gz, which pkgin reads and which must stay plain pkg_summary(5),
 * optionally also compressed as pkg_summary.asc.{zst,xz,bz2,gz}. The compressed forms are tried first,
 * each as far as this machine can decompress it; a form the mirror does not have (404) is skipped.
 */
import { PkgkeysError } from '../errors';
import { MAX_INDEX_BYTES } from '../limits';
import { EXTENSIONS, compressionOf, decompress } from '../summary/compress';
import type { TrustGraph } from '../trust/chain';
import type { Policy } from '../trust/policy';
import { type VerifiedSummary, verifySummaryData } from '../verify';
import type { FreshnessState } from '../verify/state';
import type { Repository } from './config';
import { type Validators, fetchBounded } from './fetch';

export const SIGNED_INDEX = 'pkg_summary.asc';

/** Every name the signed index may be published under, in the order they are tried. */
export const SIGNED_INDEX_FORMS: readonly string[] = [...Object.keys(EXTENSIONS).map((ext) => `${SIGNED_INDEX}.${ext}`), SIGNED_INDEX];

/** One download of a signed index, as served, with what identifies it for a conditional request. */
export interface Download {
  url: string;
  raw: Buffer;
  validators: Validators;
}

export interface RemoteOptions {
  graph: TrustGraph;
  now: Date;
  policy: Policy;
  state: FreshnessState;
  timeoutMs: number;
  /** The last download: asked for again conditionally, and verified again if unchanged. */
  previous?: Download | null;
}

/** Fetches and verifies a repository's current signed index; nothing unverified comes back. */
export async function verifyRemoteIndex(repository: Repository, options: RemoteOptions): Promise<{ index: VerifiedSummary; download: Download }> {
  const download = await fetchSignedIndex(repository, options);
  const index = await verifySummaryData(download.raw, download.url, { graph: options.graph, repository: repository.id, now: options.now, policy: options.policy, state: options.state });
  return { index, download };
}

async function fetchSignedIndex(repository: Repository, options: RemoteOptions): Promise<Download> {
  const { previous } = options;
  if (previous) {
    try {
      const again = await fetchBounded({ url: new URL(previous.url), limit: MAX_INDEX_BYTES, timeoutMs: options.timeoutMs, validators: previous.validators });
      // Unchanged: verified again all the same, as time (expiry) and the keyring (revocations) move on.
      return again.notModified ? previous : { url: previous.url, raw: again.body, validators: again.validators };
    } catch (error) {
      if (!(error instanceof PkgkeysError && error.code === 'NOT_FOUND')) throw error;
    }
  }
  const missing: string[] = [];
  for (const form of SIGNED_INDEX_FORMS) {
    const url = new URL(`${repository.url}/${form}`);
    try {
      const fetched = await fetchBounded({ url, limit: MAX_INDEX_BYTES, timeoutMs: options.timeoutMs });
      if (fetched.notModified) continue; // not asked for conditionally: a broken server
      if (!(await decodable(fetched.body))) {
        missing.push(`${form} (no decompressor here)`);
        continue;
      }
      return { url: url.href, raw: fetched.body, validators: fetched.validators };
    } catch (error) {
      if (!(error instanceof PkgkeysError && error.code === 'NOT_FOUND')) throw error;
      missing.push(form);
    }
  }
  throw new PkgkeysError('NOT_FOUND', `${repository.url}: no signed index (tried ${missing.join(', ')}); is the repository signed?`);
}

const tools = new Map<string, Promise<boolean>>();

/** Whether this machine can decompress `data`: a mirror may offer .zst where no zstd is installed. */
function decodable(data: Buffer): Promise<boolean> {
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
