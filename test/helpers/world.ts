/**
 * Keys (from test/fixtures/keys/, helpers/keys.ts), certifications and revocations made in tests with
 * fixed dates, through lib/pgp/ as pkgkeys itself makes them; `graph()` gives the trust graph the
 * engine judges.
 */
import type { Certificate, Fingerprint, RevocationReason } from '../../lib/model';
import {
  type KeyType,
  SecretKey,
  certify,
  generateKey,
  inspectAll,
  mergeTrees,
  readTrees,
  revokeCertification,
  revokeKey,
  revokeSubkey,
} from '../../lib/pgp';
import { TrustGraph } from '../../lib/trust/chain';
import { FIXTURES_MADE, fixtureKey } from './keys';

/** When keys are made, unless a test says otherwise; the fixture keys are made then. */
export const T0 = FIXTURES_MADE;
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

  /** A key for the role `name`, distinct from every other key of this test file (a fixture: helpers/keys.ts). */
  async key(name: string, options: { type?: KeyType; created?: Date; expires?: Date } = {}): Promise<TestKey> {
    const userID = `${name} <${name}@pkgsrc.test>`;
    const type = options.type ?? 'ed25519';
    const wanted = { userID, created: options.created ?? T0, expires: options.expires ?? null };
    // No RSA-4096 fixtures: no test uses such a key yet, so one is made.
    const made =
      type === 'rsa4096'
        ? await generateKey({ ...wanted, type, passphrase: null })
        : await fixtureKey({ ...wanted, role: name, type });
    this.material.push(made.public);
    return {
      name,
      fingerprint: made.fingerprint,
      userID,
      secret: await SecretKey.open(made.secret, null, name),
      secretArmored: made.secret,
      public: made.public,
    };
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
    this.material.push(
      (await revokeCertification(signer.secret, certificate, { reason: 'unspecified', text: '', created: at })).armored,
    );
  }

  /** Adds armored material made elsewhere (gpg, hand-built packets). */
  add(armored: string | Uint8Array): void {
    this.material.push(typeof armored === 'string' ? armored : Buffer.from(armored).toString('latin1'));
  }

  async certificates(): Promise<Certificate[]> {
    const trees = [];
    for (const m of this.material)
      trees.push(...(await readTrees(m.startsWith('-----') ? m : Buffer.from(m, 'latin1'), 'test material')));
    return inspectAll(mergeTrees(trees));
  }

  async graph(...anchors: TestKey[]): Promise<TrustGraph> {
    return new TrustGraph(
      await this.certificates(),
      anchors.map((a) => a.fingerprint),
    );
  }
}
