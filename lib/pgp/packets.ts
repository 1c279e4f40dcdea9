/**
 * Reading and writing OpenPGP packets. Certificates are handled as packet trees (the primary key, its
 * User IDs and subkeys, each with the signatures over it) rather than as openpgp.Key objects: Key
 * methods judge validity at a time and cache it, which is pkgkeys' job (DESIGN.md §4).
 */
import * as openpgp from 'openpgp';
import { type Code, PkgkeysError } from '../errors';
import { MAX_KEYRING_BYTES } from '../limits';
import { type Fingerprint, type HashName, type KeyID, REPOSITORY_NOTATION, SCOPE_NOTATION } from '../model';

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

/** Strict parsing: a malformed packet is an error, never silently dropped. */
const PARSE_CONFIG = {
  ...openpgp.config,
  ignoreMalformedPackets: false,
  ignoreUnsupportedPackets: true,
  enableParsingV5Entities: false,
};

/** RFC 9580 §9.5: hash algorithm IDs and their text names (as `Hash:` armor headers write them). */
const HASH_TEXT_NAMES: Record<number, string> = {
  1: 'MD5',
  2: 'SHA1',
  3: 'RIPEMD160',
  8: 'SHA256',
  9: 'SHA384',
  10: 'SHA512',
  11: 'SHA224',
  12: 'SHA3-256',
  14: 'SHA3-512',
};
/** pkgkeys' name of a hash (lib/trust/policy.ts) from its text name: "SHA3-256" is sha3_256. */
export const hashNameOfText = (text: string): HashName => text.toLowerCase().replace('-', '_');
/** pkgkeys' name of the hash with this ID, or null for an ID RFC 9580 does not define. */
export const hashName = (id: number): HashName | null =>
  HASH_TEXT_NAMES[id] === undefined ? null : hashNameOfText(HASH_TEXT_NAMES[id]);
/** Whether `text` is the text name of an OpenPGP hash algorithm. */
export const isHashTextName = (text: string): boolean => Object.values(HASH_TEXT_NAMES).includes(text);

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
  const notation = sig.rawNotations.find(
    (n) => n.critical && n.name !== SCOPE_NOTATION && n.name !== REPOSITORY_NOTATION,
  );
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
export async function verifies(
  sig: Sig,
  key: PublicKey | PublicSubkey,
  type: openpgp.enums.signature,
  data: object,
  digest?: Uint8Array,
): Promise<boolean> {
  const view: Sig = Object.assign(Object.create(Object.getPrototypeOf(sig)), sig, {
    unknownSubpackets: [],
    rawNotations: [],
    revocationKeyClass: null,
    ...(digest ? { hashed: digest } : {}),
  });
  try {
    await view.verify(key, type, data, null as unknown as Date, false, VERIFY_CONFIG);
    return true;
  } catch {
    return false;
  }
}

/**
 * Key material or a signature as binary packets. Accepts binary packets, or text with one or more
 * armored blocks (`cat a.asc b.asc`), with any text around them: a fingerprint or `gpg --list-keys`
 * output pasted above a key, as web pages and mail show keys (gpg and sq read those too). The packets'
 * framing is checked here, so that what cannot be OpenPGP is refused in pkgkeys' words: `code`, BAD_INPUT
 * for what a user gives, or the code of the document it comes from (KEYRING_INVALID, PACKAGE_MALFORMED).
 */
export async function toBinary(data: Uint8Array | string, what: string, code: Code = 'BAD_INPUT'): Promise<Uint8Array> {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  if (bytes.length > MAX_KEYRING_BYTES) {
    throw new PkgkeysError(
      code,
      `${what}: ${bytes.length} bytes is more than the ${MAX_KEYRING_BYTES} allowed for key material`,
    );
  }
  const binary = isBinary(bytes) ? bytes : unarmorAll(Buffer.from(bytes).toString('utf8'), what, code);
  checkFraming(binary, what, code);
  return binary;
}

/** RFC 9580 §4.2: a packet header's first octet has bit 7 set; text (ASCII, or UTF-8 after a byte order mark) never starts so. */
const isBinary = (bytes: Uint8Array) =>
  bytes.length === 0 || ((bytes[0]! & 0x80) !== 0 && !(bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf));

function unarmorAll(text: string, what: string, code: Code): Buffer {
  const blocks = [
    ...text.matchAll(/^-----BEGIN PGP ([A-Z ]+)-----[ \t\r]*\n([\s\S]*?)^-----END PGP \1-----[ \t\r]*$/gm),
  ];
  if (blocks.length === 0) {
    const first = text.split('\n').find((line) => line.trim() !== '') ?? '';
    throw new PkgkeysError(
      code,
      `${what}: expected OpenPGP key material, binary or ASCII-armored ("-----BEGIN PGP PUBLIC KEY BLOCK-----" to "-----END PGP PUBLIC KEY BLOCK-----"), ` +
        `found text without a complete armored block${first ? ` (first line "${first.trim().slice(0, 60)}")` : ''}`,
    );
  }
  return Buffer.concat(
    blocks.map((block) => {
      try {
        return dearmor(block[2]!.split('\n'));
      } catch (error) {
        throw new PkgkeysError(
          code,
          `${what}: the armored block "-----BEGIN PGP ${block[1]}-----" is damaged: ${(error as Error).message}`,
          { cause: error },
        );
      }
    }),
  );
}

/**
 * RFC 9580 §6.2: the lines of an armored block between its BEGIN and END lines: armor headers, an
 * empty line, base64, and an optional CRC-24 line ("=" and 4 base64 characters), which must match.
 * Trailing white space, which mail and web pages add, is ignored. Throws an Error saying what is wrong.
 */
export function dearmor(block: string[]): Buffer {
  const lines = block.map((line) => line.replace(/[ \t\r]+$/, ''));
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  let i = 0;
  for (; i < lines.length && lines[i] !== ''; i++) {
    if (!/^[A-Za-z][A-Za-z0-9-]*: /.test(lines[i]!))
      throw new Error(`expected armor headers ("Name: value") and an empty line, found "${lines[i]!.slice(0, 60)}"`);
  }
  const body = lines.slice(i + 1);
  const crc = body.length > 0 && body[body.length - 1]!.startsWith('=') ? body.pop()! : null;
  const base64 = body.join('');
  if (base64.length === 0 || base64.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(base64))
    throw new Error('the armor is not valid base64');
  const bytes = Buffer.from(base64, 'base64');
  if (crc !== null && !/^=[A-Za-z0-9+/]{4}$/.test(crc))
    throw new Error(`the armor checksum line must be "=" and 4 base64 characters, found "${crc.slice(0, 60)}"`);
  if (crc !== null && Buffer.from(crc.slice(1), 'base64').readUIntBE(0, 3) !== crc24(bytes))
    throw new Error('the armor checksum does not match');
  return bytes;
}

/** RFC 9580 §6.1. */
function crc24(bytes: Uint8Array): number {
  let crc = 0xb704ce;
  for (const byte of bytes) {
    crc ^= byte << 16;
    for (let i = 0; i < 8; i++) {
      crc <<= 1;
      if (crc & 0x1000000) crc ^= 0x1864cfb;
    }
  }
  return crc & 0xffffff;
}

/** RFC 9580 §5 packet types, named for messages. */
const PACKET_NAMES: Record<number, string> = {
  1: 'an encrypted session key',
  2: 'a signature',
  3: 'an encrypted session key',
  4: 'a one-pass signature',
  5: 'a secret key',
  6: 'a public key',
  7: 'a secret subkey',
  8: 'compressed data',
  9: 'encrypted data',
  10: 'a marker',
  11: 'literal data',
  12: 'a trust packet',
  13: 'a User ID',
  14: 'a public subkey',
  17: 'a user attribute',
  18: 'encrypted data',
  19: 'a modification detection code',
  20: 'encrypted data',
  21: 'padding',
};
const packetName = (tag: number) => PACKET_NAMES[tag] ?? `a packet of unknown type ${tag}`;
export const describePacket = (span: PacketSpan) => `${packetName(span.tag)} packet at byte ${span.start}`;
/** What certificates and signatures are made of, and what RFC 9580 §5 says to ignore (marker, trust, padding; unknown types 40-63). */
const MATERIAL_TAGS: ReadonlySet<number> = new Set([2, 6, 13, 14, 17, 10, 12, 21]);

export interface PacketSpan {
  tag: number;
  /** Offsets of the header and of the end of the body. */
  start: number;
  end: number;
}

/** The packets' headers (RFC 9580 §4.2), without looking inside; stops at the first that is not one. */
export function packetSpans(bytes: Uint8Array): { spans: PacketSpan[]; problem: string | null } {
  const spans: PacketSpan[] = [];
  for (let at = 0; at < bytes.length;) {
    const first = bytes[at]!;
    const where = `at byte ${at}`;
    if ((first & 0x80) === 0) return { spans, problem: `the bytes ${where} are not an OpenPGP packet header` };
    const modern = (first & 0x40) !== 0;
    const tag = modern ? first & 0x3f : (first >> 2) & 0x0f;
    const lengthType = modern ? bytes[at + 1] : first & 0x03;
    if (lengthType === undefined)
      return { spans, problem: `the data ends inside the header of ${packetName(tag)} packet ${where}` };
    let size: number;
    let header: number;
    if (!modern && lengthType === 3)
      [size, header] = [bytes.length - at - 1, 1]; // indeterminate: to the end
    else if (!modern) [header, size] = [1 + (1 << lengthType), readLength(bytes, at + 1, 1 << lengthType)];
    else if (lengthType < 192) [header, size] = [2, lengthType];
    else if (lengthType < 224) [header, size] = [3, ((lengthType - 192) << 8) + (bytes[at + 2] ?? NaN) + 192];
    else if (lengthType === 255) [header, size] = [6, readLength(bytes, at + 2, 4)];
    else
      return {
        spans,
        problem: `${packetName(tag)} packet ${where} has a partial body length, which only message data uses`,
      };
    if (!(at + header + size <= bytes.length)) {
      return {
        spans,
        problem: `${packetName(tag)} packet ${where} is cut short: the data ends before the ${Number.isNaN(size) ? '' : `${size} bytes `}its header announces`,
      };
    }
    spans.push({ tag, start: at, end: at + header + size });
    at += header + size;
  }
  return { spans, problem: null };
}

const readLength = (bytes: Uint8Array, at: number, width: number) =>
  at + width <= bytes.length ? Buffer.from(bytes.subarray(at, at + width)).readUIntBE(0, width) : NaN;

/** Refuses what is not a sequence of whole packets of key material or signatures, and secret keys. */
function checkFraming(binary: Uint8Array, what: string, code: Code): void {
  const { spans, problem } = packetSpans(binary);
  if (problem) throw new PkgkeysError(code, `${what}: expected OpenPGP packets, but ${problem}`);
  const secret = spans.find((s) => s.tag === 5 || s.tag === 7);
  if (secret) {
    throw new PkgkeysError(
      code,
      `${what}: this is a secret key; give its public certificate instead (\`gpg --export --armor KEY\`, or the public .asc written beside the secret key)`,
    );
  }
  const alien = spans.find((s) => !MATERIAL_TAGS.has(s.tag) && s.tag < 40);
  if (alien) {
    throw new PkgkeysError(
      code,
      `${what}: expected certificates or signatures, found ${describePacket(alien)}: not key material (an encrypted or signed message?)`,
    );
  }
}

/**
 * Why OpenPGP.js could not read `binary` (well framed, by toBinary), in pkgkeys' words: the first
 * packet that does not parse on its own, or else the order of the packets. For messages; the upstream
 * error goes in as the cause.
 */
export async function unreadable(binary: Uint8Array, expected: string): Promise<string> {
  const { spans } = packetSpans(binary);
  for (const [i, span] of spans.entries()) {
    const packet = `${describePacket(span)} (packet ${i + 1})`;
    try {
      const read = await openpgp.PacketList.fromBinary(
        binary.subarray(span.start, span.end),
        KEY_PACKETS as never,
        PARSE_CONFIG,
      );
      // A packet of a version or algorithm OpenPGP.js does not support is kept unparsed, not refused.
      if (read.some((p) => p instanceof openpgp.UnparseablePacket))
        return `expected ${expected}, but ${packet} is of a version or algorithm pkgkeys does not read`;
    } catch {
      return `expected ${expected}, but ${packet} is damaged`;
    }
  }
  const found = spans
    .slice(0, 8)
    .map((s) => packetName(s.tag).replace(/^an? /, ''))
    .join(', ');
  return `expected ${expected}, but the packets are not in an order that makes them (found ${found}${spans.length > 8 ? ', ...' : ''})`;
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
  if (loose.length > 0)
    throw new PkgkeysError(code, `${what}: a revocation certificate, where a certificate was expected`);
  return trees;
}

/** Parses certificates and standalone key revocations (revocation certificates); `code` as for toBinary. */
export async function readMaterial(
  data: Uint8Array | string,
  what: string,
  code: Code = 'BAD_INPUT',
): Promise<Material> {
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
    throw new PkgkeysError(code, `${what}: ${await unreadable(binary, 'OpenPGP certificates')}`, { cause });
  }
}

function toTree(key: openpgp.Key): Tree {
  return {
    fingerprint: fingerprintOf(key.keyPacket),
    key: toPublic(key.keyPacket, openpgp.PublicKeyPacket),
    sigs: [...(key as KeyInternals).directSignatures, ...key.revocationSignatures],
    userIDs: key.users
      .filter((user) => user.userID !== null)
      .map((user) => ({
        packet: user.userID!,
        sigs: [...user.selfCertifications, ...user.otherCertifications, ...user.revocationSignatures],
      })),
    subkeys: key.subkeys.map((subkey) => ({
      packet: toPublic(subkey.keyPacket, openpgp.PublicSubkeyPacket),
      sigs: [...subkey.bindingSignatures, ...subkey.revocationSignatures],
    })),
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
  if (
    packet instanceof Public &&
    !(packet instanceof openpgp.SecretKeyPacket || packet instanceof openpgp.SecretSubkeyPacket)
  )
    return packet;
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
    if (!into)
      byFingerprint.set(
        tree.fingerprint,
        (into = { fingerprint: tree.fingerprint, key: tree.key, sigs: [], userIDs: [], subkeys: [] }),
      );
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
    throw new PkgkeysError('KEYRING_INVALID', `${what}: ${await unreadable(bytes, 'one OpenPGP packet')}`, { cause });
  }
  if (list.length !== 1) {
    throw new PkgkeysError('KEYRING_INVALID', `${what}: expected exactly one OpenPGP packet, found ${list.length}`);
  }
  return list[0]!;
}

const KEY_PACKETS = Object.fromEntries(
  [
    openpgp.PublicKeyPacket,
    openpgp.PublicSubkeyPacket,
    openpgp.UserIDPacket,
    openpgp.UserAttributePacket,
    openpgp.SignaturePacket,
  ].map((c) => [c.tag, c]),
);

/**
 * ASCII armor with the CRC-24 line. RFC 9580 §6.1 makes it optional, but gpg 2.2 (Debian 12) cannot
 * read checksum-less armor whose data length is a multiple of 3 (GnuPG T7071).
 */
export function armor(kind: 'publicKey' | 'privateKey' | 'signature', bytes: Uint8Array): string {
  return openpgp.armor(openpgp.enums.armor[kind], bytes, undefined, undefined, undefined, true);
}
