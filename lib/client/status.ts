/**
 * `pkgkeys status`: what is installed, how old it is, what expires soon, and whether the last update
 * worked, so that a monitoring job (or a person) notices a keyring that stopped moving.
 */
import type { Code } from '../errors';
import { type Installed, readInstalled, readLive } from '../keyring/live';
import { parseKeyring, trustGraphOf } from '../keyring/store';
import type { Fingerprint } from '../model';
import { keyExpires } from '../trust/chain';
import { authorizeAllThreshold } from '../trust/threshold';
import type { Policy } from '../trust/policy';
import { formatTime } from '../time';
import { type UpdateRecord, readRecord } from './update';

export interface StatusRequest {
  dir: string;
  anchors: readonly string[];
  now: Date;
  policy: Policy;
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

export interface KeyringStatus {
  installed: Installed | null;
  update: UpdateRecord | null;
  /** Signing keys valid now whose validity ends within the window, soonest first. */
  expiring: Expiring[];
  /** Why the keyring is stale; empty when it is current. */
  problems: Array<{ code: Code; message: string }>;
}

export async function keyringStatus(request: StatusRequest): Promise<KeyringStatus> {
  const installed = await readInstalled(request.dir);
  const update = await readRecord(request.dir);
  const problems: KeyringStatus['problems'] = [];
  const expiring = installed ? await expiringKeys(installed, request) : [];
  if (!installed) problems.push({ code: 'KEYRING_STALE', message: `no keyring installed in ${request.dir}: run pkgkeys update` });
  else if (request.now >= installed.release.expires) {
    problems.push({ code: 'KEYRING_FROZEN', message: `release ${installed.release.serial} expired ${formatTime(installed.release.expires)}: updates are not arriving` });
  }
  const lastSuccess = update?.lastSuccess ?? installed?.installed ?? null;
  if (installed && (!lastSuccess || request.now.getTime() - lastSuccess.getTime() > request.maxAgeMs)) {
    problems.push({ code: 'KEYRING_STALE', message: `no successful update since ${lastSuccess ? formatTime(lastSuccess) : 'the install'}${update?.lastError ? ` (last error ${update.lastError.code}: ${update.lastError.message})` : ''}` });
  }
  return { installed, update, expiring, problems };
}

/** For every key valid now: its own expiry, its subkey's, and the certifications on its User IDs. */
async function expiringKeys(installed: Installed, request: StatusRequest): Promise<Expiring[]> {
  const keyring = await parseKeyring(await readLive(installed, 'keyring.gpg'), `${installed.dir}/keyring.gpg`);
  const graph = await trustGraphOf(request.anchors, [keyring]);
  const horizon = request.now.getTime() + request.warnMs;
  const out: Expiring[] = [];
  for (const verdict of authorizeAllThreshold(graph, { scope: { anyRepository: true }, signedAt: request.now, now: request.now, policy: request.policy }).values()) {
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
