/**
 * Making keys and signatures. OpenPGP.js' high-level certify API takes no options, so certifications,
 * trust signatures and revocations are built from SignaturePacket directly (DESIGN.md §4).
 */
import * as openpgp from 'openpgp';
import { PkgkeysError } from '../errors';
import { type Fingerprint, type RevocationReason, SCOPE_NOTATION } from '../model';
import { secondsBetween } from '../time';
import { type Signer, signerOf } from './signature';
import {
  type Sig,
  type Tree,
  armor,
  fingerprintOf,
  packetSpans,
  readTrees,
  sigIssuerKeyID,
  treeBytes,
  keyIDOf,
} from './packets';

const T = openpgp.enums.signature;

export type KeyType = 'ed25519' | 'rsa3072' | 'rsa4096';

export interface GeneratedKey {
  fingerprint: Fingerprint;
  /** Armored secret key, encrypted with the passphrase when one was given. */
  secret: string;
  /** Armored public certificate. */
  public: string;
  /** Armored hard revocation (no reason given), to be kept offline. */
  revocation: string;
}

/** Splits "Name <user@example.org>" the way OpenPGP.js wants User IDs (it insists on a valid address). */
function userIDParts(uid: string): openpgp.UserID {
  const m = /^([^<>]*?)\s*<([^<>\s]+@[^<>\s]+\.[^<>\s]+)>$/.exec(uid);
  if (!m || !/\S/.test(m[1]!))
    throw new PkgkeysError('USAGE', `User ID "${uid}" is not of the form "Name <user@example.org>"`);
  return { name: m[1], email: m[2] };
}

/**
 * A v4, signing-only key: no encryption subkey, since pkgkeys keys only certify and sign.
 * Ed25519 is the legacy EdDSA form (algorithm 22) that gpg 2.2, gpgv and sqv read (DESIGN.md §4).
 */
export async function generateKey(options: {
  userID: string;
  type: KeyType;
  passphrase: string | null;
  created: Date;
  expires?: Date | null;
}): Promise<GeneratedKey> {
  const algorithm =
    options.type === 'ed25519'
      ? { type: 'ecc' as const, curve: 'ed25519Legacy' as const }
      : { type: 'rsa' as const, rsaBits: options.type === 'rsa3072' ? 3072 : 4096 };
  const generated = await openpgp.generateKey({
    ...algorithm,
    userIDs: [userIDParts(options.userID)],
    date: options.created,
    ...(options.expires ? { keyExpirationTime: secondsBetween(options.created, options.expires) } : {}),
    subkeys: [],
    format: 'object' as const,
    ...(options.passphrase ? { passphrase: options.passphrase } : {}),
    config: { v6Keys: false },
  });
  return {
    fingerprint: fingerprintOf(generated.privateKey.keyPacket),
    secret: generated.privateKey.armor(),
    public: generated.publicKey.armor(),
    revocation: generated.revocationCertificate,
  };
}

/** An unlocked secret key, ready to sign. Only lib/pgp/ looks inside. */
export class SecretKey {
  private constructor(
    readonly fingerprint: Fingerprint,
    readonly userIDs: string[],
    private readonly key: openpgp.PrivateKey,
  ) {}

  /** Reads an armored or binary secret key and unlocks it (`passphrase` null: it must be unprotected). */
  static async open(data: Uint8Array | string, passphrase: string | null, what: string): Promise<SecretKey> {
    let key: openpgp.PrivateKey;
    try {
      key =
        typeof data === 'string' || looksArmored(data)
          ? await openpgp.readPrivateKey({
              armoredKey: typeof data === 'string' ? data : Buffer.from(data).toString('utf8'),
            })
          : await openpgp.readPrivateKey({ binaryKey: data });
    } catch (cause) {
      const text = typeof data === 'string' ? data : Buffer.from(data.subarray(0, 4096)).toString('latin1');
      const found =
        /-----BEGIN PGP PUBLIC KEY BLOCK-----/.test(text) ||
        (typeof data !== 'string' && packetSpans(data).spans[0]?.tag === 6)
          ? 'found a public certificate'
          : 'found something that cannot be read as one';
      throw new PkgkeysError(
        'NOT_SECRET_KEY',
        `${what}: expected an OpenPGP secret key ("-----BEGIN PGP PRIVATE KEY BLOCK-----", or binary), ${found}`,
        { cause },
      );
    }
    if (!key.isDecrypted()) {
      if (passphrase === null)
        throw new PkgkeysError('NO_PASSPHRASE', `${what}: the secret key is protected and no passphrase was given`);
      try {
        key = await openpgp.decryptKey({ privateKey: key, passphrase });
      } catch (cause) {
        throw new PkgkeysError(
          'BAD_PASSPHRASE',
          `${what}: the passphrase does not unlock secret key ${fingerprintOf(key.keyPacket)}`,
          { cause },
        );
      }
    }
    const userIDs = key.users.flatMap((u) => (u.userID ? [u.userID.userID] : []));
    return new SecretKey(fingerprintOf(key.keyPacket), userIDs, key);
  }

  /** The public certificate of this key, as a tree. */
  async publicTree(): Promise<Tree> {
    const [tree] = await readTrees(this.key.toPublic().write() as Uint8Array, this.fingerprint);
    return tree!;
  }

  /** Signs with the primary key (certifications and revocations are primary-key signatures, RFC 9580 §5.2.1). */
  async sign(sig: Sig, data: object, created: Date): Promise<Sig> {
    const signer = this.key.keyPacket as openpgp.SecretKeyPacket;
    sig.publicKeyAlgorithm = signer.algorithm;
    // SHA-512 always: it is what RFC 9580 §9.5 recommends, and gpg 2.2, sq and pkg_add all verify it.
    sig.hashAlgorithm = openpgp.enums.hash.sha512;
    await (
      sig.sign as (key: unknown, data: object, date: Date, detached: boolean, config: openpgp.Config) => Promise<void>
    ).call(sig, signer, data, created, false, openpgp.config);
    return sig;
  }

  /** Signs data (indexes, packages) with the primary key: lib/pgp/signature.ts. */
  signer(): Signer {
    return signerOf(this.key.keyPacket as openpgp.SecretKeyPacket);
  }
}

const looksArmored = (data: Uint8Array) =>
  Buffer.from(data.subarray(0, 64)).toString('latin1').trimStart().startsWith('-----BEGIN PGP');

function newSignature(type: openpgp.enums.signature, created: Date, expires: Date | null): Sig {
  const sig = new openpgp.SignaturePacket();
  sig.signatureType = type;
  if (expires) {
    sig.signatureExpirationTime = secondsBetween(created, expires);
    sig.signatureNeverExpires = false;
  }
  return sig;
}

export interface CertifyOptions {
  /** Globs over repository identifiers, each one `pkgsrc-scope@pkgsrc.org` notation (DESIGN.md §5). */
  scopes: string[];
  expires: Date | null;
  /** A trust signature (RFC 9580 §5.2.3.21) of this depth, with full trust (120): delegation. */
  delegateDepth: number | null;
  /** Certify only this User ID; by default, every User ID on the certificate. */
  userID: string | null;
  created: Date;
}

/** Certifies the User IDs of the single certificate in `target`; returns it, armored, with the new signatures. */
export async function certify(
  signer: SecretKey,
  target: Uint8Array | string,
  options: CertifyOptions,
): Promise<{ fingerprint: Fingerprint; userIDs: string[]; armored: string }> {
  const tree = await singleTree(target, 'certificate to certify');
  if (tree.fingerprint === signer.fingerprint) {
    throw new PkgkeysError(
      'USAGE',
      `key ${signer.fingerprint} cannot certify itself; give the certificate of another key`,
    );
  }
  const nodes = tree.userIDs.filter((u) => options.userID === null || u.packet.userID === options.userID);
  if (nodes.length === 0) {
    throw new PkgkeysError(
      'USAGE',
      `certificate ${tree.fingerprint} has no User ID ${options.userID === null ? 'at all' : `"${options.userID}"`}`,
    );
  }
  for (const node of nodes) {
    const sig = newSignature(T.certGeneric, options.created, options.expires);
    sig.rawNotations = options.scopes.map((scope) => ({
      name: SCOPE_NOTATION,
      value: Buffer.from(scope, 'utf8'),
      humanReadable: true,
      critical: false,
    }));
    if (options.delegateDepth !== null) {
      sig.trustLevel = options.delegateDepth;
      sig.trustAmount = 120;
    }
    node.sigs.push(await signer.sign(sig, { userID: node.packet, key: tree.key }, options.created));
  }
  return {
    fingerprint: tree.fingerprint,
    userIDs: nodes.map((n) => n.packet.userID),
    armored: armor('publicKey', treeBytes(tree)),
  };
}

const REASON_CODES: Record<RevocationReason, number> = {
  unspecified: 0,
  superseded: 1,
  compromised: 2,
  retired: 3,
  'user-id-invalid': 32,
};

export interface RevokeOptions {
  reason: RevocationReason;
  text: string;
  created: Date;
}

function revocation(type: openpgp.enums.signature, options: RevokeOptions): Sig {
  const sig = newSignature(type, options.created, null);
  sig.reasonForRevocationFlag = REASON_CODES[options.reason] as openpgp.enums.reasonForRevocation;
  sig.reasonForRevocationString = options.text;
  return sig;
}

/** The signer's own certificate with a key revocation (0x20) added. */
export async function revokeKey(signer: SecretKey, options: RevokeOptions): Promise<string> {
  const tree = await signer.publicTree();
  tree.sigs.push(await signer.sign(revocation(T.keyRevocation, options), { key: tree.key }, options.created));
  return armor('publicKey', treeBytes(tree));
}

/** The signer's own certificate with a subkey revocation (0x28) of one of its subkeys added. */
export async function revokeSubkey(signer: SecretKey, subkey: Fingerprint, options: RevokeOptions): Promise<string> {
  const tree = await signer.publicTree();
  const node = tree.subkeys.find((s) => fingerprintOf(s.packet) === subkey);
  if (!node) throw new PkgkeysError('USAGE', `key ${signer.fingerprint} has no subkey ${subkey}`);
  node.sigs.push(
    await signer.sign(revocation(T.subkeyRevocation, options), { key: tree.key, bind: node.packet }, options.created),
  );
  return armor('publicKey', treeBytes(tree));
}

/** The target certificate with the signer's certifications on it revoked (0x30, RFC 9580 §5.2.1.12). */
export async function revokeCertification(
  signer: SecretKey,
  target: Uint8Array | string,
  options: RevokeOptions,
): Promise<{ fingerprint: Fingerprint; userIDs: string[]; armored: string }> {
  const tree = await singleTree(target, 'certificate whose certification to revoke');
  const signerKeyID = keyIDOf((await signer.publicTree()).key);
  const certified = tree.userIDs.filter((u) =>
    u.sigs.some((s) => s.signatureType !== T.certRevocation && sigIssuerKeyID(s) === signerKeyID),
  );
  if (certified.length === 0) {
    throw new PkgkeysError(
      'USAGE',
      `certificate ${tree.fingerprint} carries no certification by ${signer.fingerprint} to revoke`,
    );
  }
  for (const node of certified) {
    node.sigs.push(
      await signer.sign(revocation(T.certRevocation, options), { userID: node.packet, key: tree.key }, options.created),
    );
  }
  return {
    fingerprint: tree.fingerprint,
    userIDs: certified.map((n) => n.packet.userID),
    armored: armor('publicKey', treeBytes(tree)),
  };
}

async function singleTree(data: Uint8Array | string, what: string): Promise<Tree> {
  const trees = await readTrees(data, what);
  if (trees.length !== 1)
    throw new PkgkeysError('BAD_INPUT', `${what}: expected one certificate, found ${trees.length}`);
  return trees[0]!;
}
