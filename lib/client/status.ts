/**
 * `pkgkeys status`: what is installed, how old it is, what expires soon, whether the last update
 * worked, the clock against the latest time proven here (the floor), and how soon a revocation
 * published upstream reaches this machine, so that a monitoring job (or a person) notices a keyring
 * that stopped moving or a clock that is wrong.
 */
import type { Code } from '../errors';
import { type Installed, readInstalled } from '../keyring/live';
import { type Expiry, expiriesOf, groundsOf, recordedVerdicts } from '../keyring/verdicts';
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
  expiring: Expiry[];
  /** Why the keyring is stale; empty when it is current. */
  problems: Array<{ code: Code; message: string }>;
}

export async function keyringStatus(request: StatusRequest): Promise<KeyringStatus> {
  const installed = await readInstalled(request.dir);
  const update = await readRecord(request.dir);
  const problems: KeyringStatus['problems'] = [];
  const now = request.clock.now;
  const expiring = installed ? expiringBy(await expiries(installed, request), now.getTime() + request.warnMs) : [];
  const behind = clockBehind(request.clock, request.policy);
  if (behind) problems.push({ code: 'CLOCK_BEHIND', message: behind });
  if (!installed)
    problems.push({ code: 'KEYRING_STALE', message: `no keyring installed in ${request.dir}: run pkgkeys update` });
  else if (now >= installed.release.expires) {
    problems.push({
      code: 'KEYRING_FROZEN',
      message: `release ${installed.release.serial} expired ${formatTime(installed.release.expires)}: updates are not arriving`,
    });
  }
  const lastSuccess = update?.lastSuccess ?? installed?.installed ?? null;
  if (installed && (!lastSuccess || now.getTime() - lastSuccess.getTime() > request.maxAgeMs)) {
    problems.push({
      code: 'KEYRING_STALE',
      message: `no successful update since ${lastSuccess ? formatTime(lastSuccess) : 'the install'}${update?.lastError ? ` (last error ${update.lastError.code}: ${update.lastError.message})` : ''}`,
    });
  }
  const revocationBound = installed ? boundOf(installed, request.updateIntervalMs) : null;
  return {
    installed,
    update,
    clock: request.clock.reads,
    floor: request.clock.floor,
    revocationBound,
    expiring,
    problems,
  };
}

function boundOf(installed: Installed, updateIntervalMs: number): RevocationBound {
  const releaseLifetimeMs = installed.release.expires.getTime() - installed.release.signed.getTime();
  return { ms: releaseLifetimeMs + updateIntervalMs, releaseLifetimeMs, updateIntervalMs };
}

/** Those of `expiries` up to `until`, soonest first. */
const expiringBy = (expiries: Expiry[], until: number) =>
  expiries.filter((e) => e.expires.getTime() <= until).sort((a, b) => a.expires.getTime() - b.expires.getTime());

/**
 * The expiries of the keys trusted now: those the last update recorded while its verdicts stand
 * (lib/keyring/verdicts.ts), else judged anew, which loads OpenPGP.js.
 */
async function expiries(installed: Installed, request: StatusRequest): Promise<Expiry[]> {
  const { now } = request.clock;
  const recorded = await recordedVerdicts(
    request.dir,
    installed,
    await groundsOf(request.anchors, request.policy),
    now,
  );
  if (recorded) return recorded.expiries;
  const { installedGraph } = require('../keyring/store') as typeof import('../keyring/store');
  return expiriesOf(await installedGraph(request.anchors, installed), now, request.policy);
}
