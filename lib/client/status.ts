/**
 * `pkgkeys status`: what is installed, how old it is, what expires soon, whether the last update
 * worked, the clock against the latest time proven here (the floor), and how soon a revocation
 * published upstream reaches this machine, so that a monitoring job (or a person) notices a keyring
 * that stopped moving or a clock that is wrong.
 */
import type { Code } from '../errors';
import { type Installed, readInstalled, readLive } from '../keyring/live';
import { parseKeyring, trustGraphOf } from '../keyring/store';
import type { Fingerprint } from '../model';
import { keyExpires } from '../trust/chain';
import { authorizeAllThreshold } from '../trust/threshold';
import type { Policy } from '../trust/policy';
import { formatTime } from '../time';
import { type Clock, type Proof, clockBehind } from '../verify/state';
import { type UpdateRecord, readRecord } from './update';

export interface StatusRequest {
  dir: string;
  anchors: readonly string[];
  /** The clock, never before the floor (ClientState.clock). */
  clock: Clock;
  policy: Policy;
  /** The longest time between two runs of `pkgkeys update` (cron's interval and its random delay). */
  updateIntervalMs: number;
  /** Longer without a successful update is stale. */
  maxAgeMs: number;
  /** Expiries within this window are reported. */
  warnMs: number;
}

export interface Expiring {
  key: Fingerprint;
  what: string;
  expires: Date;
}

/**
 * From a revocation's publication, this machine refuses the key within `ms`: its next update brings
 * the revocation (within the update interval), or, if updates stop arriving (a frozen mirror), the
 * installed release, signed before the revocation, expires within its lifetime and the verifiers
 * refuse everything (KEYRING_FROZEN). The sum bounds both.
 */
export interface RevocationBound {
  ms: number;
  releaseLifetimeMs: number;
  updateIntervalMs: number;
}

export interface KeyringStatus {
  installed: Installed | null;
  update: UpdateRecord | null;
  /** What the clock read, and the latest time proven here, by which signature (null: none yet). */
  clock: Date;
  floor: Proof | null;
  /** For the installed release; null when none is installed. */
  revocationBound: RevocationBound | null;
  /** Signing keys valid now whose validity ends within the window, soonest first. */
  expiring: Expiring[];
  /** Why the keyring is stale; empty when it is current. */
  problems: Array<{ code: Code; message: string }>;
}

export async function keyringStatus(request: StatusRequest): Promise<KeyringStatus> {
  const installed = await readInstalled(request.dir);
  const update = await readRecord(request.dir);
  const problems: KeyringStatus['problems'] = [];
  const now = request.clock.now;
  const expiring = installed ? await expiringKeys(installed, now, request) : [];
  const behind = clockBehind(request.clock, request.policy);
  if (behind) problems.push({ code: 'CLOCK_BEHIND', message: behind });
  if (!installed) problems.push({ code: 'KEYRING_STALE', message: `no keyring installed in ${request.dir}: run pkgkeys update` });
  else if (now >= installed.release.expires) {
    problems.push({ code: 'KEYRING_FROZEN', message: `release ${installed.release.serial} expired ${formatTime(installed.release.expires)}: updates are not arriving` });
  }
  const lastSuccess = update?.lastSuccess ?? installed?.installed ?? null;
  if (installed && (!lastSuccess || now.getTime() - lastSuccess.getTime() > request.maxAgeMs)) {
    problems.push({ code: 'KEYRING_STALE', message: `no successful update since ${lastSuccess ? formatTime(lastSuccess) : 'the install'}${update?.lastError ? ` (last error ${update.lastError.code}: ${update.lastError.message})` : ''}` });
  }
  const revocationBound = installed ? boundOf(installed, request.updateIntervalMs) : null;
  return { installed, update, clock: request.clock.reads, floor: request.clock.floor, revocationBound, expiring, problems };
}

function boundOf(installed: Installed, updateIntervalMs: number): RevocationBound {
  const releaseLifetimeMs = installed.release.expires.getTime() - installed.release.signed.getTime();
  return { ms: releaseLifetimeMs + updateIntervalMs, releaseLifetimeMs, updateIntervalMs };
}

/** For every key valid now: its own expiry, its subkey's, and the certifications on its User IDs. */
async function expiringKeys(installed: Installed, now: Date, request: StatusRequest): Promise<Expiring[]> {
  const keyring = await parseKeyring(await readLive(installed, 'keyring.gpg'), `${installed.dir}/keyring.gpg`);
  const graph = await trustGraphOf(request.anchors, [keyring]);
  const horizon = now.getTime() + request.warnMs;
  const out: Expiring[] = [];
  for (const verdict of authorizeAllThreshold(graph, { repository: null, signedAt: now, now, policy: request.policy }).values()) {
    if (!verdict.trusted) continue;
    const found = graph.resolve(verdict.key)!;
    const cert = found.certificate;
    const candidates: Array<[string, Date | null | undefined]> = [
      ['key', keyExpires(cert)],
      ['subkey', found.subkey?.binding?.keyExpires],
      ...cert.userIDs.flatMap((u) => u.certifications.map((c): [string, Date | null] => [`certification by ${c.issuer}`, c.expires])),
    ];
    for (const [what, expires] of candidates) {
      if (expires && expires.getTime() <= horizon) out.push({ key: verdict.key, what, expires });
    }
  }
  return out.sort((a, b) => a.expires.getTime() - b.expires.getTime());
}
