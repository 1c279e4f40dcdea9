/**
 * From packet trees to pkgkeys' model (lib/model.ts). Every signature is checked cryptographically
 * here, against the right key and data; time, expiry, revocation semantics and algorithm policy are
 * left to lib/trust/, which sees only signatures that verified.
 */
import * as openpgp from 'openpgp';
import {
  type Certificate,
  type Certification,
  type Fingerprint,
  type HashName,
  type KeyAlgorithm,
  type PublicKeyAlgorithm,
  type Revocation,
  type RevocationReason,
  type Revoker,
  type SelfSignature,
  type Subkey,
  type UserID,
  SCOPE_NOTATION,
} from '../model';
import {
  type Sig,
  type SubkeyNode,
  type Tree,
  type UserIDNode,
  fingerprintOf,
  keyIDOf,
  mergeTrees,
  packetBytes,
  problemOf,
  sigExpires,
  sigIssuerFingerprint,
  sigIssuerKeyID,
  verifies,
} from './packets';

const T = openpgp.enums.signature;
const CERTIFICATIONS: ReadonlySet<number> = new Set([T.certGeneric, T.certPersona, T.certCasual, T.certPositive]);

type KeyPacket = Tree['key'] | Tree['subkeys'][number]['packet'];

const hashName = (id: number | null): HashName =>
  (id === null ? 'unknown' : (openpgp.enums.read(openpgp.enums.hash, id) ?? `hash-${id}`)).toLowerCase();

function algorithmOf(key: KeyPacket): KeyAlgorithm {
  const info = key.getAlgorithmInfo() as { algorithm: string; bits?: number; curve?: string };
  const names: Record<string, PublicKeyAlgorithm> = {
    rsaEncryptSign: 'rsa',
    rsaEncrypt: 'rsa',
    rsaSign: 'rsa',
    elgamal: 'elgamal',
    dsa: 'dsa',
    ecdh: 'ecdh',
    ecdsa: 'ecdsa',
    eddsaLegacy: 'eddsa',
    ed25519: 'ed25519',
    ed448: 'ed448',
    x25519: 'x25519',
    x448: 'x448',
  };
  const curveBits: Record<string, number> = {
    ed25519Legacy: 256,
    curve25519Legacy: 256,
    nistP256: 256,
    nistP384: 384,
    nistP521: 521,
    brainpoolP256r1: 256,
    brainpoolP384r1: 384,
    brainpoolP512r1: 512,
    secp256k1: 256,
  };
  const name = names[info.algorithm] ?? 'unknown';
  const bits =
    info.bits ?? (info.curve ? (curveBits[info.curve] ?? 0) : name === 'ed25519' || name === 'x25519' ? 256 : 448);
  return info.curve ? { name, bits, curve: info.curve } : { name, bits };
}

/** RFC 9580 §5.2.3.31: codes 1 (superseded), 3 (retired) and 32 (user ID invalid) are soft; the rest hard. */
function revocationOf(sig: Sig, issuer: Fingerprint): Revocation {
  const reasons: Record<number, RevocationReason> = {
    0: 'unspecified',
    1: 'superseded',
    2: 'compromised',
    3: 'retired',
    32: 'user-id-invalid',
  };
  const code = sig.reasonForRevocationFlag ?? 0;
  const reason = reasons[code] ?? 'unspecified';
  return {
    issuer,
    created: sig.created!,
    reason,
    text: sig.reasonForRevocationString ?? '',
    hard: !(code === 1 || code === 3 || code === 32),
    packet: packetBytes(sig),
  };
}

function selfSignatureOf(sig: Sig, keyCreated: Date): SelfSignature {
  const keyExpires = sig.keyExpirationTime ? new Date(keyCreated.getTime() + sig.keyExpirationTime * 1000) : null;
  return {
    created: sig.created!,
    hash: hashName(sig.hashAlgorithm),
    keyExpires,
    flags: sig.keyFlags ? (sig.keyFlags[0] ?? 0) : null,
    problem: problemOf(sig),
    packet: packetBytes(sig),
  };
}

/** RFC 9580 §5.2.3.10: the most recent self-signature takes precedence. */
const newest = <S extends { created: Date }>(list: S[]): S | null =>
  list.reduce<S | null>((best, s) => (best === null || s.created > best.created ? s : best), null);

/** The subpackets of the hashed area of a v4 signature (RFC 9580 §5.2.3.7), read from the raw bytes. */
function hashedSubpackets(sig: Sig): Array<{ type: number; body: Buffer }> {
  const data = sig.signatureData;
  const out: Array<{ type: number; body: Buffer }> = [];
  if (!data || data[0] !== 4) return out;
  const end = 6 + ((data[4]! << 8) | data[5]!);
  for (let i = 6; i < end && i < data.length;) {
    let length = data[i]!;
    if (length < 192) i += 1;
    else if (length < 255) ((length = ((length - 192) << 8) + data[i + 1]! + 192), (i += 2));
    else ((length = data[i + 1]! * 2 ** 24 + ((data[i + 2]! << 16) | (data[i + 3]! << 8) | data[i + 4]!)), (i += 5));
    if (length === 0 || i + length > end) break;
    out.push({ type: data[i]! & 0x7f, body: Buffer.from(data.subarray(i + 1, i + length)) });
    i += length;
  }
  return out;
}

/** Subpacket 6 (RFC 9580 §5.2.3.22): OpenPGP.js keeps only its first byte. */
function regexOf(sig: Sig): string | null {
  const body = hashedSubpackets(sig).find((s) => s.type === 6)?.body;
  return body ? body.toString('utf8').replace(/\0$/, '') : null;
}

/**
 * Subpackets 12 (RFC 9580 §5.2.3.23: class, algorithm, fingerprint), every one in the hashed area:
 * OpenPGP.js keeps only the last. The class is not looked at: every named revoker is honoured.
 */
const revokersOf = (sig: Sig): Fingerprint[] =>
  hashedSubpackets(sig)
    .filter((s) => s.type === 12 && s.body.length > 2)
    .map((s) => s.body.subarray(2).toString('hex').toUpperCase());

/** Finds the keys that may have made `sig`: by issuer fingerprint if it names one, else by key ID. */
type IssuerLookup = (sig: Sig) => Array<{ fingerprint: Fingerprint; key: KeyPacket }>;

/** What `inspect` sees of the rest of the keyring. */
interface Keyring {
  lookup: IssuerLookup;
  /** Fingerprints of every certificate. */
  known: ReadonlySet<Fingerprint>;
  /** Every key revocation (0x20) of the input, wherever it stood. */
  keyRevocations: readonly Sig[];
}

function issuerLookup(trees: Tree[]): IssuerLookup {
  const byKeyID = new Map<string, Array<{ fingerprint: Fingerprint; key: KeyPacket }>>();
  for (const tree of trees) {
    const id = keyIDOf(tree.key);
    byKeyID.set(id, [...(byKeyID.get(id) ?? []), { fingerprint: tree.fingerprint, key: tree.key }]);
  }
  return (sig) => {
    const named = sigIssuerFingerprint(sig);
    const candidates = byKeyID.get(sigIssuerKeyID(sig)) ?? [];
    return named ? candidates.filter((c) => c.fingerprint === named) : candidates;
  };
}

/** The certificate `inspect` models, as its steps need it. */
interface Subject {
  tree: Tree;
  /** Whether the certificate's own primary key made `sig`. */
  byPrimary: (sig: Sig) => boolean;
  /** The model of a self-signature, the designated revokers it names remembered (`revokersNamed`). */
  self: (sig: Sig) => SelfSignature;
  revokersNamed: (self: SelfSignature | null) => Fingerprint[];
}

function subjectOf(tree: Tree): Subject {
  const { key: primary, fingerprint } = tree;
  const named = new Map<SelfSignature, Fingerprint[]>();
  return {
    tree,
    byPrimary: (sig) =>
      sigIssuerKeyID(sig) === keyIDOf(primary) && (sigIssuerFingerprint(sig) ?? fingerprint) === fingerprint,
    self: (sig) => {
      const made = selfSignatureOf(sig, primary.created);
      named.set(made, revokersOf(sig));
      return made;
    },
    revokersNamed: (self) => (self && named.get(self)) ?? [],
  };
}

/** Builds the model of one certificate; `keyring` finds other keys, for third-party signatures. */
async function inspect(tree: Tree, keyring: Keyring): Promise<Certificate> {
  const subject = subjectOf(tree);
  const directs = await directSelfSignatures(subject);
  const direct = newest(directs);
  const userIDs: UserID[] = [];
  for (const node of tree.userIDs) userIDs.push(await userIDOf(subject, node, keyring));
  const revokers = designatedRevokers(subject, keyring, [direct, ...userIDs.map((u) => u.self)], directs);
  const revocations = await keyRevocations(subject, keyring, revokers);
  const subkeys: Subkey[] = [];
  for (const node of tree.subkeys) subkeys.push(await subkeyOf(subject, node));
  return {
    fingerprint: tree.fingerprint,
    keyID: keyIDOf(tree.key),
    version: tree.key.version,
    algorithm: algorithmOf(tree.key),
    created: tree.key.created,
    revocations,
    revokers,
    direct,
    userIDs,
    subkeys,
    packet: packetBytes(tree.key),
  };
}

/** Direct-key self-signatures (0x1F) that verify. */
async function directSelfSignatures({ tree, byPrimary, self }: Subject): Promise<SelfSignature[]> {
  const directs: SelfSignature[] = [];
  for (const sig of tree.sigs) {
    if (byPrimary(sig) && sig.signatureType === T.key && (await verifies(sig, tree.key, T.key, { key: tree.key })))
      directs.push(self(sig));
  }
  return directs;
}

/**
 * A User ID with its newest self-signature, its revocations, and by each other key the newest
 * certification and certification revocation that verify.
 */
async function userIDOf({ tree, byPrimary, self }: Subject, node: UserIDNode, keyring: Keyring): Promise<UserID> {
  const primary = tree.key;
  const data = { userID: node.packet, key: primary };
  const selfs: SelfSignature[] = [];
  const revocations: Revocation[] = [];
  const certifications = new Map<Fingerprint, Certification>();
  const certificationRevocations = new Map<Fingerprint, Revocation>();
  for (const sig of node.sigs) {
    if (byPrimary(sig)) {
      if (CERTIFICATIONS.has(sig.signatureType!) && (await verifies(sig, primary, sig.signatureType!, data)))
        selfs.push(self(sig));
      else if (sig.signatureType === T.certRevocation && (await verifies(sig, primary, T.certRevocation, data)))
        revocations.push(revocationOf(sig, tree.fingerprint));
      continue;
    }
    const issuer = await verifiedIssuer(sig, keyring, sig.signatureType!, data);
    if (!issuer) continue;
    if (CERTIFICATIONS.has(sig.signatureType!))
      keepNewest(certifications, issuer, certificationOf(sig, issuer, tree.fingerprint, node.packet.userID));
    else if (sig.signatureType === T.certRevocation)
      keepNewest(certificationRevocations, issuer, revocationOf(sig, issuer));
  }
  return {
    text: node.packet.userID,
    packet: packetBytes(node.packet),
    self: newest(selfs),
    revocations,
    certifications: [...certifications.values()],
    certificationRevocations: [...certificationRevocations.values()],
  };
}

/** The first key of the keyring that may have made `sig` and did, over `data`, or null. */
async function verifiedIssuer(sig: Sig, keyring: Keyring, type: number, data: object): Promise<Fingerprint | null> {
  for (const issuer of keyring.lookup(sig)) {
    if (await verifies(sig, issuer.key, type, data)) return issuer.fingerprint;
  }
  return null;
}

const keepNewest = <S extends { created: Date }>(byIssuer: Map<Fingerprint, S>, issuer: Fingerprint, made: S): void => {
  const known = byIssuer.get(issuer);
  if (!known || made.created > known.created) byIssuer.set(issuer, made);
};

/**
 * Designated revokers (RFC 9580 §5.2.3.23): those the self-signatures in force name, then those of
 * every older direct-key self-signature, as gpg counts them: a newer self-signature cannot take a
 * revoker back, or whoever stole the key could undo the revoker's power.
 */
function designatedRevokers(
  { tree, revokersNamed }: Subject,
  keyring: Keyring,
  inForce: Array<SelfSignature | null>,
  directs: SelfSignature[],
): Revoker[] {
  const newestFirst = [...directs].sort((a, b) => b.created.getTime() - a.created.getTime());
  const revokers = new Map<Fingerprint, Revoker>();
  for (const s of [...inForce, ...newestFirst]) {
    for (const revoker of revokersNamed(s)) {
      if (revoker !== tree.fingerprint && !revokers.has(revoker))
        revokers.set(revoker, { fingerprint: revoker, known: keyring.known.has(revoker), packet: s!.packet });
    }
  }
  return [...revokers.values()];
}

/**
 * Key revocations count by who made them, not by where they stood in the input: the key itself or
 * one of its designated revokers, over this key (RFC 9580 §5.2.1.9).
 */
async function keyRevocations({ tree }: Subject, keyring: Keyring, revokers: Revoker[]): Promise<Revocation[]> {
  const revokedBy = new Set([tree.fingerprint, ...revokers.map((r) => r.fingerprint)]);
  const revocations: Revocation[] = [];
  for (const sig of keyring.keyRevocations) {
    for (const issuer of keyring.lookup(sig)) {
      if (!revokedBy.has(issuer.fingerprint) || !(await verifies(sig, issuer.key, T.keyRevocation, { key: tree.key })))
        continue;
      revocations.push(revocationOf(sig, issuer.fingerprint));
      break;
    }
  }
  return revocations;
}

/** A subkey with its newest binding (and the back-signature in it) and its revocations. */
async function subkeyOf({ tree, byPrimary }: Subject, node: SubkeyNode): Promise<Subkey> {
  const primary = tree.key;
  const data = { key: primary, bind: node.packet };
  const bindings: Array<NonNullable<Subkey['binding']>> = [];
  const revocations: Revocation[] = [];
  for (const sig of node.sigs) {
    if (!byPrimary(sig)) continue;
    if (sig.signatureType === T.subkeyBinding && (await verifies(sig, primary, T.subkeyBinding, data))) {
      // RFC 9580 §5.2.1: a signing subkey must cross-certify its primary (0x19, embedded).
      // Its hash and subpackets are reported, for the policy to judge like any other signature's.
      const back = sig.embeddedSignature;
      const backSigned =
        back !== null && back.signatureType === T.keyBinding && (await verifies(back, node.packet, T.keyBinding, data));
      bindings.push({
        ...selfSignatureOf(sig, node.packet.created),
        back: backSigned ? { hash: hashName(back.hashAlgorithm), problem: problemOf(back) } : null,
      });
    } else if (sig.signatureType === T.subkeyRevocation && (await verifies(sig, primary, T.subkeyRevocation, data))) {
      revocations.push(revocationOf(sig, tree.fingerprint));
    }
  }
  return {
    fingerprint: fingerprintOf(node.packet),
    keyID: keyIDOf(node.packet),
    algorithm: algorithmOf(node.packet),
    created: node.packet.created,
    binding: newest(bindings),
    revocations,
    packet: packetBytes(node.packet),
  };
}

function certificationOf(sig: Sig, issuer: Fingerprint, subject: Fingerprint, userID: string): Certification {
  const scopes = sig.rawNotations
    .filter((n) => n.name === SCOPE_NOTATION && n.humanReadable)
    .map((n) => Buffer.from(n.value).toString('utf8'));
  const trust =
    sig.trustLevel !== null && sig.trustLevel > 0
      ? { depth: sig.trustLevel, amount: sig.trustAmount ?? 0, regex: regexOf(sig) }
      : null;
  return {
    issuer,
    subject,
    userID,
    created: sig.created!,
    expires: sigExpires(sig),
    scopes,
    trust,
    hash: hashName(sig.hashAlgorithm),
    problem: problemOf(sig),
    packet: packetBytes(sig),
  };
}

/**
 * Models every certificate of a keyring; signatures by keys outside `trees` cannot be checked and are
 * left out. Trees are merged first (`mergeTrees`), so a certificate, User ID or subkey that appears
 * twice is judged once, with all its signatures.
 */
export async function inspectAll(trees: Tree[]): Promise<Certificate[]> {
  const merged = mergeTrees(trees);
  const keyRevocations = new Map<string, Sig>();
  for (const sig of merged.flatMap((t) => t.sigs)) {
    if (sig.signatureType === T.keyRevocation)
      keyRevocations.set(Buffer.from(packetBytes(sig)).toString('base64'), sig);
  }
  const keyring: Keyring = {
    lookup: issuerLookup(merged),
    known: new Set(merged.map((t) => t.fingerprint)),
    keyRevocations: [...keyRevocations.values()],
  };
  return Promise.all(merged.map((tree) => inspect(tree, keyring)));
}
