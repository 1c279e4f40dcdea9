/**
 * The certifying side: what the master key holder (and an intermediate) does on an offline machine.
 * Creates keys, certifies and delegates with scopes and expiry, and revokes. Files in, files out: the
 * results are imported into keyrings/ (lib/keyring/) where review sees them.
 */
import * as path from 'node:path';
import { PkgkeysError } from '../errors';
import { readBounded, writeAtomic, writeNew } from '../fsutil';
import type { Fingerprint, RevocationReason } from '../model';
import { findKey } from '../keyref';
import { MAX_KEYRING_BYTES } from '../limits';
import {
  type KeyType,
  SecretKey,
  certify,
  generateKey,
  inspectAll,
  revokeCertification,
  revokeKey,
  revokeSubkey,
} from '../pgp';
import { checkScope } from '../trust/scope';

export type KeyRole = 'master' | 'signing';

export interface CreatedKey {
  fingerprint: Fingerprint;
  role: KeyRole;
  expires: Date | null;
  secret: string;
  public: string;
  revocation: string;
}

/**
 * Creates a key and writes `<role>-secret.asc` (mode 0600), `<role>-public.asc` and
 * `<role>-revocation.asc` (0600, a hard revocation for offline storage) in `out`. Existing files are
 * never overwritten.
 */
export async function createKey(options: {
  role: KeyRole;
  userID: string;
  type: KeyType;
  passphrase: string | null;
  out: string;
  now: Date;
  expires: Date | null;
}): Promise<CreatedKey> {
  if (options.role === 'master' && !options.passphrase) {
    throw new PkgkeysError('NO_PASSPHRASE', 'the master key must be protected by a passphrase');
  }
  if (!/\S/.test(options.userID)) throw new PkgkeysError('USAGE', 'the User ID must not be empty');
  const files = {
    secret: path.join(options.out, `${options.role}-secret.asc`),
    public: path.join(options.out, `${options.role}-public.asc`),
    revocation: path.join(options.out, `${options.role}-revocation.asc`),
  };
  const key = await generateKey({
    userID: options.userID,
    type: options.type,
    passphrase: options.passphrase,
    created: options.now,
    expires: options.expires,
  });
  // The secret first: if it cannot be written, nothing else is.
  await writeNew(files.secret, key.secret, 0o600);
  await writeNew(files.revocation, key.revocation, 0o600);
  await writeNew(files.public, key.public, 0o644);
  return { fingerprint: key.fingerprint, role: options.role, expires: options.expires, ...files };
}

export async function openSecretKey(file: string, passphrase: () => Promise<string | null>): Promise<SecretKey> {
  const data = await readBounded(file, MAX_KEYRING_BYTES);
  try {
    return await SecretKey.open(data, null, file);
  } catch (error) {
    if (!(error instanceof PkgkeysError) || error.code !== 'NO_PASSPHRASE') throw error;
  }
  return SecretKey.open(data, await passphrase(), file);
}

export interface CertifyRequest {
  signer: SecretKey;
  certificate: string;
  scopes: string[];
  expires: Date | null;
  delegate: boolean;
  userID: string | null;
  now: Date;
  out: string | null;
}

export interface CertifyResult {
  signer: Fingerprint;
  fingerprint: Fingerprint;
  userIDs: string[];
  scopes: string[];
  expires: Date | null;
  delegated: boolean;
  armored: string;
}

/** Certifies (or, with `delegate`, trust-signs at depth 1) a certificate for the given scopes. */
export async function certifyFile(request: CertifyRequest): Promise<CertifyResult> {
  if (request.scopes.length === 0)
    throw new PkgkeysError('USAGE', 'give at least one --scope: a certification without scope grants nothing');
  request.scopes.forEach(checkScope);
  const data = await readBounded(request.certificate, MAX_KEYRING_BYTES);
  const result = await certify(request.signer, data, {
    scopes: request.scopes,
    expires: request.expires,
    delegateDepth: request.delegate ? 1 : null,
    userID: request.userID,
    created: request.now,
  });
  if (request.out) await writeAtomic(request.out, result.armored);
  return {
    signer: request.signer.fingerprint,
    fingerprint: result.fingerprint,
    userIDs: result.userIDs,
    scopes: request.scopes,
    expires: request.expires,
    delegated: request.delegate,
    armored: result.armored,
  };
}

/** `subkey`: its fingerprint or key ID. */
export type RevokeTarget =
  { kind: 'key' } | { kind: 'subkey'; subkey: string } | { kind: 'certification'; certificate: string };

export interface RevokeResult {
  signer: Fingerprint;
  target: RevokeTarget['kind'];
  fingerprint: Fingerprint;
  reason: RevocationReason;
  armored: string;
}

/** Revokes the signer's key, one of its subkeys, or its certification of another certificate. */
export async function revoke(options: {
  signer: SecretKey;
  target: RevokeTarget;
  reason: RevocationReason;
  text: string;
  now: Date;
  out: string | null;
}): Promise<RevokeResult> {
  const how = { reason: options.reason, text: options.text, created: options.now };
  const { signer, target } = options;
  let fingerprint = signer.fingerprint;
  let armored: string;
  if (target.kind === 'key') armored = await revokeKey(signer, how);
  else if (target.kind === 'subkey') {
    const [own] = await inspectAll([await signer.publicTree()]);
    fingerprint = findKey(own!.subkeys, target.subkey, `the subkeys of ${signer.fingerprint}`);
    armored = await revokeSubkey(signer, fingerprint, how);
  } else {
    const result = await revokeCertification(signer, await readBounded(target.certificate, MAX_KEYRING_BYTES), how);
    ((armored = result.armored), (fingerprint = result.fingerprint));
  }
  if (options.out) await writeAtomic(options.out, armored);
  return { signer: signer.fingerprint, target: target.kind, fingerprint, reason: options.reason, armored };
}
