/**
 * Signatures over data (RFC 9580 §5.2, types 0x00 binary and 0x01 text): made and checked with the data
 * hashed by the caller, in a stream, so a 40 MB index never becomes a JavaScript string (DESIGN.md §4:
 * OpenPGP.js' own cleartext path spends its time and memory there).
 *
 * pkgkeys writes the packet bytes itself because the layout matters: pkg_add's built-in verifier finds
 * the signer only through an Issuer Key ID subpacket in the hashed area, which OpenPGP.js never puts
 * there (DESIGN.md §4). The private-key operation is Node's (OpenSSL); checking is OpenPGP.js', on the
 * digest, as it does for streamed data.
 */
import {
  type Hash,
  type KeyObject,
  constants,
  createHash,
  createPrivateKey,
  privateEncrypt,
  sign as nodeSign,
} from 'node:crypto';
import * as openpgp from 'openpgp';
import { type Code, PkgkeysError } from '../errors';
import type { Fingerprint, HashName, KeyID } from '../model';
import { secondsBetween } from '../time';
import {
  type Sig,
  describePacket,
  fingerprintOf,
  hashName,
  keyIDOf,
  packetBytes,
  packetSpans,
  problemOf,
  sigExpires,
  sigIssuerFingerprint,
  sigIssuerKeyID,
  verifies,
} from './packets';

/** Feeds the signed data into the digest, in as many pieces as the caller likes. */
export type DataFeed = (hash: Hash) => void | Promise<void>;

export type SignatureKind = 'binary' | 'text';

export interface Notation {
  name: string;
  value: string;
}

export interface SignatureSpec {
  kind: SignatureKind;
  /** pkg_add verifies only SHA-1, SHA-256 and SHA-512 (DESIGN.md §4); SHA-1 is refused everywhere. */
  hash: 'sha256' | 'sha512';
  created: Date;
  /** Signature expiration (RFC 9580 §5.2.3.18); null: none. */
  expires: Date | null;
  notations: Notation[];
}

/** A signature over data, as pkgkeys reads it: what it claims, before anything is checked. */
export interface MessageSignature {
  kind: SignatureKind | 'other';
  hash: HashName;
  created: Date;
  expires: Date | null;
  issuerKeyID: KeyID;
  issuerFingerprint: Fingerprint | null;
  /** Notations from the hashed area; the unhashed area is not signed and is ignored. */
  notations: Notation[];
  /** Why the signature cannot count (an unknown critical subpacket, ...), or null. */
  problem: string | null;
  packet: Uint8Array;
}

const HASH_IDS = { sha256: openpgp.enums.hash.sha256, sha512: openpgp.enums.hash.sha512 } as const;
/** RFC 8017 §9.2 note 1: DER DigestInfo prefixes for EMSA-PKCS1-v1_5. */
const DIGEST_INFO = {
  sha256: Buffer.from('3031300d060960864801650304020105000420', 'hex'),
  sha512: Buffer.from('3051300d060960864801650304020305000440', 'hex'),
} as const;
/** Node's names for the hashes the policy may accept (lib/trust/policy.ts). */
const NODE_HASHES: Record<string, string> = {
  sha256: 'sha256',
  sha384: 'sha384',
  sha512: 'sha512',
  sha224: 'sha224',
  sha3_256: 'sha3-256',
  sha3_512: 'sha3-512',
  sha1: 'sha1',
};

/** RFC 9580 §5.2.3.1: a subpacket is its length (type included), its type, and its body. */
function subpacket(type: number, body: Uint8Array): Buffer {
  const length = body.length + 1;
  const header = length < 192 ? [length] : [((length - 192) >> 8) + 192, (length - 192) & 0xff];
  if (length >= 8384) throw new PkgkeysError('USAGE', `signature subpacket ${type} is too long (${body.length} bytes)`);
  return Buffer.concat([Buffer.from([...header, type]), body]);
}

const uint32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
};

/** RFC 9580 §5.2.3.24, human-readable flag set; never critical. */
function notation({ name, value }: Notation): Buffer {
  const n = Buffer.from(name, 'utf8');
  const v = Buffer.from(value, 'utf8');
  const lengths = Buffer.alloc(4);
  lengths.writeUInt16BE(n.length, 0);
  lengths.writeUInt16BE(v.length, 2);
  return subpacket(20, Buffer.concat([Buffer.from([0x80, 0, 0, 0]), lengths, n, v]));
}

/** RFC 9580 §3.2: a multiprecision integer without leading zero bits. */
function mpi(bytes: Uint8Array): Buffer {
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start++;
  const body = Buffer.from(bytes.subarray(start));
  const bits = (body.length - 1) * 8 + (body[0] === 0 ? 0 : Math.floor(Math.log2(body[0]!)) + 1);
  const header = Buffer.alloc(2);
  header.writeUInt16BE(bits);
  return Buffer.concat([header, body]);
}

/** An old-format packet header (RFC 9580 §4.2.2), as GnuPG writes signatures and every verifier reads them. */
function packet(tag: number, body: Buffer): Buffer {
  if (body.length < 256) return Buffer.concat([Buffer.from([0x80 | (tag << 2), body.length]), body]);
  if (body.length < 65536)
    return Buffer.concat([Buffer.from([0x80 | (tag << 2) | 1, body.length >> 8, body.length & 0xff]), body]);
  return Buffer.concat([Buffer.from([0x80 | (tag << 2) | 2]), uint32(body.length), body]);
}

/** RFC 9580 §5.2.4: v4 hashes the data, then the signature's hashed part, then 0x04 0xFF and that part's length. */
function finishDigest(hash: Hash, hashedPart: Uint8Array): Buffer {
  hash.update(hashedPart);
  hash.update(Buffer.from([0x04, 0xff]));
  hash.update(uint32(hashedPart.length));
  return hash.digest();
}

/** A secret key's signing half, as Node sees it: RSA (PKCS#1 v1.5) or Ed25519 ("legacy" EdDSA, algorithm 22). */
export interface Signer {
  fingerprint: Fingerprint;
  keyID: KeyID;
  algorithm: number;
  /** The signature's algorithm-specific part (RFC 9580 §5.2.3) for `digest`. */
  sign(digest: Buffer, hash: SignatureSpec['hash']): Buffer;
  /** The public key packet, to check what was signed. */
  publicKey: openpgp.PublicKeyPacket;
}

const b64url = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64url');
const big = (bytes: Uint8Array) => BigInt(`0x${Buffer.from(bytes).toString('hex') || '0'}`);
const bytesOf = (n: bigint) => {
  const hex = n.toString(16);
  return Buffer.from(hex.length % 2 ? `0${hex}` : hex, 'hex');
};
function modInverse(a: bigint, m: bigint): bigint {
  let [r0, r1, s0, s1] = [a % m, m, 1n, 0n];
  while (r1 !== 0n) {
    const q = r0 / r1;
    [r0, r1, s0, s1] = [r1, r0 - q * r1, s1, s0 - q * s1];
  }
  return ((s0 % m) + m) % m;
}

/** Node's private key for an unlocked OpenPGP secret key packet, or an error naming what cannot sign. */
export function signerOf(keyPacket: openpgp.SecretKeyPacket): Signer {
  const pub = keyPacket.publicParams as Record<string, Uint8Array>;
  const priv = keyPacket.privateParams as Record<string, Uint8Array> | null;
  const fingerprint = fingerprintOf(keyPacket);
  if (!priv) throw new PkgkeysError('NOT_SECRET_KEY', `key ${fingerprint}: the secret key is locked`);
  let key: KeyObject;
  let sign: Signer['sign'];
  const A = openpgp.enums.publicKey;
  if (keyPacket.algorithm === A.rsaEncryptSign || keyPacket.algorithm === A.rsaSign) {
    const [d, p, q] = [big(priv.d!), big(priv.p!), big(priv.q!)];
    key = createPrivateKey({
      format: 'jwk',
      key: {
        kty: 'RSA',
        n: b64url(pub.n!),
        e: b64url(pub.e!),
        d: b64url(priv.d!),
        p: b64url(priv.p!),
        q: b64url(priv.q!),
        dp: b64url(bytesOf(d % (p - 1n))),
        dq: b64url(bytesOf(d % (q - 1n))),
        qi: b64url(bytesOf(modInverse(q, p))),
      },
    });
    sign = (digest, hash) =>
      mpi(privateEncrypt({ key, padding: constants.RSA_PKCS1_PADDING }, Buffer.concat([DIGEST_INFO[hash], digest])));
  } else if (keyPacket.algorithm === A.eddsaLegacy) {
    key = createPrivateKey({
      format: 'jwk',
      key: { kty: 'OKP', crv: 'Ed25519', d: b64url(priv.seed!), x: b64url(pub.Q!.subarray(1)) },
    });
    sign = (digest) => {
      const rs = nodeSign(null, digest, key);
      return Buffer.concat([mpi(rs.subarray(0, 32)), mpi(rs.subarray(32))]);
    };
  } else {
    throw new PkgkeysError('USAGE', `key ${fingerprint}: only RSA and Ed25519 keys sign indexes and packages`);
  }
  const publicKey = new openpgp.PublicKeyPacket();
  publicKey.read(openpgp.PublicKeyPacket.prototype.write.call(keyPacket));
  return { fingerprint, keyID: keyIDOf(keyPacket), algorithm: keyPacket.algorithm, sign, publicKey };
}

/**
 * Makes a v4 signature packet over the data `feed` supplies. The hashed area holds creation time,
 * Issuer Key ID (for pkg_add), expiry, Issuer Fingerprint and the notations; the unhashed area is empty.
 * The result is checked before it is returned, so a faulty signature is never handed out.
 */
export async function signData(signer: Signer, spec: SignatureSpec, feed: DataFeed): Promise<Uint8Array> {
  const subpackets = [
    subpacket(2, uint32(Math.floor(spec.created.getTime() / 1000))),
    subpacket(16, Buffer.from(signer.keyID, 'hex')),
    ...(spec.expires ? [subpacket(3, uint32(secondsBetween(spec.created, spec.expires)))] : []),
    subpacket(33, Buffer.concat([Buffer.from([4]), Buffer.from(signer.fingerprint, 'hex')])),
    ...spec.notations.map(notation),
  ];
  const hashed = Buffer.concat(subpackets);
  const area = Buffer.alloc(2);
  area.writeUInt16BE(hashed.length);
  const hashedPart = Buffer.concat([
    Buffer.from([
      4,
      spec.kind === 'text' ? openpgp.enums.signature.text : openpgp.enums.signature.binary,
      signer.algorithm,
      HASH_IDS[spec.hash],
    ]),
    area,
    hashed,
  ]);
  const hash = createHash(spec.hash);
  await feed(hash);
  const digest = finishDigest(hash, hashedPart);
  const bytes = packet(
    2,
    Buffer.concat([hashedPart, Buffer.from([0, 0]), digest.subarray(0, 2), signer.sign(digest, spec.hash)]),
  );
  // Its own output: unreadable, it is as faulty as a signature that does not verify.
  const sig = await readMessageSignature(bytes, 'new signature', 'IO_ERROR');
  if (!(await verifyDigest(sig, signer.publicKey, digest))) {
    throw new PkgkeysError(
      'IO_ERROR',
      `key ${signer.fingerprint} made a signature that does not verify; nothing was written`,
    );
  }
  return bytes;
}

/** Parsed signature packets, kept beside the model so checking needs no second parse. */
const parsed = new WeakMap<MessageSignature, Sig>();

/**
 * Reads one v4 signature packet over data; anything else is `code`, the malformed code of the document
 * it comes from. Packets RFC 9580 says to ignore (Marker, Padding) are dropped by OpenPGP.js before the count.
 */
export async function readMessageSignature(bytes: Uint8Array, what: string, code: Code): Promise<MessageSignature> {
  const malformed = (problem: string, cause?: unknown) => new PkgkeysError(code, `${what}: ${problem}`, { cause });
  const { spans, problem } = packetSpans(bytes);
  if (problem) throw malformed(`expected one OpenPGP signature packet, but ${problem}`);
  let list: openpgp.PacketList<openpgp.AnyPacket>;
  try {
    list = await openpgp.PacketList.fromBinary(
      bytes,
      { [openpgp.SignaturePacket.tag]: openpgp.SignaturePacket } as never,
      {
        ...openpgp.config,
        ignoreMalformedPackets: false,
        ignoreUnsupportedPackets: true,
        enableParsingV5Entities: false,
      },
    );
  } catch (cause) {
    const alien = spans.find((s) => s.tag !== openpgp.SignaturePacket.tag);
    throw malformed(
      alien
        ? `expected one signature packet, found ${describePacket(alien)}`
        : 'expected one signature packet, but it is damaged',
      cause,
    );
  }
  const sig = list[0];
  if (list.length !== 1 || !(sig instanceof openpgp.SignaturePacket)) {
    throw malformed(
      `expected exactly one signature packet, found ${list.length} that pkgkeys reads${spans.length !== list.length ? ` (of ${spans.length} packets)` : ''}`,
    );
  }
  if (sig.version !== 4) throw malformed(`signature version ${sig.version}; only v4 is accepted`);
  const hash = hashName(sig.hashAlgorithm!);
  if (hash === null)
    throw malformed(
      `the signature names hash algorithm ${sig.hashAlgorithm}, which is not an OpenPGP hash algorithm (RFC 9580 §9.5)`,
    );
  // RFC 9580 §5.2.3.11: the creation time MUST be in the hashed area.
  if (!sig.created) throw malformed('the signature has no creation time');
  const T = openpgp.enums.signature;
  const model: MessageSignature = {
    kind: sig.signatureType === T.binary ? 'binary' : sig.signatureType === T.text ? 'text' : 'other',
    hash,
    created: sig.created!,
    expires: sigExpires(sig),
    issuerKeyID: sigIssuerKeyID(sig),
    issuerFingerprint: sigIssuerFingerprint(sig),
    // OpenPGP.js reads notations from the hashed area only (RFC 9580 §5.2.3.24's advice).
    notations: sig.rawNotations
      .filter((n) => n.humanReadable)
      .map((n) => ({ name: n.name, value: Buffer.from(n.value).toString('utf8') })),
    problem: problemOf(sig),
    packet: packetBytes(sig),
  };
  parsed.set(model, sig);
  return model;
}

/**
 * Whether `sig` is a valid signature by `key` (a key packet's bytes) over the data `feed` supplies.
 * Mathematics only: time, hash policy and the signer's standing are the caller's.
 */
export async function verifyData(sig: MessageSignature, key: Uint8Array, feed: DataFeed): Promise<boolean> {
  const hash = dataHash(sig.hash);
  if (!parsed.has(sig) || !hash) return false;
  const keyPacket = await readKeyPacket(key);
  await feed(hash);
  return verifyDigest(sig, keyPacket, finishDigest(hash, parsed.get(sig)!.signatureData!));
}

/**
 * A digest of data for a signature not read yet, by the hash's name: a cleartext read as it arrives is
 * hashed before its signature comes (RFC 9580 §7.1: the `Hash:` header names it first). Null when
 * Node has no such hash: no signature made with it can be checked.
 */
export function dataHash(name: string): Hash | null {
  const nodeHash = NODE_HASHES[name];
  return nodeHash ? createHash(nodeHash) : null;
}

/** verifyData for data already fed to `hash`, a dataHash(sig.hash) that nothing else has finished. */
export async function verifyHashed(sig: MessageSignature, key: Uint8Array, hash: Hash): Promise<boolean> {
  const packetSig = parsed.get(sig);
  if (!packetSig) return false;
  return verifyDigest(sig, await readKeyPacket(key), finishDigest(hash, packetSig.signatureData!));
}

function verifyDigest(
  sig: MessageSignature,
  key: openpgp.PublicKeyPacket | openpgp.PublicSubkeyPacket,
  digest: Buffer,
): Promise<boolean> {
  const packet = parsed.get(sig)!;
  return verifies(packet, key, packet.signatureType!, {}, digest);
}

async function readKeyPacket(bytes: Uint8Array): Promise<openpgp.PublicKeyPacket | openpgp.PublicSubkeyPacket> {
  const list = await openpgp.PacketList.fromBinary(
    bytes,
    {
      [openpgp.PublicKeyPacket.tag]: openpgp.PublicKeyPacket,
      [openpgp.PublicSubkeyPacket.tag]: openpgp.PublicSubkeyPacket,
    } as never,
    openpgp.config,
  );
  const key = list[0];
  if (!(key instanceof openpgp.PublicKeyPacket))
    throw new PkgkeysError('KEYRING_INVALID', 'expected a public key packet');
  return key;
}
