/**
 * The only module of pkgkeys that imports openpgp. Upstream quirks stay here; the rest of lib/ sees
 * pkgkeys' own types (lib/model.ts) and byte arrays.
 */
export {
  type Material,
  type Tree,
  armor,
  mergeTrees,
  packetBytes,
  readMaterial,
  readPacket,
  readTrees,
  toBinary,
  treeBytes,
} from './packets';
export { inspectAll } from './inspect';
export {
  type CertifyOptions,
  type GeneratedKey,
  type KeyType,
  type RevokeOptions,
  SecretKey,
  certify,
  generateKey,
  revokeCertification,
  revokeKey,
  revokeSubkey,
} from './sign';
export {
  CanonicalLines,
  type Cleartext,
  CleartextReader,
  type StreamedCleartext,
  type TextLines,
  canonicalize,
  cleartextHeader,
  cleartextSignature,
  escapeLines,
  hashCanonical,
  isSignable,
  parseCleartext,
  signableText,
  writeCleartext,
} from './cleartext';
export {
  type DataFeed,
  type MessageSignature,
  type Notation,
  type SignatureSpec,
  type Signer,
  dataHash,
  readMessageSignature,
  signData,
  verifyData,
  verifyHashed,
} from './signature';
