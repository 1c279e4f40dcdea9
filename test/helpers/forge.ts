/**
 * Material pkgkeys itself never makes, built with OpenPGP.js directly: weak algorithms, unknown
 * critical subpackets, signing subkeys. Tests only.
 */
import { type Hash, createHash } from 'node:crypto';
import * as openpgp from 'openpgp';
import { type RevocationReason, SCOPE_NOTATION } from '../../lib/model';
import { type Signer, SecretKey, armor, mergeTrees, packetBytes, readTrees, revokeKey, treeBytes } from '../../lib/pgp';
import { fixtureKey } from './keys';
import type { TestKey } from './world';
import { T0 } from './world';

/**
 * A key pkgkeys would not make: RSA-2048 (a fixture), an algorithm the policy refuses (RSA-1024), or
 * one with a signing subkey. The last two are made here, which takes milliseconds.
 */
export async function rawKey(
  name: string,
  options: { rsaBits?: number; signingSubkey?: boolean; created?: Date } = {},
): Promise<TestKey> {
  const userID = `${name} <${name}@pkgsrc.test>`;
  if (options.rsaBits === 2048 && !options.signingSubkey) {
    const fixture = await fixtureKey({
      role: name,
      type: 'rsa2048',
      userID,
      created: options.created ?? T0,
      expires: null,
    });
    return {
      name,
      fingerprint: fixture.fingerprint,
      userID,
      secret: await SecretKey.open(fixture.secret, null, name),
      secretArmored: fixture.secret,
      public: fixture.public,
    };
  }
  const made = await openpgp.generateKey({
    ...(options.rsaBits
      ? { type: 'rsa' as const, rsaBits: options.rsaBits }
      : { type: 'ecc' as const, curve: 'ed25519Legacy' as const }),
    userIDs: [{ name, email: `${name}@pkgsrc.test` }],
    date: options.created ?? T0,
    subkeys: options.signingSubkey ? [{ sign: true }] : [],
    format: 'object',
    config: { minRSABits: 512, v6Keys: false },
  });
  const secretArmored = made.privateKey.armor();
  return {
    name,
    fingerprint: made.privateKey.getFingerprint().toUpperCase(),
    userID,
    secret: await SecretKey.open(secretArmored, null, name),
    secretArmored,
    public: made.publicKey.armor(),
  };
}

export function subkeyFingerprints(key: TestKey): Promise<string[]> {
  return openpgp
    .readKey({ armoredKey: key.public })
    .then((k) => k.subkeys.map((s) => s.getFingerprint().toUpperCase()));
}

/**
 * A certification of `target` by `signer` with full control of the packet: hash algorithm, extra
 * hashed subpackets (raw, after the standard ones), notations. Returns the target certificate with it.
 */
export async function forgeCertification(
  signer: TestKey,
  target: TestKey,
  options: {
    hash?: 'sha1' | 'sha256' | 'sha512';
    created: Date;
    expires?: Date;
    scopes?: string[];
    extraSubpacket?: { type: number; critical: boolean };
    criticalNotation?: string;
    trust?: { depth: number; amount: number };
  },
): Promise<string> {
  const signerKey = await openpgp.readPrivateKey({
    armoredKey: (signer.secret as unknown as { key: openpgp.PrivateKey }).key.armor(),
  });
  const targetKey = await openpgp.readKey({ armoredKey: target.public });
  const user = targetKey.users[0]!;
  const sig = new openpgp.SignaturePacket();
  sig.signatureType = openpgp.enums.signature.certGeneric;
  sig.publicKeyAlgorithm = signerKey.keyPacket.algorithm;
  sig.hashAlgorithm = openpgp.enums.hash[options.hash ?? 'sha512'];
  if (options.expires) {
    sig.signatureExpirationTime = Math.round((options.expires.getTime() - options.created.getTime()) / 1000);
    sig.signatureNeverExpires = false;
  }
  if (options.trust) ((sig.trustLevel = options.trust.depth), (sig.trustAmount = options.trust.amount));
  sig.rawNotations = (options.scopes ?? ['NetBSD/**']).map((s) => ({
    name: SCOPE_NOTATION,
    value: Buffer.from(s),
    humanReadable: true,
    critical: false,
  }));
  if (options.criticalNotation)
    sig.rawNotations.push({
      name: options.criticalNotation,
      value: Buffer.from('x'),
      humanReadable: true,
      critical: true,
    });
  const extra = options.extraSubpacket;
  if (extra) {
    const write = (openpgp.SignaturePacket.prototype as unknown as { writeHashedSubPackets: () => Uint8Array })
      .writeHashedSubPackets;
    (sig as unknown as { writeHashedSubPackets: () => Uint8Array }).writeHashedSubPackets = function (
      this: openpgp.SignaturePacket,
    ) {
      const standard = write.call(this);
      const added = Buffer.from([2, (extra.critical ? 0x80 : 0) | extra.type, 0]);
      const length = ((standard[0]! << 8) | standard[1]!) + added.length;
      return Buffer.concat([Buffer.from([length >> 8, length & 0xff]), standard.subarray(2), added]);
    };
  }
  await (
    sig.sign as unknown as (k: unknown, d: object, date: Date, detached: boolean, c: openpgp.Config) => Promise<void>
  ).call(sig, signerKey.keyPacket, { userID: user.userID, key: targetKey.keyPacket }, options.created, false, {
    ...openpgp.config,
    rejectHashAlgorithms: new Set<openpgp.enums.hash>(),
    minRSABits: 512,
    nonDeterministicSignaturesViaNotation: false,
  });
  user.otherCertifications.push(sig);
  return targetKey.armor();
}

const privateOf = (key: TestKey) =>
  openpgp.readPrivateKey({ armoredKey: (key.secret as unknown as { key: openpgp.PrivateKey }).key.armor() });

/** The key holder revokes its own (first) User ID: a 0x30 self-signature. */
export async function revokeUserID(key: TestKey, at: Date): Promise<string> {
  const own = await privateOf(key);
  const user = own.users[0]!;
  const sig = new openpgp.SignaturePacket();
  sig.signatureType = openpgp.enums.signature.certRevocation;
  sig.publicKeyAlgorithm = own.keyPacket.algorithm;
  sig.hashAlgorithm = openpgp.enums.hash.sha512;
  sig.reasonForRevocationFlag = openpgp.enums.reasonForRevocation.userIDInvalid;
  sig.reasonForRevocationString = 'gone';
  await (
    sig.sign as unknown as (k: unknown, d: object, date: Date, detached: boolean, c: openpgp.Config) => Promise<void>
  ).call(sig, own.keyPacket, { userID: user.userID, key: own.keyPacket }, at, false, openpgp.config);
  user.revocationSignatures.push(sig);
  return own.toPublic().armor();
}

/** `target`'s certificate with `donor`'s signing subkey and its binding (made by the donor) attached. */
export async function graftSubkey(donor: TestKey, target: TestKey): Promise<string> {
  const from = await openpgp.readKey({ armoredKey: donor.public });
  const into = await openpgp.readKey({ armoredKey: target.public });
  const list = new openpgp.PacketList<openpgp.AnyPacket>();
  for (const p of into.toPacketList()) list.push(p);
  for (const p of (from.subkeys[0] as unknown as { toPacketList(): openpgp.AnyPacket[] }).toPacketList()) list.push(p);
  return openpgp.armor(openpgp.enums.armor.publicKey, list.write());
}

/**
 * The certificate of `fingerprint`, merged from `material`, rewritten with its (first) User ID packet
 * twice: the signatures `second` picks go under the second copy, the others stay under the first.
 */
export async function splitUserID(
  material: readonly string[],
  fingerprint: string,
  second: (sig: openpgp.SignaturePacket) => boolean,
): Promise<string> {
  const trees = [];
  for (const m of material) trees.push(...(await readTrees(m, 'test material')));
  const tree = mergeTrees(trees).find((t) => t.fingerprint === fingerprint)!;
  const [uid, ...rest] = tree.userIDs;
  const copies = [
    { packet: uid!.packet, sigs: uid!.sigs.filter((s) => !second(s)) },
    { packet: uid!.packet, sigs: uid!.sigs.filter(second) },
  ];
  return armor('publicKey', treeBytes({ ...tree, userIDs: [...copies, ...rest] }));
}

/** A revocation certificate: `key`'s key revocation (0x20) alone, armored as gpg --gen-revoke writes one. */
export async function revocationCertificate(key: TestKey, reason: RevocationReason, at: Date): Promise<string> {
  const [tree] = await readTrees(
    await revokeKey(key.secret, { reason, text: `test: ${reason}`, created: at }),
    'revoked key',
  );
  return armor(
    'publicKey',
    packetBytes(tree!.sigs.find((s) => s.signatureType === openpgp.enums.signature.keyRevocation)!),
  );
}

/** `certificate` with a new direct-key self-signature (0x1F) made at `at` by `secretArmored`, naming no revoker, setting the key's expiry to `expires` if given. */
export async function addDirectSignature(
  secretArmored: string,
  certificate: string,
  at: Date,
  expires: Date | null = null,
): Promise<string> {
  const own = await openpgp.readPrivateKey({ armoredKey: secretArmored });
  const target = await openpgp.readKey({ armoredKey: certificate });
  const sig = new openpgp.SignaturePacket();
  sig.signatureType = openpgp.enums.signature.key;
  sig.publicKeyAlgorithm = own.keyPacket.algorithm;
  sig.hashAlgorithm = openpgp.enums.hash.sha512;
  if (expires) sig.keyExpirationTime = Math.round((expires.getTime() - own.keyPacket.created.getTime()) / 1000);
  await (
    sig.sign as unknown as (k: unknown, d: object, date: Date, detached: boolean, c: openpgp.Config) => Promise<void>
  ).call(sig, own.keyPacket, { key: own.keyPacket }, at, false, openpgp.config);
  (target as unknown as { directSignatures: openpgp.SignaturePacket[] }).directSignatures.push(sig);
  return target.armor();
}

/**
 * `key`'s certificate (from `rawKey` with a signing subkey) with the subkey's binding replaced by one
 * made at `at`: SHA-256, flagged for signing, with an embedded 0x19 back-signature made with `backHash`.
 */
export async function rebindSubkey(key: TestKey, backHash: 'md5' | 'sha1' | 'sha256', at: Date): Promise<string> {
  const own = await privateOf(key);
  const subkey = own.subkeys[0]!;
  const data = { key: own.keyPacket, bind: subkey.keyPacket };
  const sign = (sig: openpgp.SignaturePacket, signer: unknown) =>
    (
      sig.sign as unknown as (k: unknown, d: object, date: Date, detached: boolean, c: openpgp.Config) => Promise<void>
    ).call(sig, signer, data, at, false, {
      ...openpgp.config,
      rejectHashAlgorithms: new Set<openpgp.enums.hash>(),
      minRSABits: 512,
      nonDeterministicSignaturesViaNotation: false,
    });
  const back = new openpgp.SignaturePacket();
  back.signatureType = openpgp.enums.signature.keyBinding;
  back.publicKeyAlgorithm = subkey.keyPacket.algorithm;
  back.hashAlgorithm = openpgp.enums.hash[backHash];
  await sign(back, subkey.keyPacket);
  const binding = new openpgp.SignaturePacket();
  binding.signatureType = openpgp.enums.signature.subkeyBinding;
  binding.publicKeyAlgorithm = own.keyPacket.algorithm;
  binding.hashAlgorithm = openpgp.enums.hash.sha256;
  binding.keyFlags = new Uint8Array([openpgp.enums.keyFlags.signData]);
  binding.embeddedSignature = back;
  await sign(binding, own.keyPacket);
  subkey.bindingSignatures = [binding];
  return own.toPublic().armor();
}

/**
 * `thief`'s certificate with `owner`'s (first) subkey bound to it by the thief's own binding, flagged
 * for signing: what anyone can make, since only the back-signature needs the subkey's secret.
 */
export async function stealSubkey(owner: TestKey, thief: TestKey): Promise<string> {
  const subkey = (await openpgp.readKey({ armoredKey: owner.public })).subkeys[0]!.keyPacket;
  const own = await privateOf(thief);
  const binding = new openpgp.SignaturePacket();
  binding.signatureType = openpgp.enums.signature.subkeyBinding;
  binding.publicKeyAlgorithm = own.keyPacket.algorithm;
  binding.hashAlgorithm = openpgp.enums.hash.sha512;
  binding.keyFlags = new Uint8Array([openpgp.enums.keyFlags.signData]);
  await (
    binding.sign as unknown as (
      k: unknown,
      d: object,
      date: Date,
      detached: boolean,
      c: openpgp.Config,
    ) => Promise<void>
  ).call(binding, own.keyPacket, { key: own.keyPacket, bind: subkey }, T0, false, openpgp.config);
  const list = new openpgp.PacketList<openpgp.AnyPacket>();
  list.push(...own.toPublic().toPacketList(), subkey, binding);
  return openpgp.armor(openpgp.enums.armor.publicKey, list.write());
}

/** `owner`'s (first) subkey made into a primary key packet with a User ID and no self-signature. */
export async function subkeyAsPrimary(owner: TestKey): Promise<string> {
  const subkey = (await openpgp.readKey({ armoredKey: owner.public })).subkeys[0]!.keyPacket;
  const primary = new openpgp.PublicKeyPacket();
  primary.read(subkey.write());
  const list = new openpgp.PacketList<openpgp.AnyPacket>();
  list.push(primary, openpgp.UserIDPacket.fromObject({ name: 'impostor', email: 'impostor@pkgsrc.test' }));
  return openpgp.armor(openpgp.enums.armor.publicKey, list.write());
}

/** Where a subpacket goes in a hand-laid signature: 2 creation time, 16 Issuer Key ID, 33 Issuer Fingerprint (RFC 9580 §5.2.3). */
export type LaidSubpacket = 2 | 16 | 33;

export interface SignatureLayout {
  version?: number;
  /** Public-key algorithm number (default the signer's). */
  algorithm?: number;
  hash?: 'sha1' | 'sha224' | 'sha256' | 'sha384' | 'sha512';
  /** Default [2, 16, 33]: what lib/pgp/signature.ts writes. */
  hashed?: LaidSubpacket[];
  unhashed?: LaidSubpacket[];
  /** The Issuer Key ID written (default the signer's). */
  keyID?: string;
  kind?: 'binary' | 'text';
  created?: Date;
}

/** GnuPG >= 2.1's layout: Issuer Fingerprint and creation time hashed, the Issuer Key ID unhashed. */
export const GNUPG2_LAYOUT: SignatureLayout = { hashed: [33, 2], unhashed: [16] };

/**
 * A signature over the data `feed` supplies with its packet laid out by hand, to break one of
 * pkg_add's rules at a time (lib/pkgsrc/pkg-add.ts). Cryptographically valid for a v4 signature
 * with SHA-256 or SHA-512 by the signer's own algorithm; for anything else only the layout is real.
 */
export async function laidOutSignature(
  signer: Signer,
  feed: (hash: Hash) => void | Promise<void>,
  layout: SignatureLayout = {},
): Promise<Uint8Array> {
  const hashName = layout.hash ?? 'sha512';
  const created = Math.floor((layout.created ?? T0).getTime() / 1000);
  const body = (type: LaidSubpacket) =>
    type === 2
      ? Buffer.from([0, 0, 0, 0].map((_, i) => (created >>> (24 - 8 * i)) & 0xff))
      : type === 16
        ? Buffer.from(layout.keyID ?? signer.keyID, 'hex')
        : Buffer.concat([Buffer.from([4]), Buffer.from(signer.fingerprint, 'hex')]);
  const area = (types: LaidSubpacket[]) => {
    const data = Buffer.concat(types.map((t) => Buffer.concat([Buffer.from([body(t).length + 1, t]), body(t)])));
    return Buffer.concat([Buffer.from([data.length >> 8, data.length & 0xff]), data]);
  };
  const hashIDs = { sha1: 2, sha256: 8, sha384: 9, sha512: 10, sha224: 11 } as const;
  const hashedPart = Buffer.concat([
    Buffer.from([
      layout.version ?? 4,
      layout.kind === 'text' ? 1 : 0,
      layout.algorithm ?? signer.algorithm,
      hashIDs[hashName],
    ]),
    area(layout.hashed ?? [2, 16, 33]),
  ]);
  const hash = createHash(hashName);
  await feed(hash);
  hash
    .update(hashedPart)
    .update(Buffer.from([4, 0xff]))
    .update(Buffer.from([0, 0, 0, 0].map((_, i) => (hashedPart.length >>> (24 - 8 * i)) & 0xff)));
  const digest = hash.digest();
  const real =
    (layout.version ?? 4) === 4 &&
    (layout.algorithm ?? signer.algorithm) === signer.algorithm &&
    (hashName === 'sha256' || hashName === 'sha512');
  const mpis = real
    ? signer.sign(digest, hashName as 'sha256' | 'sha512')
    : Buffer.from([0x08, 0x00, ...createHash('sha256').update(digest).digest()]);
  const packetBody = Buffer.concat([hashedPart, area(layout.unhashed ?? []), digest.subarray(0, 2), mpis]);
  const length = packetBody.length;
  return Buffer.concat([Buffer.from([0x89, length >> 8, length & 0xff]), packetBody]);
}
