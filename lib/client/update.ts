/**
 * `pkgkeys update`: brings the installed keyring (lib/keyring/live.ts) up to the newest release a
 * mirror serves, the way a cron job needs it: serialized by a lock, every download capped, and the
 * last good keyring left in place on any failure, with the reason recorded for `pkgkeys status`.
 *
 *   1. fetch the release statement, conditionally. "Not modified", or the very statement installed,
 *      ends here while the verdicts recorded when it was judged stand (lib/keyring/verdicts.ts):
 *      nothing is judged, and OpenPGP.js is not loaded. Otherwise lib/client/install.ts judges: on
 *      "not modified", the installed release is checked to be still in force (a mirror that stops
 *      changing is a frozen one) and its keyring judged anew; else, steps 2 to 5;
 *   2. fetch the keyring file it describes;
 *   3. merge it with what the installed keyring hands on: every key and revocation it holds, no
 *      certification (lib/keyring/store.ts revocationsOf). No revocation known here is ever lost
 *      (revocations are self-authenticating: whoever delivers one, it counts), and trust comes from
 *      the new release alone;
 *   4. verify the statement: its signer's chain to an anchor for `keyring/<name>`, its signature,
 *      expiry, the keyring's size and digest, and a serial not below the installed one;
 *   5. install the merged keyring and its exports for pkg_install as one new generation, and record
 *      the verdicts;
 *   6. record the installed release's signing time in the floor (lib/verify/state.ts), so that a clock
 *      set back cannot make it, or anything that expired before it was signed, look fresh.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { PkgkeysError, ioError } from '../errors';
import { parseRecord, withLock, writeAtomic } from '../fsutil';
import { type Installed, LIVE, readInstalled, readLive } from '../keyring/live';
import { RELEASE_FILE, type VerifiedRelease } from '../keyring/release';
import { type Grounds, groundsOf, recordedVerdicts } from '../keyring/verdicts';
import { MAX_RELEASE_BYTES } from '../limits';
import type { Policy } from '../trust/policy';
import { keyringRepository } from '../trust/scope';
import type { Change } from '../verify/release';
import { type ClientState, type Clock, proofOf } from '../verify/state';
import { type Fetched, type Validators, fetchBounded } from './fetch';

export interface UpdateRequest {
  /** The directory URL the release and keyring files are served under. */
  url: string;
  /** The keyring's name: releases are signed for `keyring/<name>`. */
  name: string;
  /** ${VARBASE}/db/pkgkeys */
  dir: string;
  anchors: readonly string[];
  now: Date;
  /** How `now` was found (the clock and the floor), for messages. */
  clock?: Clock;
  /** Where the floor is kept. */
  state: ClientState;
  policy: Policy;
  timeoutMs: number;
  /** How long to wait for another update (an overlapping cron run) to finish. */
  lockWaitMs: number;
  /**
   * Accept a release whose statement has expired, as the keyring package's copy will have: never a
   * downgrade, and `pkgkeys status` reports the keyring frozen until an update from a mirror succeeds.
   */
  allowExpired?: boolean;
}

export interface UpdateResult {
  change: Change | 'not-modified';
  release: VerifiedRelease;
  /** Primary keys in the pkg_install exports after the update. */
  verifyKeys: number;
  pkgvulnKeys: number;
}

/** The outcome of the last runs, for `pkgkeys status`; not part of the keyring. */
export interface UpdateRecord {
  url: string;
  validators: Validators | null;
  lastAttempt: Date;
  lastSuccess: Date | null;
  lastError: { code: string; message: string } | null;
}

const RECORD_FILE = 'update.json';

export async function update(request: UpdateRequest): Promise<UpdateResult> {
  const url = new URL(request.url.endsWith('/') ? request.url : `${request.url}/`).href;
  return withLock(
    request.dir,
    async () => {
      const previous = await readRecord(request.dir);
      const record = recordBase(url, request.now, previous);
      try {
        const { result, validators } = await updateLocked(url, request, record.validators);
        await request.state.prove(proofOf(keyringRepository(request.name), result.release));
        await writeRecord(request.dir, { ...record, validators, lastSuccess: request.now });
        return result;
      } catch (error) {
        const failure = error instanceof PkgkeysError ? error : ioError('update failed in', request.dir, error);
        await writeRecord(request.dir, { ...record, lastError: { code: failure.code, message: failure.message } });
        throw failure;
      }
    },
    { waitMs: request.lockWaitMs },
  );
}

async function updateLocked(
  url: string,
  request: UpdateRequest,
  validators: Validators | null,
): Promise<{ result: UpdateResult; validators: Validators | null }> {
  // Read before anything is judged: anchors that change meanwhile can only leave a record of the older ones.
  const grounds = await groundsOf(request.anchors, request.policy);
  const installed = await readInstalled(request.dir);
  const fetched = await fetchBounded({
    url: new URL(RELEASE_FILE, url),
    limit: MAX_RELEASE_BYTES,
    timeoutMs: request.timeoutMs,
    validators: installed ? validators : null,
  });
  let result = installed ? await nothingNew(installed, fetched, grounds, request) : null;
  if (!result) {
    const { judgeAndInstall } = require('./install') as typeof import('./install');
    result = await judgeAndInstall(url, request, installed, fetched, grounds);
  }
  return { result, validators: fetched.notModified ? validators : fetched.validators };
}

/** A run that finds nothing new, answered from the recorded verdicts; null when they do not stand, or the mirror offers another statement. */
async function nothingNew(
  installed: Installed,
  fetched: Fetched,
  grounds: Grounds | null,
  request: UpdateRequest,
): Promise<UpdateResult | null> {
  if (!fetched.notModified && !fetched.body.equals(await readLive(installed, LIVE.release))) return null;
  const verdicts = await recordedVerdicts(request.dir, installed, grounds, request.now);
  if (!verdicts) return null;
  return {
    change: fetched.notModified ? 'not-modified' : 'unchanged',
    release: installed.release,
    verifyKeys: verdicts.verifyKeys,
    pkgvulnKeys: verdicts.pkgvulnKeys,
  };
}

function recordBase(url: string, now: Date, previous: UpdateRecord | null): UpdateRecord {
  const same = previous?.url === url;
  return {
    url,
    validators: same ? previous!.validators : null,
    lastAttempt: now,
    lastSuccess: previous?.lastSuccess ?? null,
    lastError: null,
  };
}

export async function readRecord(dir: string): Promise<UpdateRecord | null> {
  let text: string;
  try {
    text = await fs.readFile(path.join(dir, RECORD_FILE), 'utf8');
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw ioError('cannot read', path.join(dir, RECORD_FILE), cause);
  }
  // Only a cache and a report: a damaged one is started afresh.
  return parseRecord(text, (r) => {
    const validators = r.optionalObject('validators');
    const lastError = r.optionalObject('lastError');
    return {
      url: r.string('url'),
      validators: validators && {
        etag: validators.optionalString('etag'),
        lastModified: validators.optionalString('lastModified'),
      },
      lastAttempt: r.time('lastAttempt'),
      lastSuccess: r.optionalTime('lastSuccess'),
      lastError: lastError && { code: lastError.string('code'), message: lastError.string('message') },
    };
  });
}

const writeRecord = (dir: string, record: UpdateRecord) =>
  writeAtomic(path.join(dir, RECORD_FILE), `${JSON.stringify(record, null, 2)}\n`);
