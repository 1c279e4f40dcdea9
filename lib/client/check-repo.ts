/**
 * `pkgkeys check-repo`: each configured repository's current signed index verified as the proxy would
 * verify it, without serving, installing or recording anything, for monitoring from cron. A
 * repository whose build host stopped signing shows here before an index expires under pkgin. It
 * reads the state (the floor, the newest index accepted per repository) and writes none: what it
 * sees is judged again when the proxy fetches it for pkgin.
 */
import { type Code, PkgkeysError } from '../errors';
import { checkInstalledInForce } from '../keyring/live';
import { loadTrustGraph } from '../keyring/store';
import type { Policy } from '../trust/policy';
import { ClientState, type Clock } from '../verify/state';
import type { Upstream } from './config';
import { verifyRemoteIndex } from './remote-index';

export interface CheckOptions {
  anchors: readonly string[];
  keyring: string;
  /** Where `pkgkeys update` installs the keyring: an expired release there is refused (KEYRING_FROZEN). */
  liveDir: string;
  stateDir: string;
  /** The clock, never before the floor of `stateDir` (ClientState.clock). */
  clock: Clock;
  policy: Policy;
  timeoutMs: number;
}

export type RepositoryCheck = Upstream &
  (
    | { ok: true; entries: number; signer: string; signed: Date; expires: Date; source: string }
    | { ok: false; code: Code; message: string }
  );

export async function checkRepositories(
  upstreams: readonly Upstream[],
  options: CheckOptions,
): Promise<RepositoryCheck[]> {
  const { clock, policy, timeoutMs } = options;
  await checkInstalledInForce(options.liveDir, clock.now);
  const graph = await loadTrustGraph(options.anchors, options.keyring);
  const state = new ClientState(options.stateDir);
  const checks: RepositoryCheck[] = [];
  for (const upstream of upstreams) {
    try {
      const { index, download } = await verifyRemoteIndex(upstream, {
        graph,
        clock,
        policy,
        newest: await state.newest(upstream.repository),
        timeoutMs,
      });
      checks.push({
        ...upstream,
        ok: true,
        entries: index.entries,
        signer: index.signer,
        signed: index.signed,
        expires: index.expires,
        source: download.url,
      });
    } catch (error) {
      // Whatever fails for one repository, even a bug, is that repository's failure: the others are still checked.
      const failure =
        error instanceof PkgkeysError
          ? error
          : new PkgkeysError('IO_ERROR', `unexpected error: ${(error as Error)?.message ?? String(error)}`);
      checks.push({ ...upstream, ok: false, code: failure.code, message: failure.message });
    }
  }
  return checks;
}
