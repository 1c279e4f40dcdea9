/**
 * `pkgkeys publish`: a bulk build's output (its packages and the pkg_summary it wrote) made into a
 * signed publication in the repository directory, which readers see whole or not at all (DESIGN.md §5):
 *
 *     REPO/pkg_summary.{gz,bz2,xz,zst}        the index pkgin reads, with FILE_SIZE and FILE_CKSUM
 *     REPO/pkg_summary.asc{,.gz,.bz2,.xz,.zst} the signed index beside it (lib/client/remote-index.ts)
 *     REPO/<FILE_NAME>                         each package, copied from the build
 *
 * The index files are links into one generation (lib/generations.ts) under REPO/.pkgkeys, swapped with
 * one rename under the directory's lock: a crash at any point leaves the previous publication in force,
 * and two runs take turns.
 *
 * Nothing is copied, signed into place or swapped in before the publish gates (lib/publish/gates.ts)
 * have passed: a shrunken index, a signer clients do not trust, a package signed so that pkg_add
 * cannot verify it each leave the previous publication as it was.
 *
 * The build's directory is never the repository directory. pbulk writes its index in place
 * (`... | gzip -c > pkg_summary.gz`, DESIGN.md §4): in a published directory that redirection would
 * write through a link into the published generation, or truncate a published file, and a mirror would
 * copy half a build. So the build writes only its own directory; publish reads it there, copies what
 * changed into REPO, and never writes a published file in place.
 */
import { createHash } from 'node:crypto';
import { constants, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { PkgkeysError, ioError } from '../errors';
import { readBounded, syncDirectory, withLock } from '../fsutil';
import { currentGeneration, installGeneration } from '../generations';
import { expectedOf, packageFile } from '../packages/files';
import { hashFiles } from '../packages/hash';
import { AR_MAGIC } from '../pkgsrc/ar';
import { checkPkgAddAccepts, issuerKeyID } from '../pkgsrc/pkg-add';
import { SIGNATURE_MEMBER, readSignedPackage } from '../pkgsrc/signed-package';
import { toBinary } from '../pgp';
import { EXTENSIONS, compress, decompress } from '../summary/compress';
import { type Entry, parseSummary, value } from '../summary/format';
import { MAX_INDEX_BYTES } from '../limits';
import type { RepositoryId } from '../model';
import {
  type ClientKeyring,
  type ShrinkPolicy,
  checkKeyIDForClients,
  checkShrink,
  checkSignedForClients,
  overrideRecord,
} from './gates';
import { addChecksums, normaliseSummary } from './summary';

/** Compressed forms, by extension (lib/summary/compress.ts EXTENSIONS). */
export type Extension = keyof typeof EXTENSIONS;
export const ALL_EXTENSIONS = Object.keys(EXTENSIONS) as Extension[];
const HOME = '.pkgkeys';
/** In each generation: the SHA-256 of the index text its files were made from, to tell whether anything wrote into them since. */
const TEXT_DIGEST = 'pkg_summary.sha256';
/** The names a build writes its index under. */
const BUILD_NAMES = ['pkg_summary', ...ALL_EXTENSIONS.map((e) => `pkg_summary.${e}`)];

/** Where the index text waits for a signing daemon, which reads it from there itself (lib/signd/daemon.ts). */
export const stagingFile = (dir: string): string => path.join(dir, HOME, 'to-sign', 'pkg_summary');

export interface PublishRequest {
  /** The repository directory: what the web server serves and mirrors copy. Only publish writes it. */
  dir: string;
  /** The build's output (pbulk's packages/All): its packages and the pkg_summary it wrote. Not with `resign`. */
  build?: string;
  /** Clearsigns the index text (a key here, or a signing daemon). */
  sign: (text: Buffer) => Promise<Uint8Array[]>;
  extensions: readonly Extension[];
  jobs: number;
  lockWaitMs: number;
  /** Only a new signature on the published index: nothing else is read or rebuilt. */
  resign?: boolean;
  /** Signs every package of the build first that is not signed yet (lib/publish/sign-package.ts), in place. */
  signPackage?: (input: string, output: string) => Promise<void>;
  /** The generation's label (a time, for people reading the directory). */
  label: string;
  /** What is checked before anything is published (lib/publish/gates.ts). */
  gates: PublishGates;
}

/** The publish gates' inputs: the repository, the keyring clients have, and the operator's word for this publication. */
export interface PublishGates {
  repository: RepositoryId;
  clientKeyring: ClientKeyring;
  now: Date;
  shrink: ShrinkPolicy;
}

export interface Publication {
  entries: number;
  signedPackages: number;
  /** Packages copied into the repository directory (new or changed since the last publication). */
  copiedPackages: number;
  /** Packages of the last publication that this one no longer lists, removed. */
  removedPackages: number;
  /** What the caller should tell the user, e.g. that the build's text was normalised before signing. */
  warnings: string[];
  /** Gates an operator's override let through, recorded in .pkgkeys/overrides.log; the caller prints them too. */
  overrides: string[];
  files: string[];
  generation: string;
}

const namesOf = (extensions: readonly Extension[]) => [
  ...extensions.map((e) => `pkg_summary.${e}`),
  'pkg_summary.asc',
  ...extensions.map((e) => `pkg_summary.asc.${e}`),
];

const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

export async function publish(request: PublishRequest): Promise<Publication> {
  if (request.resign === (request.build !== undefined)) {
    throw new PkgkeysError(
      'USAGE',
      'publish needs either the build to publish (--build DIR) or --resign (a new signature on what is published)',
    );
  }
  if (request.build !== undefined) await checkSeparate(request.build, request.dir);
  const home = path.join(request.dir, HOME);
  const { gates } = request;
  return withLock(
    home,
    async () => {
      const set = { dir: request.dir, home: HOME, names: namesOf(request.extensions) };
      const current = await currentGeneration(set);
      const warnings: string[] = [];
      const overrides: string[] = [];
      let text: Buffer;
      let previous: Entry[] = [];
      let signedPackages = 0;
      if (request.build === undefined) {
        if (!current)
          throw new PkgkeysError(
            'USAGE',
            `${request.dir} has no publication to sign again: run pkgkeys publish --build first`,
          );
        text = await textToResign(current);
      } else {
        if (current) previous = await previousEntries(current, warnings);
        const build = await buildSummary(request.build);
        // One text for every form: what cannot be signed is taken out first, and said (lib/publish/summary.ts).
        const normal = normaliseSummary(build.text);
        if (normal.lines > 0) warnings.push(normal.warning(build.file));
        text = await addChecksums(normal.text, build.file, request.build, request.jobs);
        signedPackages = await signedForPkgAdd(text, build.file, request.build, gates, request.signPackage);
        if (signedPackages > 0)
          text = await addChecksums(text, build.file, request.build, request.jobs, { replace: true });
        const shrink = checkShrink(
          previous,
          parseSummary(text, build.file),
          gates.shrink,
          `${request.dir} (${gates.repository})`,
        );
        if (shrink.override) overrides.push(shrink.override);
      }
      const signed = Buffer.concat(await request.sign(text));
      // Signed by a key here or by signd: either way, the signature clients will see is the one judged.
      await checkSignedForClients(gates.clientKeyring, signed, gates.repository, gates.now);
      const entries = parseSummary(text, 'pkg_summary');
      // Only now are packages copied in: a gate that refuses leaves the repository as it was.
      const copiedPackages =
        request.build === undefined
          ? 0
          : await placePackages(entries, previous, request.build, request.dir, request.jobs);
      const files: Array<[string, Buffer]> = [[TEXT_DIGEST, Buffer.from(`${sha256(text)}\n`)]];
      for (const ext of request.extensions) {
        files.push([`pkg_summary.${ext}`, await compress(text, EXTENSIONS[ext], `pkg_summary.${ext}`)]);
        files.push([`pkg_summary.asc.${ext}`, await compress(signed, EXTENSIONS[ext], `pkg_summary.asc.${ext}`)]);
      }
      files.push(['pkg_summary.asc', signed]);
      const generation = await installGeneration(set, request.label, files, { keep: 1 });
      await recordOverrides(home, gates.now, overrides);
      await removeStaleLinks(request.dir, set.names);
      const removedPackages = request.build === undefined ? 0 : await removeWithdrawn(previous, entries, request.dir);
      return {
        entries: entries.length,
        signedPackages,
        copiedPackages,
        removedPackages,
        warnings,
        overrides,
        files: set.names,
        generation,
      };
    },
    { waitMs: request.lockWaitMs },
  );
}

/** Where overrides of the publish gates are kept, one JSON line each (lib/publish/gates.ts overrideRecord). */
export const OVERRIDES_LOG = 'overrides.log';

async function recordOverrides(home: string, at: Date, overrides: readonly string[]): Promise<void> {
  if (overrides.length === 0) return;
  const file = path.join(home, OVERRIDES_LOG);
  const uid = process.getuid?.() ?? -1;
  try {
    const handle = await fs.open(file, 'a', 0o644);
    try {
      await handle.writeFile(overrides.map((o) => overrideRecord(at, uid, o)).join(''));
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch (cause) {
    throw ioError('cannot record the override in', file, cause);
  }
}

/** A build writing into the repository directory would write into the publication (see the top of this file). */
async function checkSeparate(build: string, dir: string): Promise<void> {
  const real = async (p: string) =>
    fs.realpath(p).catch((cause) => {
      throw (cause as NodeJS.ErrnoException).code === 'ENOENT'
        ? new PkgkeysError('NOT_FOUND', `${p}: no such directory`)
        : ioError('cannot read', p, cause);
    });
  await fs.mkdir(dir, { recursive: true }).catch((cause) => {
    throw ioError('cannot create', dir, cause);
  });
  if ((await real(build)) === (await real(dir))) {
    throw new PkgkeysError(
      'USAGE',
      `${build} is both the build's directory and the repository directory: a build writing its pkg_summary there in place would change the publication; let the build write elsewhere (pbulk's packages) and publish into the served directory`,
    );
  }
}

/**
 * The pkg_summary the build wrote: every form of it in its directory (pbulk writes .gz, then .bz2 from
 * it), which must all hold the same text. Forms that disagree are refused, not chosen among: one of them
 * is left from another build, and which one cannot be told safely.
 */
async function buildSummary(dir: string): Promise<{ file: string; text: Buffer }> {
  let found: { file: string; text: Buffer } | null = null;
  for (const name of BUILD_NAMES) {
    const file = path.join(dir, name);
    const stat = await fs.stat(file).catch(() => null);
    if (!stat?.isFile()) continue;
    const text = await decompress(await readBounded(file, MAX_INDEX_BYTES), file, MAX_INDEX_BYTES);
    if (found && !found.text.equals(text)) {
      throw new PkgkeysError(
        'BAD_INPUT',
        `${found.file} and ${file} hold different indexes (SHA-256 ${sha256(found.text)} and ${sha256(text)}): remove the one the last build did not write`,
      );
    }
    found ??= { file, text };
  }
  if (!found)
    throw new PkgkeysError(
      'NOT_FOUND',
      `${dir} has no pkg_summary (plain, .gz, .bz2, .xz or .zst) from a build to publish`,
    );
  return found;
}

/**
 * The text of the current publication, checked against the digest recorded when it was made: every
 * form must still hold it. `altered` says which does not: something wrote into the generation (a build
 * run in the repository directory, writing through a link), and that text is never signed again.
 */
async function publishedText(
  current: string,
): Promise<{ text: Buffer; altered: null } | { text: null; altered: string }> {
  const recorded = (await fs.readFile(path.join(current, TEXT_DIGEST), 'utf8').catch(() => '')).trim();
  let text: Buffer | null = null;
  for (const name of (await fs.readdir(current)).filter((n) => /^pkg_summary\.(gz|bz2|xz|zst)$/.test(n)).sort()) {
    const file = path.join(current, name);
    const got = await decompress(await readBounded(file, MAX_INDEX_BYTES), file, MAX_INDEX_BYTES);
    if (sha256(got) !== recorded)
      return {
        text: null,
        altered: `${file} no longer holds the published text (SHA-256 ${sha256(got)}, recorded ${recorded || 'none'})`,
      };
    text ??= got;
  }
  if (!text) throw ioError('cannot find the published pkg_summary in', current, new Error('no pkg_summary.*'));
  return { text, altered: null };
}

/**
 * What the publication in force in `dir` lists, for a signing daemon's shrink gate: null when there is
 * none yet, or when something wrote into it (publish says so, and copies every package again).
 */
export async function publishedEntries(dir: string): Promise<Entry[] | null> {
  const current = await currentGeneration({ dir, home: HOME, names: [] });
  if (!current) return null;
  const published = await publishedText(current);
  return published.altered === null ? parseSummary(published.text, path.join(current, 'pkg_summary')) : null;
}

/** The published text, to be signed again: refused if anything wrote into it. */
async function textToResign(current: string): Promise<Buffer> {
  const published = await publishedText(current);
  if (published.altered !== null)
    throw new PkgkeysError(
      'HASH_MISMATCH',
      `${published.altered}: something wrote into the publication; publish a build (--build) instead of signing this again`,
    );
  return published.text;
}

/**
 * What the current publication lists, to copy only what changed and remove what went. A publication
 * something wrote into is not trusted for that: every package is copied again, none removed, and said.
 */
async function previousEntries(current: string, warnings: string[]): Promise<Entry[]> {
  const published = await publishedText(current);
  if (published.altered === null) return parseSummary(published.text, path.join(current, 'pkg_summary'));
  warnings.push(
    `${published.altered}: something wrote into the publication; it is replaced now, every package copied again, and the new index is not compared with it (PUBLISH_SHRINK)`,
  );
  return [];
}

/**
 * Every package of the index that is signed already must be one pkg_add accepts (lib/pkgsrc/pkg-add.ts:
 * an earlier pkgkeys signed some with a block size pkg_add cannot verify, other tools lay the signature
 * out where pkg_add does not find the signer) by a key clients trust for the repository; those are
 * refused, not published. With `sign`, every other package is signed in place; returns how many.
 */
async function signedForPkgAdd(
  text: Buffer,
  source: string,
  dir: string,
  gates: PublishGates,
  sign?: (input: string, output: string) => Promise<void>,
): Promise<number> {
  let signed = 0;
  for (const entry of parseSummary(text, source)) {
    const file = packageFile(dir, entry);
    const head = Buffer.alloc(AR_MAGIC.length);
    const handle = await fs.open(file, 'r');
    try {
      await handle.read(head, 0, head.length, 0);
      if (head.equals(AR_MAGIC)) {
        const found = await readSignedPackage(handle, file);
        const what = `${file}: ${SIGNATURE_MEMBER}`;
        const signature = await toBinary(found.signature, what);
        checkPkgAddAccepts({ signature, blocks: { size: found.hash.size, blockSize: found.hash.blockSize } }, what);
        checkKeyIDForClients(gates.clientKeyring, issuerKeyID(signature)!, gates.repository, gates.now, what);
        continue;
      }
    } finally {
      await handle.close();
    }
    if (!sign) continue;
    // sign-package writes atomically: the name holds the unsigned package or the signed one.
    await sign(file, file);
    signed++;
  }
  return signed;
}

const fileNameOf = (entry: Entry) => path.basename(packageFile('.', entry));
const sameFile = (a: Entry, b: Entry) =>
  value(a, 'FILE_SIZE') === value(b, 'FILE_SIZE') && value(a, 'FILE_CKSUM') === value(b, 'FILE_CKSUM');

/**
 * Copies into `dir` each package of `entries` that the previous publication does not have with the
 * same size and checksum: copies, not links, so that a build rewriting a package in place (cp onto an
 * existing file) cannot change a published one. Each copy is written under .pkgkeys/incoming, synced,
 * hashed and checked against the index before it is renamed into place; a package that changed since
 * it was hashed is refused. Returns how many were copied.
 */
async function placePackages(
  entries: Entry[],
  previous: Entry[],
  build: string,
  dir: string,
  jobs: number,
): Promise<number> {
  const published = new Map(previous.map((e) => [fileNameOf(e), e]));
  const incoming = path.join(dir, HOME, 'incoming');
  await fs.rm(incoming, { recursive: true, force: true });
  await fs.mkdir(incoming, { recursive: true });
  const wanted: Entry[] = [];
  for (const entry of entries) {
    const before = published.get(fileNameOf(entry));
    const there = await fs.lstat(packageFile(dir, entry)).catch(() => null);
    if (!before || !sameFile(before, entry) || !there?.isFile() || String(there.size) !== value(entry, 'FILE_SIZE'))
      wanted.push(entry);
  }
  try {
    for (const entry of wanted) {
      const copy = packageFile(incoming, entry);
      await fs.copyFile(packageFile(build, entry), copy, constants.COPYFILE_EXCL | constants.COPYFILE_FICLONE);
      const handle = await fs.open(copy, 'r');
      await handle.sync().finally(() => handle.close());
    }
    const hashed = await hashFiles(
      wanted.map((e) => ({ file: packageFile(incoming, e), limit: null })),
      { jobs },
    );
    wanted.forEach((entry, i) => {
      const got = hashed[i]!;
      if (!got.ok) throw got.error;
      const expected = expectedOf(entry);
      if (got.size !== expected.size || got.sha256 !== expected.sha256) {
        throw new PkgkeysError(
          'HASH_MISMATCH',
          `${packageFile(build, entry)} changed while it was published (sha256 ${expected.sha256} when hashed, ${got.sha256} when copied): publish again once the build is done`,
        );
      }
    });
    for (const entry of wanted) await fs.rename(packageFile(incoming, entry), packageFile(dir, entry));
    if (wanted.length > 0) await syncDirectory(dir);
  } catch (cause) {
    throw cause instanceof PkgkeysError ? cause : ioError("cannot copy the build's packages into", dir, cause);
  } finally {
    await fs.rm(incoming, { recursive: true, force: true });
  }
  return wanted.length;
}

/** Packages the previous publication listed and this one does not: removed once the new index is in force. */
async function removeWithdrawn(previous: Entry[], entries: Entry[], dir: string): Promise<number> {
  const kept = new Set(entries.map(fileNameOf));
  let removed = 0;
  for (const entry of previous) {
    if (kept.has(fileNameOf(entry))) continue;
    const file = packageFile(dir, entry);
    if (!(await fs.lstat(file).catch(() => null))?.isFile()) continue;
    await fs.rm(file, { force: true });
    removed++;
  }
  return removed;
}

/** Links to forms no longer published (an extension dropped) would dangle: they go. */
async function removeStaleLinks(dir: string, names: readonly string[]): Promise<void> {
  for (const ext of ALL_EXTENSIONS) {
    for (const name of [`pkg_summary.${ext}`, `pkg_summary.asc.${ext}`]) {
      if (names.includes(name)) continue;
      const target = await fs.readlink(path.join(dir, name)).catch(() => null);
      if (target?.startsWith(`${HOME}/`)) await fs.rm(path.join(dir, name), { force: true });
    }
  }
}
