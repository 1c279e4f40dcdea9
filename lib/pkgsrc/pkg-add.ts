/**
 * What pkg_add's built-in verifier (netpgpverify, in pkg_install) accepts, in one place: every
 * signature pkgkeys writes for pkg_add or pkg_admin (a signed package's +PKG_GPG_SIGNATURE, the
 * pkg-vulnerabilities signature) is checked against it before it is written, so that a change of
 * packet layout cannot ship unnoticed. A signing tool that moved the Issuer Key ID out of the hashed
 * area once made every client's pkg_add refuse every package ("Signature key id ... not found",
 * TritonDataCenter/pkgsrc#409). DESIGN.md §4 has the facts; read from the bytes, not through
 * OpenPGP.js, which would accept every layout:
 *
 *  - one signature packet, version 4 (RFC 9580 §5.2.3);
 *  - public-key algorithm RSA (1, RFC 9580 §9.1): the only one pkgkeys' exports give pkg_add;
 *  - hash SHA-1, SHA-256 or SHA-512 (2, 8, 10, RFC 9580 §9.5): netpgpverify knows no SHA-224 or SHA-384;
 *  - an Issuer Key ID subpacket (16, RFC 9580 §5.2.3.12) in the hashed area, naming the signing key,
 *    before any Issuer Fingerprint (33): netpgpverify finds the signer there, and otherwise only at
 *    the fixed offset of GnuPG 1.x's layout;
 *  - for a signed package, blocks of at least 1024 bytes whose size does not divide the package's
 *    (pkgAddRefusal: pkg_add reads `size % block size` bytes for the last block).
 */
import { PkgkeysError } from '../errors';
import type { KeyID } from '../model';
import { pkgAddRefusal } from './signed-package';

const SIGNATURE_TAG = 2;
const RSA = 1;
const HASHES: Record<number, string> = {
  1: 'MD5',
  2: 'SHA-1',
  3: 'RIPEMD-160',
  8: 'SHA-256',
  9: 'SHA-384',
  10: 'SHA-512',
  11: 'SHA-224',
  12: 'SHA3-256',
  14: 'SHA3-512',
};
const PKG_ADD_HASHES = new Set([2, 8, 10]);
const ISSUER_KEY_ID = 16;
const ISSUER_FINGERPRINT = 33;

export interface PkgAddSignature {
  /** The signature, binary (dearmored). */
  signature: Uint8Array;
  /** The key pkg_add must find in its keyring, the signer's key ID; absent for a signature made elsewhere (see issuerKeyID). */
  keyID?: KeyID;
  /** For a signed package: its size and the block size of its +PKG_HASH. */
  blocks?: { size: number; blockSize: number };
}

/** Every reason pkg_add would refuse the signature, in the order it meets them; empty when it accepts it. */
export function pkgAddRefusals(input: PkgAddSignature): string[] {
  const reasons: string[] = [];
  const blocks = input.blocks ? pkgAddRefusal(input.blocks.size, input.blocks.blockSize) : null;
  const packet = signaturePacket(input.signature);
  if (typeof packet === 'string') reasons.push(packet);
  else if (packet[0] !== 4) reasons.push(`it is a version ${packet[0]} signature; pkg_add reads version 4 only`);
  else reasons.push(...v4Refusals(packet, input.keyID));
  if (blocks) reasons.push(blocks);
  return reasons;
}

/** Throws PKG_ADD_UNVERIFIABLE, naming `what` and every reason, unless pkg_add would accept the signature. */
export function checkPkgAddAccepts(input: PkgAddSignature, what: string): void {
  const reasons = pkgAddRefusals(input);
  if (reasons.length > 0) {
    throw new PkgkeysError(
      'PKG_ADD_UNVERIFIABLE',
      `${what}: pkg_add's verifier would refuse it, so it is not written: ${reasons.join('; ')}`,
    );
  }
}

/** The body of the one signature packet `bytes` holds (RFC 9580 §4.2), or why there is none. */
function signaturePacket(bytes: Uint8Array): Buffer | string {
  const b = Buffer.from(bytes);
  if (b.length < 2 || (b[0]! & 0x80) === 0) return 'it is not an OpenPGP packet';
  let tag: number;
  let start: number;
  let length: number;
  if (b[0]! & 0x40) {
    tag = b[0]! & 0x3f;
    const first = b[1]!;
    if (first < 192) [start, length] = [2, first];
    else if (first < 224) [start, length] = [3, ((first - 192) << 8) + (b[2] ?? 0) + 192];
    else if (first === 255 && b.length >= 6) [start, length] = [6, b.readUInt32BE(2)];
    else return 'its packet has a partial or truncated length';
  } else {
    tag = (b[0]! >> 2) & 0x0f;
    const kind = b[0]! & 3;
    if (kind === 3) return 'its packet has an indeterminate length';
    const size = 1 << kind;
    if (b.length < 1 + size) return 'its packet header is truncated';
    [start, length] = [1 + size, b.readUIntBE(1, size)];
  }
  if (tag !== SIGNATURE_TAG) return `it is a packet of type ${tag}, not a signature`;
  if (start + length !== b.length) return 'it is not exactly one signature packet';
  return b.subarray(start);
}

/** The key ID pkg_add finds the signer by: the hashed Issuer Key ID of a v4 signature, or null. */
export function issuerKeyID(signature: Uint8Array): KeyID | null {
  const body = signaturePacket(signature);
  if (typeof body === 'string' || body[0] !== 4 || body.length < 6) return null;
  const issuer = subpacketsOf(body.subarray(6, 6 + body.readUInt16BE(4)))?.find((s) => s.type === ISSUER_KEY_ID);
  return issuer?.body.length === 8 ? issuer.body.toString('hex').toUpperCase() : null;
}

/** A v4 signature's fields (RFC 9580 §5.2.3) against pkg_add's rules. */
function v4Refusals(body: Buffer, keyID: KeyID | undefined): string[] {
  if (body.length < 6) return ['its signature packet is truncated'];
  const reasons: string[] = [];
  const [algorithm, hash] = [body[2]!, body[3]!];
  if (algorithm !== RSA)
    reasons.push(`its public-key algorithm is ${algorithm}, not RSA (1), the only one pkg_add's keyring holds`);
  if (!PKG_ADD_HASHES.has(hash))
    reasons.push(
      `its hash is ${HASHES[hash] ?? `algorithm ${hash}`}; pkg_add verifies SHA-1, SHA-256 and SHA-512 only`,
    );
  const hashed = body.subarray(6, 6 + body.readUInt16BE(4));
  const subpackets = subpacketsOf(hashed);
  if (hashed.length !== body.readUInt16BE(4) || subpackets === null)
    return [...reasons, 'its hashed subpacket area is truncated'];
  const issuer = subpackets.findIndex((s) => s.type === ISSUER_KEY_ID);
  const fingerprint = subpackets.findIndex((s) => s.type === ISSUER_FINGERPRINT);
  if (issuer < 0) {
    reasons.push(
      'its hashed area has no Issuer Key ID subpacket (16): pkg_add cannot find the signer ("Signature key id ... not found")',
    );
  } else {
    if (fingerprint >= 0 && fingerprint < issuer)
      reasons.push(
        'an Issuer Fingerprint subpacket (33) comes before the Issuer Key ID (16) in the hashed area: pkg_add does not find the signer',
      );
    const named = subpackets[issuer]!.body.toString('hex').toUpperCase();
    if (keyID !== undefined && named !== keyID.toUpperCase())
      reasons.push(`its Issuer Key ID is ${named || '(empty)'}, not the signing key's ${keyID}`);
  }
  return reasons;
}

/** The subpackets of an area, in order (RFC 9580 §5.2.3.7), or null when one runs past its end. */
function subpacketsOf(area: Buffer): Array<{ type: number; body: Buffer }> | null {
  const out: Array<{ type: number; body: Buffer }> = [];
  for (let at = 0; at < area.length;) {
    const first = area[at]!;
    let length: number;
    if (first < 192) [length, at] = [first, at + 1];
    else if (first < 255) [length, at] = [((first - 192) << 8) + (area[at + 1] ?? 0) + 192, at + 2];
    else if (at + 5 <= area.length) [length, at] = [area.readUInt32BE(at + 1), at + 5];
    else return null;
    if (length < 1 || at + length > area.length) return null;
    out.push({ type: area[at]! & 0x7f, body: area.subarray(at + 1, at + length) });
    at += length;
  }
  return out;
}
