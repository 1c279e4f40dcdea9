/**
 * The judging part of `pkgkeys update` (lib/client/update.ts, steps 1 to 5): the release a mirror
 * offers, or on "not modified" the one installed, judged with OpenPGP.js and the trust engine,
 * installed with its exports for pkg_install rebuilt for now, and the verdicts recorded
 * (lib/keyring/verdicts.ts). update.ts loads it only when the recorded verdicts do not answer.
 */
import * as path from 'node:path';
import { PkgkeysError } from '../errors';
import { pkgInstallKeyrings } from '../keyring/exports';
import {
  type Generation,
  type Installed,
  LIVE,
  checkInForce,
  installKeyringGeneration,
  readLive,
} from '../keyring/live';
import { KEYRING_FILE, RELEASE_FILE, type VerifiedRelease, checkKeyringFile } from '../keyring/release';
import { installedGraph, keyringOf, parseKeyring, revocationsOf, trustGraphOf } from '../keyring/store';
import { type Grounds, recordVerdicts, verdictsOf } from '../keyring/verdicts';
import { MAX_KEYRING_BYTES } from '../limits';
import type { Material } from '../pgp';
import type { TrustGraph } from '../trust/chain';
import { readClaim, verifyRelease } from '../verify/release';
import { type Fetched, fetchBounded } from './fetch';
import type { UpdateRequest, UpdateResult } from './update';

/** Judges what `fetched` offers from the mirror at `url` against what is `installed`, installs it, and records the verdicts. */
export async function judgeAndInstall(
  url: string,
  request: UpdateRequest,
  installed: Installed | null,
  fetched: Fetched,
  grounds: Grounds | null,
): Promise<UpdateResult> {
  let next: { release: VerifiedRelease; statement: Uint8Array; graph: TrustGraph; change: UpdateResult['change'] };
  if (fetched.notModified) {
    const graph = await installedGraph(request.anchors, installed!);
    next = {
      release: checkInForce(installed!, request.now),
      statement: await readLive(installed!, LIVE.release),
      graph,
      change: 'not-modified',
    };
  } else {
    const releaseURL = new URL(RELEASE_FILE, url);
    const keyringURL = new URL(KEYRING_FILE, url);
    // The size the statement claims caps the download; its claims are checked before the keyring is parsed, and judged after.
    const claim = await readClaim(fetched.body, releaseURL.href);
    const offered = await fetchBounded({
      url: keyringURL,
      limit: Math.min(claim.release.size, MAX_KEYRING_BYTES),
      timeoutMs: request.timeoutMs,
    });
    if (offered.notModified)
      throw new PkgkeysError('NETWORK_ERROR', `${keyringURL}: "not modified" to an unconditional request`);
    checkKeyringFile(claim.release, offered.body, keyringURL.href);
    const fresh = await parseKeyring(offered.body, keyringURL.href);
    const keyrings = installed
      ? [fresh, await revocationsOf(request.anchors, await installedKeyring(installed))]
      : [fresh];
    const graph = await trustGraphOf(request.anchors, keyrings);
    const { release, change } = await verifyRelease(Buffer.from(fetched.body), offered.body, releaseURL.href, {
      graph,
      name: request.name,
      now: request.now,
      clock: request.clock,
      policy: request.policy,
      installed: installed?.release ?? null,
      allowExpired: request.allowExpired,
    });
    next =
      change === 'unchanged'
        ? { release: installed!.release, statement: await readLive(installed!, LIVE.release), graph, change }
        : { release, statement: fetched.body, graph, change };
  }

  // Validity changes with time alone (a key expires), so the exports are rebuilt on every run that judges.
  const exports = pkgInstallKeyrings(next.graph, request.now, request.policy);
  const generation = {
    keyring: keyringOf(next.graph),
    verify: exports.verify,
    pkgvuln: exports.pkgvuln,
    statement: next.statement,
    release: next.release,
  };
  if (!installed || !(await sameGeneration(installed, generation)))
    await installKeyringGeneration(request.dir, generation, request.now);
  if (grounds)
    await recordVerdicts(
      request.dir,
      verdictsOf(next.graph, exports, next.release, request.now, request.policy),
      generation,
      grounds,
    );
  return {
    change: next.change,
    release: next.release,
    verifyKeys: exports.verifyKeys.length,
    pkgvulnKeys: exports.pkgvulnKeys.length,
  };
}

async function installedKeyring(installed: Installed): Promise<Material> {
  return parseKeyring(await readLive(installed, LIVE.keyring), path.join(installed.dir, LIVE.keyring));
}

async function sameGeneration(installed: Installed, generation: Generation): Promise<boolean> {
  for (const [file, data] of [
    [LIVE.keyring, generation.keyring],
    [LIVE.verify, generation.verify],
    [LIVE.pkgvuln, generation.pkgvuln],
    [LIVE.release, generation.statement],
  ] as const) {
    if (!(await readLive(installed, file)).equals(data)) return false;
  }
  return true;
}
