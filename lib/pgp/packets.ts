/**
 * Reading and writing OpenPGP packets. Certificates are handled as packet trees (the primary key, its
 * User IDs and subkeys, each with the signatures over it) rather than as openpgp.Key objects: Key
 * methods judge validity at a time and cache it, which is pkgkeys' job (DESIGN.md §4).
 */
import * as openpgp from 'openpgp';
import { type Code, PkgkeysError } from '../errors';
import { type Fingerprint, type KeyID, REPOSITORY_NOTATION, SCOPE_NOTATION } from '../model';

export type Sig = openpgp.SignaturePacket;
type PublicKey = openpgp.PublicKeyPacket;
type PublicSubkey = openpgp.PublicSubkeyPacket;
/** Key#directSignatures exists at run time but not in the typings. */
type KeyInternals = openpgp.Key & { directSignatures: Sig[] };

export interface UserIDNode {
  packet: openpgp.UserIDPacket;
  sigs: Sig[];
}
export interface SubkeyNode {
  packet: PublicSubkey;
  sigs: Sig[];
}
/** One transferable public key (RFC 9580 §10.1), in tree form. */
export interface Tree {
  fingerprint: Fingerprint;
  key: PublicKey;
  /** Direct-key signatures and key revocations. */
  sigs: Sig[];
  userIDs: UserIDNode[];
  subkeys: SubkeyNode[];
}

/** Largest key material pkgkeys reads in one go; a keyring is kilobytes, never megabytes. */
export const MAX_KEYRING_BYTES = 16 * 1024 * 1024;

/** Strict parsing: a malformed packet is an error, never silently dropped. */
const PARSE_CONFIG = { ...openpgp.config, ignoreMalformedPackets: false, ignoreUnsupportedPackets: true, enableParsingV5Entities: false };

export const fingerprintOf = (key: { getFingerprint(): string }): Fingerprint => key.getFingerprint().toUpperCase();
export const keyIDOf = (key: { getKeyID(): openpgp.KeyID }): KeyID => key.getKeyID().toHex().toUpperCase();

/** Issuer fingerprint from the signature, when it names one (RFC 9580 §5.2.3.35). */
export function sigIssuerFingerprint(sig: Sig): Fingerprint | null {
  return sig.issuerFingerprint ? Buffer.from(sig.issuerFingerprint).toString('hex').toUpperCase() : null;
}
export const sigIssuerKeyID = (sig: Sig): KeyID => sig.issuerKeyID.toHex().toUpperCase();
/** RFC 9580 §5.2.3.18: the expiration time counts from the creation time; none (or 0) never expires. */
export const sigExpires = (sig: Sig): Date | null =>
  sig.signatureExpirationTime ? new Date(sig.created!.getTime() + sig.signatureExpirationTime * 1000) : null;

/**
 * RFC 9580 §5.2.3.7: a signature with a critical subpacket pkgkeys does not understand is invalid; of
 * critical notations (§5.2.3.24) it understands its own two. Null when there is no such problem.
 */
export function problemOf(sig: Sig): string | null {
  const critical = sig.unknownSubpackets.find((s) => s.critical);
  if (critical) return `unknown critical subpacket ${critical.type}`;
  const notation = sig.rawNotations.find((n) => n.critical && n.name !== SCOPE_NOTATION && n.name !== REPOSITORY_NOTATION);
  if (notation) return `unknown critical notation ${notation.name}`;
  return null;
}

/**
 * Crypto only: hash and algorithm policy are pkgkeys' (lib/trust/policy.ts), so nothing is refused here
 * for being weak; it is reported with its algorithm and refused there with a precise reason.
 */
const VERIFY_CONFIG: openpgp.Config = {
  ...openpgp.config,
  rejectHashAlgorithms: new Set(),
  rejectMessageHashAlgorithms: new Set(),
  rejectPublicKeyAlgorithms: new Set(),
  rejectCurves: new Set(),
  minRSABits: 0,
};

/**
 * Whether `sig` is `key`'s signature of `type` over `data`, or over the data hashed into `digest`
 * (RFC 9580 §5.2.4, streamed by the caller): the mathematics only. Time, hash policy and subpacket
 * semantics (problemOf, designated revokers) are judged elsewhere, so the check runs on a fresh view of
 * the packet without them: OpenPGP.js would judge them its own way, and caches a success on the packet
 * it verified. The hashed bytes are untouched, so the view changes nothing cryptographic.
 */
export async function verifies(sig: Sig, key: PublicKey | PublicSubkey, type: openpgp.enums.signature, data: object, digest?: Uint8Array): Promise<boolean> {
  const view: Sig = Object.assign(Object.create(Object.getPrototypeOf(sig)), sig, {
    unknownSubpackets: [], rawNotations: [], revocationKeyClass: null, ...(digest ? { hashed: digest } : {}),
  });
  try {
    await view.verify(key, type, data, null as unknown as Date, false, VERIFY_CONFIG);
    return true;
  } catch {
    return false;
  }
}

/**
 * Accepts binary packets, or armored text with one or more blocks (`cat a.asc b.asc`); returns binary
 * packets. What cannot be read is `code`: BAD_INPUT for what a user gives, or the code of the document
 * it comes from (KEYRING_INVALID, PACKAGE_MALFORMED).
 */
export async function toBinary(data: Uint8Array | string, what: string, code: Code = 'BAD_INPUT'): Promise<Uint8Array> {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  if (bytes.length > MAX_KEYRING_BYTES) {
    throw new PkgkeysError(code, `${what}: ${bytes.length} bytes is more than the ${MAX_KEYRING_BYTES} allowed for key material`);
  }
  const head = Buffer.from(bytes.subarray(0, 64)).toString('latin1');
  if (!head.trimStart().startsWith('-----BEGIN PGP')) return bytes;
  const text = Buffer.from(bytes).toString('utf8');
  const blocks = text.match(/^-----BEGIN PGP [A-Z ]+-----$[\s\S]*?^-----END PGP [A-Z ]+-----$/gm) ?? [];
  const parts: Uint8Array[] = [];
  for (const block of blocks) {
    try {
      parts.push((await openpgp.unarmor(block)).data as unknown as Uint8Array);
    } catch (cause) {
      throw new PkgkeysError(code, `${what}: not valid ASCII armor (${(cause as Error).message})`, { cause });
    }
  }
  if (parts.length === 0) throw new PkgkeysError(code, `${what}: armor header without a complete block`);
  return Buffer.concat(parts);
}

/**
 * Key material as found in files: certificates, and key revocations standing alone before them (a
 * revocation certificate, as `master init` and `gpg --gen-revoke` write them). A key revocation
 * anywhere else lands in the tree before it; `inspectAll` matches each to the key it revokes.
 */
export interface Material {
  trees: Tree[];
  loose: Sig[];
}

/** Parses every certificate in `data` (armored or binary, public or secret) into trees; `code` as for toBinary. */
export async function readTrees(data: Uint8Array | string, what: string, code: Code = 'BAD_INPUT'): Promise<Tree[]> {
  const { trees, loose } = await readMaterial(data, what, code);
  if (loose.length > 0) throw new PkgkeysError(code, `${what}: a revocation certificate, where a certificate was expected`);
  return trees;
}

/** Parses certificates and standalone key revocations (revocation certificates); `code` as for toBinary. */
export async function readMaterial(data: Uint8Array | string, what: string, code: Code = 'BAD_INPUT'): Promise<Material> {
  const binary = await toBinary(data, what, code);
  if (binary.length === 0) return { trees: [], loose: [] };
  try {
    const packets = await openpgp.PacketList.fromBinary(binary, KEY_PACKETS as never, PARSE_CONFIG);
    const first = packets.findIndex((p) => !(p instanceof openpgp.SignaturePacket));
    const leading = (first < 0 ? [...packets] : packets.slice(0, first)) as Sig[];
    const loose = leading.filter((sig) => sig.signatureType === openpgp.enums.signature.keyRevocation);
    if (loose.length !== leading.length) throw new Error('signatures other than key revocations before the first key');
    if (first < 0) return { trees: [], loose };
    const rest = new openpgp.PacketList<openpgp.AnyPacket>();
    rest.push(...packets.slice(first));
    const keys = await openpgp.readKeys({ binaryKeys: rest.write() as Uint8Array, config: PARSE_CONFIG });
    return { trees: keys.map(toTree), loose };
  } catch (cause) {
    throw new PkgkeysError(code, `${what}: not an OpenPGP certificate (${(cause as Error).message})`, { cause });
  }
}

function toTree(key: openpgp.Key): Tree {
  return {
    fingerprint: fingerprintOf(key.keyPacket),
    key: toPublic(key.keyPacket, openpgp.PublicKeyPacket),
    sigs: [...(key as KeyInternals).directSignatures, ...key.revocationSignatures],
    userIDs: key.users
      .filter((user) => user.userID !== null)
      .map((user) => ({ packet: user.userID!, sigs: [...user.selfCertifications, ...user.otherCertifications, ...user.revocationSignatures] })),
    subkeys: key.subkeys.map((subkey) => ({ packet: toPublic(subkey.keyPacket, openpgp.PublicSubkeyPacket), sigs: [...subkey.bindingSignatures, ...subkey.revocationSignatures] })),
  };
}

/** The full packet (header and body) as it goes on the wire or into a file. */
export function packetBytes(packet: openpgp.AnyPacket | PublicKey | PublicSubkey | Sig): Uint8Array {
  const list = new openpgp.PacketList<openpgp.AnyPacket>();
  list.push(packet as openpgp.AnyPacket);
  return list.write() as Uint8Array;
}

/** A secret key packet's public part: trees, and so keyrings, never hold secret material. */
function toPublic<P extends PublicKey | PublicSubkey>(packet: openpgp.AnyKeyPacket, Public: new () => P): P {
  if (packet instanceof Public && !(packet instanceof openpgp.SecretKeyPacket || packet instanceof openpgp.SecretSubkeyPacket)) return packet;
  const copy = new Public();
  copy.read(openpgp.PublicKeyPacket.prototype.write.call(packet));
  return copy;
}

/** The tree serialised in RFC 9580 §10.1 order, as binary packets. */
export function treeBytes(tree: Tree): Uint8Array {
  const parts: Uint8Array[] = [packetBytes(tree.key), ...tree.sigs.map(packetBytes)];
  for (const uid of tree.userIDs) parts.push(packetBytes(uid.packet), ...uid.sigs.map(packetBytes));
  for (const sub of tree.subkeys) parts.push(packetBytes(sub.packet), ...sub.sigs.map(packetBytes));
  return Buffer.concat(parts);
}

/**
 * Merges trees of the same fingerprint (from anchors, keyring files, imports) into one tree each,
 * keeping every distinct signature once, and attaches loose key revocations to the key their issuer
 * names (`inspectAll` then judges them for every key they may revoke). Order of first appearance is kept.
 */
export function mergeTrees(trees: Tree[], loose: Sig[] = []): Tree[] {
  const merged = mergeByFingerprint(trees);
  for (const sig of loose) {
    const named = sigIssuerFingerprint(sig);
    const target = merged.find((t) => (named ? t.fingerprint === named : keyIDOf(t.key) === sigIssuerKeyID(sig)));
    if (target) target.sigs = dedupe([...target.sigs, sig]);
  }
  return merged;
}

/**
 * Also merges within one tree: a User ID or subkey packet that appears twice is one User ID or subkey
 * (as gpg merges them), so no signature is judged apart from the others over the same packet.
 */
function mergeByFingerprint(trees: Tree[]): Tree[] {
  const byFingerprint = new Map<Fingerprint, Tree>();
  for (const tree of trees) {
    let into = byFingerprint.get(tree.fingerprint);
    if (!into) byFingerprint.set(tree.fingerprint, (into = { fingerprint: tree.fingerprint, key: tree.key, sigs: [], userIDs: [], subkeys: [] }));
    into.sigs = dedupe([...into.sigs, ...tree.sigs]);
    for (const uid of tree.userIDs) {
      const same = into.userIDs.find((u) => u.packet.userID === uid.packet.userID);
      if (same) same.sigs = dedupe([...same.sigs, ...uid.sigs]);
      else into.userIDs.push({ packet: uid.packet, sigs: dedupe(uid.sigs) });
    }
    for (const sub of tree.subkeys) {
      const same = into.subkeys.find((s) => fingerprintOf(s.packet) === fingerprintOf(sub.packet));
      if (same) same.sigs = dedupe([...same.sigs, ...sub.sigs]);
      else into.subkeys.push({ packet: sub.packet, sigs: dedupe(sub.sigs) });
    }
  }
  return [...byFingerprint.values()];
}

function dedupe(sigs: Sig[]): Sig[] {
  const seen = new Set<string>();
  return sigs.filter((sig) => {
    const id = Buffer.from(packetBytes(sig)).toString('base64');
    return seen.has(id) ? false : (seen.add(id), true);
  });
}

/** Parses one binary packet of any kind (a keyring file holds exactly one). */
export async function readPacket(bytes: Uint8Array, what: string): Promise<openpgp.AnyPacket> {
  let list: openpgp.PacketList<openpgp.AnyPacket>;
  try {
    // The typings say Map; the implementation takes a plain tag-to-class object.
    list = await openpgp.PacketList.fromBinary(bytes, KEY_PACKETS as never, PARSE_CONFIG);
  } catch (cause) {
    throw new PkgkeysError('KEYRING_INVALID', `${what}: unreadable packet (${(cause as Error).message})`, { cause });
  }
  if (list.length !== 1) {
    throw new PkgkeysError('KEYRING_INVALID', `${what}: expected exactly one OpenPGP packet, found ${list.length}`);
  }
  return list[0]!;
}

const KEY_PACKETS = Object.fromEntries(
  [openpgp.PublicKeyPacket, openpgp.PublicSubkeyPacket, openpgp.UserIDPacket, openpgp.UserAttributePacket, openpgp.SignaturePacket].map((c) => [c.tag, c]),
);

/**
 * ASCII armor with the CRC-24 line. RFC 9580 §6.1 makes it optional, but gpg 2.2 (Debian 12) cannot
 * read checksum-less armor whose data length is a multiple of 3 (GnuPG T7071).
 */
export function armor(kind: 'publicKey' | 'privateKey' | 'signature', bytes: Uint8Array): string {
  return openpgp.armor(openpgp.enums.armor[kind], bytes, undefined, undefined, undefined, true);
}
