/**
 * Keyrings on disk: a decomposed directory (lib/keyring/layout.ts) or a single exported file. Reading
 * either gives pkgkeys' model; import, export and check work on directories.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { PkgkeysError, ioError } from '../errors';
import { readBounded, withLock, writeAtomic } from '../fsutil';
import type { Certificate, Fingerprint } from '../model';
import { MAX_KEYRING_BYTES } from '../limits';
import {
  type Material,
  type Tree,
  armor,
  inspectAll,
  mergeTrees,
  packetBytes,
  readMaterial,
  readPacket,
  readTrees,
  toBinary,
} from '../pgp';
import { TrustGraph } from '../trust/chain';
import { type KeyringFile, assemble, decompose, place } from './layout';
import { type Installed, LIVE, readLive } from './live';

/** Files of a keyring directory, dearmored; `stray` lists paths the layout has no place for. */
export async function readDirectory(dir: string): Promise<{ files: KeyringFile[]; stray: string[] }> {
  const files: KeyringFile[] = [];
  const stray: string[] = [];
  let total = 0;
  for (const relative of await listFiles(dir)) {
    const where = place(relative);
    if (where === null) {
      stray.push(relative);
      continue;
    }
    const data = await readBounded(path.join(dir, relative), MAX_KEYRING_BYTES);
    total += data.length;
    if (total > MAX_KEYRING_BYTES)
      throw new PkgkeysError('KEYRING_INVALID', `${dir}: more than ${MAX_KEYRING_BYTES} bytes of key material`);
    const packet = await toBinary(data, relative, 'KEYRING_INVALID');
    files.push({ path: relative, packet, kind: where.kind });
  }
  return { files, stray };
}

async function listFiles(dir: string, prefix = ''): Promise<string[]> {
  let entries: import('node:fs').Dirent[];
  try {
    entries = await fs.readdir(path.join(dir, prefix), { withFileTypes: true });
  } catch (cause) {
    if (prefix === '' && (cause as NodeJS.ErrnoException).code === 'ENOTDIR') {
      throw new PkgkeysError(
        'USAGE',
        `${dir} is a file, not a keyring directory: import and check work on a directory of one packet per file (keyrings/NAME/); import the file into one (pkgkeys keyring --keyring DIR import ${dir})`,
      );
    }
    throw ioError('cannot read keyring directory', path.join(dir, prefix), cause);
  }
  const out: string[] = [];
  for (const entry of entries) {
    if (entry.name.startsWith('.')) continue; // the lock, temporary files
    const relative = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) out.push(...(await listFiles(dir, relative)));
    else out.push(relative);
  }
  return out.sort();
}

async function isDirectory(source: string): Promise<boolean> {
  try {
    return (await fs.stat(source)).isDirectory();
  } catch (cause) {
    throw ioError('cannot open keyring', source, cause);
  }
}

/** The key material of a keyring directory or file (armored or binary). A damaged keyring is not trusted at all: KEYRING_INVALID. */
export async function readKeyring(source: string): Promise<Material> {
  const data = (await isDirectory(source))
    ? assemble(await soundFiles(source))
    : await readBounded(source, MAX_KEYRING_BYTES);
  return readMaterial(data, source, 'KEYRING_INVALID');
}

/**
 * The files of a directory that `check` accepts. Anything out of place may be a revocation (saved as
 * gpg's <FPR>.rev, under a lower-case name, behind a symlinked directory): a directory with any
 * problem is refused whole rather than read without it.
 */
async function soundFiles(dir: string): Promise<KeyringFile[]> {
  const { files, problems } = await checkLayout(dir);
  if (problems.length > 0) {
    const named = problems
      .slice(0, 3)
      .map((p) => `${p.path}: ${p.message}`)
      .join('; ');
    throw new PkgkeysError(
      'KEYRING_INVALID',
      `${dir}: keyring directory with ${problems.length} problem(s) (pkgkeys keyring check lists them), not used: ${named}${problems.length > 3 ? '; ...' : ''}`,
    );
  }
  return files;
}

/** Key material from bytes already in hand (a download). */
export const parseKeyring = (data: Uint8Array, source: string): Promise<Material> =>
  readMaterial(data, source, 'KEYRING_INVALID');

/** Certificates from several sources (anchors, keyrings), merged by fingerprint and checked together. */
export async function loadCertificates(sources: readonly string[]): Promise<Certificate[]> {
  return certificatesOf(await Promise.all(sources.map(readKeyring)));
}

function certificatesOf(material: readonly Material[]): Promise<Certificate[]> {
  return inspectAll(
    mergeTrees(
      material.flatMap((m) => m.trees),
      material.flatMap((m) => m.loose),
    ),
  );
}

export interface ImportReport {
  /** Files written, new or replaced. */
  written: string[];
  /** Certificates the import touched. */
  certificates: Fingerprint[];
  /** Signatures in the input that did not make it in: unverifiable, superseded or already present. */
  ignored: number;
}

/**
 * Merges certificates into a keyring directory, under its lock. Only signatures that verify against a
 * key in the keyring or in the input are kept; each file is written atomically, keys before the
 * signatures over them, so an interrupted import leaves a smaller keyring, never a torn one.
 */
export async function importKeys(dir: string, data: Uint8Array, what: string): Promise<ImportReport> {
  const { trees: incoming, loose } = await readMaterial(data, what);
  if (incoming.length === 0 && loose.length === 0)
    throw new PkgkeysError('BAD_INPUT', `${what}: no certificate or revocation found`);
  return withLock(dir, async () => {
    const { files: before } = await readDirectory(dir);
    const existing = await readTrees(assemble(before), dir, 'KEYRING_INVALID');
    const certificates = await inspectAll(mergeTrees([...existing, ...incoming], loose));
    const after = decompose(certificates);
    const old = new Map(before.map((f) => [f.path, Buffer.from(f.packet)]));
    const written: string[] = [];
    for (const file of after) {
      if (old.get(file.path)?.equals(file.packet)) continue;
      await writeAtomic(path.join(dir, file.path), armorFile(file));
      written.push(file.path);
    }
    const kept = new Set(after.map((f) => Buffer.from(f.packet).toString('base64')));
    const offered = [...incoming.flatMap(treeSignatures), ...loose.map(base64)];
    return {
      written,
      certificates: [...new Set([...incoming.map((t) => t.fingerprint), ...written.map((w) => w.split('/')[0]!)])],
      ignored: offered.filter((bytes) => !kept.has(bytes)).length,
    };
  });
}

const base64 = (packet: Parameters<typeof packetBytes>[0]) => Buffer.from(packetBytes(packet)).toString('base64');

function treeSignatures(tree: Tree): string[] {
  return [...tree.sigs, ...tree.userIDs.flatMap((u) => u.sigs), ...tree.subkeys.flatMap((s) => s.sigs)].map(base64);
}

function armorFile(file: KeyringFile): string {
  return armor(file.kind === 'key' ? 'publicKey' : 'signature', file.packet);
}

/** One keyring file: certificates sorted by fingerprint, packets in canonical order; byte-for-byte reproducible. */
export async function exportKeyring(source: string): Promise<Uint8Array> {
  return assemble(decompose(await loadCertificates([source])));
}

export interface CheckProblem {
  path: string;
  message: string;
}

/**
 * A keyring directory is sound when every file holds one packet, sits where the layout puts it, and the
 * directory is exactly the decomposition of its own certificates: no dangling signature (issuer not in
 * the keyring), no unverifiable, superseded, duplicate or misnamed packet.
 */
export async function checkLayout(
  dir: string,
): Promise<{ certificates: Certificate[]; problems: CheckProblem[]; files: KeyringFile[] }> {
  const { files, stray } = await readDirectory(dir);
  const problems: CheckProblem[] = stray.map((p) => ({ path: p, message: 'file has no place in the keyring layout' }));
  for (const file of files) {
    try {
      await readPacket(file.packet, 'the file');
    } catch (error) {
      problems.push({ path: file.path, message: (error as Error).message });
    }
  }
  if (problems.length > 0) return { certificates: [], problems, files };
  const certificates = await inspectAll(await readTrees(assemble(files), dir, 'KEYRING_INVALID'));
  const expected = new Map(decompose(certificates).map((f) => [f.path, Buffer.from(f.packet)]));
  const actual = new Map(files.map((f) => [f.path, Buffer.from(f.packet)]));
  for (const [file, bytes] of actual) {
    const want = expected.get(file);
    if (!want)
      problems.push({
        path: file,
        message:
          'packet is not part of the keyring: misnamed, dangling (issuer or key missing), unverifiable or superseded',
      });
    else if (!want.equals(bytes)) problems.push({ path: file, message: 'file does not hold the packet its name says' });
  }
  for (const file of expected.keys()) {
    if (!actual.has(file)) problems.push({ path: file, message: 'packet present under another name; expected here' });
  }
  return { certificates, problems, files };
}

/**
 * The trust graph for verification: the certificates of the anchor files and of the keyring, merged
 * (so a revocation of an anchor reaches it through the keyring too), with the anchor files' keys as anchors.
 */
export async function loadTrustGraph(anchorFiles: readonly string[], keyring: string): Promise<TrustGraph> {
  return trustGraphOf(anchorFiles, [await readKeyring(keyring)]);
}

/** The same, from keyrings already read: several are merged, so every revocation any of them holds counts. */
export async function trustGraphOf(anchorFiles: readonly string[], keyrings: readonly Material[]): Promise<TrustGraph> {
  const anchorMaterial = await readAnchors(anchorFiles);
  const anchors = anchorMaterial.flatMap((m) => m.trees.map((t) => t.fingerprint));
  return new TrustGraph(await certificatesOf([...anchorMaterial, ...keyrings]), anchors);
}

/** The trust graph of the installed keyring (lib/keyring/live.ts), from the generation `installed` resolved. */
export async function installedGraph(anchorFiles: readonly string[], installed: Installed): Promise<TrustGraph> {
  return trustGraphOf(anchorFiles, [
    await parseKeyring(await readLive(installed, LIVE.keyring), path.join(installed.dir, LIVE.keyring)),
  ]);
}

async function readAnchors(anchorFiles: readonly string[]): Promise<Material[]> {
  if (anchorFiles.length === 0)
    throw new PkgkeysError('USAGE', "no trust anchor given: pass --anchor FILE (the master key's public certificate)");
  const material = await Promise.all(anchorFiles.map(readKeyring));
  // Packets of versions or algorithms OpenPGP.js does not read are skipped: an anchor left with nothing would only show as NO_PATH.
  const empty = anchorFiles.find((_, i) => material[i]!.trees.length === 0);
  if (empty)
    throw new PkgkeysError(
      'KEYRING_INVALID',
      `${empty}: expected the public certificate of a trust anchor, found no certificate pkgkeys can read (a v4 key, RSA or Ed25519)`,
    );
  return material;
}

/**
 * Everything a trust graph holds, anchors included, as one sorted, reproducible keyring file: every
 * signature that its anchors make checkable is kept, so an anchor's revocations survive in it.
 */
export const keyringOf = (graph: TrustGraph): Uint8Array => assemble(decompose(graph.certificates()));

/**
 * What an installed keyring hands on to the next release (lib/client/update.ts): every key it holds,
 * with its self-signatures and every revocation (of the key 0x20, of a subkey 0x28, of a User ID or
 * of a certification 0x30), but no certification by another key. So no revocation once installed is
 * lost, whatever later releases carry or leave out, and its issuer's key stays to check it; while
 * trust comes from the release in force alone: a key or certification dropped upstream stops
 * counting unless a later release certifies it again. Read with the anchors, so that the revocations
 * an anchor issued stay checkable although no release carries the anchor.
 */
export async function revocationsOf(anchorFiles: readonly string[], installed: Material): Promise<Material> {
  const certificates = await certificatesOf([...(await readAnchors(anchorFiles)), installed]);
  const kept = certificates.map((c) => ({ ...c, userIDs: c.userIDs.map((u) => ({ ...u, certifications: [] })) }));
  return parseKeyring(assemble(decompose(kept)), 'the installed keyring');
}
