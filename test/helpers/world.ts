/**
 * Keys, certifications and revocations made in tests with fixed dates, through lib/pgp/ as pkgkeys
 * itself makes them; `graph()` gives the trust graph the engine judges.
 */
import type { Certificate, Fingerprint, RevocationReason } from '../../lib/model';
import { type KeyType, SecretKey, certify, generateKey, inspectAll, mergeTrees, readTrees, revokeCertification, revokeKey, revokeSubkey } from '../../lib/pgp';
import { TrustGraph } from '../../lib/trust/chain';

export const T0 = new Date('2026-01-01T00:00:00Z');
export const day = (n: number, from = T0) => new Date(from.getTime() + n * 86400_000);

export interface TestKey {
  name: string;
  fingerprint: Fingerprint;
  userID: string;
  secret: SecretKey;
  /** The armored secret key, unprotected, for commands that read a key file. */
  secretArmored: string;
  public: string;
}

export class World {
  /** Every armored certificate made so far; the keyring is their merge. */
  readonly material: string[] = [];
  /** The newest certified form of each key's certificate, for revoking certifications on it. */
  private readonly certified = new Map<Fingerprint, string>();

  async key(name: string, options: { type?: KeyType; created?: Date; expires?: Date } = {}): Promise<TestKey> {
    const userID = `${name} <${name}@pkgsrc.test>`;
    const made = await generateKey({ userID, type: options.type ?? 'ed25519', passphrase: null, created: options.created ?? T0, expires: options.expires ?? null });
    this.material.push(made.public);
    return { name, fingerprint: made.fingerprint, userID, secret: await SecretKey.open(made.secret, null, name), secretArmored: made.secret, public: made.public };
  }

  async certify(
    signer: TestKey,
    target: TestKey,
    options: { scopes?: string[]; at?: Date; expires?: Date | null; delegate?: number; userID?: string } = {},
  ): Promise<string> {
    const made = await certify(signer.secret, target.public, {
      scopes: options.scopes ?? ['NetBSD/**'],
      expires: options.expires === undefined ? day(730) : options.expires,
      delegateDepth: options.delegate ?? null,
      userID: options.userID ?? null,
      created: options.at ?? day(1),
    });
    this.material.push(made.armored);
    this.certified.set(target.fingerprint, made.armored);
    return made.armored;
  }

  async revokeKey(key: TestKey, reason: RevocationReason, at: Date): Promise<string> {
    const armored = await revokeKey(key.secret, { reason, text: `test: ${reason}`, created: at });
    this.material.push(armored);
    return armored;
  }

  async revokeSubkey(key: TestKey, subkey: Fingerprint, reason: RevocationReason, at: Date): Promise<void> {
    this.material.push(await revokeSubkey(key.secret, subkey, { reason, text: '', created: at }));
  }

  async revokeCertification(signer: TestKey, target: TestKey, at: Date): Promise<void> {
    const certificate = this.certified.get(target.fingerprint) ?? target.public;
    this.material.push((await revokeCertification(signer.secret, certificate, { reason: 'unspecified', text: '', created: at })).armored);
  }

  /** Adds armored material made elsewhere (gpg, hand-built packets). */
  add(armored: string | Uint8Array): void {
    this.material.push(typeof armored === 'string' ? armored : Buffer.from(armored).toString('latin1'));
  }

  async certificates(): Promise<Certificate[]> {
    const trees = [];
    for (const m of this.material) trees.push(...(await readTrees(m.startsWith('-----') ? m : Buffer.from(m, 'latin1'), 'test material')));
    return inspectAll(mergeTrees(trees));
  }

  async graph(...anchors: TestKey[]): Promise<TrustGraph> {
    return new TrustGraph(await this.certificates(), anchors.map((a) => a.fingerprint));
  }
}
