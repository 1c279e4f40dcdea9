/**
 * `pkgkeys publish`: a bulk build's repository directory (its packages and the pkg_summary the build
 * wrote) made into a signed publication that readers see whole or not at all (DESIGN.md §5):
 *
 *     REPO/pkg_summary.{gz,bz2,xz,zst}        the index pkgin reads, with FILE_SIZE and FILE_CKSUM
 *     REPO/pkg_summary.asc{,.gz,.bz2,.xz,.zst} the signed index beside it (lib/client/remote-index.ts)
 *
 * are links into one generation (lib/generations.ts) under REPO/.pkgkeys, swapped with one rename
 * under the directory's lock: a crash at any point leaves the previous publication in force, and two
 * runs take turns. The build's own pkg_summary.* files are its input; once published they are links.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { PkgkeysError, ioError } from '../errors';
import { readBounded, withLock } from '../fsutil';
import { currentGeneration, installGeneration } from '../generations';
import { packageFile } from '../packages/files';
import { AR_MAGIC } from '../pkgsrc/ar';
import { EXTENSIONS, compress, decompress } from '../summary/compress';
import { parseSummary } from '../summary/format';
import { MAX_INDEX_BYTES } from '../limits';
import { addChecksums } from './summary';

/** Compressed forms, by extension (lib/summary/compress.ts EXTENSIONS). */
export type Extension = keyof typeof EXTENSIONS;
export const ALL_EXTENSIONS = Object.keys(EXTENSIONS) as Extension[];
const HOME = '.pkgkeys';

/** Where the index text waits for a signing daemon, which reads it from there itself (lib/signd/daemon.ts). */
export const stagingFile = (dir: string): string => path.join(dir, HOME, 'to-sign', 'pkg_summary');

export interface PublishRequest {
  dir: string;
  /** Clearsigns the index text (a key here, or a signing daemon). */
  sign: (text: Buffer) => Promise<Uint8Array[]>;
  extensions: readonly Extension[];
  jobs: number;
  lockWaitMs: number;
  /** Only a new signature on the published index: nothing else is read or rebuilt. */
  resign?: boolean;
  /** Signs every package first that is not signed yet (lib/publish/sign-package.ts), in place. */
  signPackage?: (input: string, output: string) => Promise<void>;
  /** The generation's label (a time, for people reading the directory). */
  label: string;
}

export interface Publication {
  entries: number;
  signedPackages: number;
  files: string[];
  generation: string;
}

const namesOf = (extensions: readonly Extension[]) => [
  ...extensions.map((e) => `pkg_summary.${e}`), 'pkg_summary.asc', ...extensions.map((e) => `pkg_summary.asc.${e}`),
];

export async function publish(request: PublishRequest): Promise<Publication> {
  const home = path.join(request.dir, HOME);
  return withLock(home, async () => {
    const set = { dir: request.dir, home: HOME, names: namesOf(request.extensions) };
    let text: Buffer;
    let signedPackages = 0;
    if (request.resign) {
      text = await publishedText(request.dir);
    } else {
      const source = await buildSummary(request.dir);
      text = await addChecksums(source.text, source.file, request.dir, request.jobs);
      if (request.signPackage) {
        signedPackages = await signPackages(text, source.file, request.dir, request.signPackage);
        if (signedPackages > 0) text = await addChecksums(text, source.file, request.dir, request.jobs, { replace: true });
      }
    }
    const signed = Buffer.concat(await request.sign(text));
    const files: Array<[string, Buffer]> = [];
    for (const ext of request.extensions) {
      files.push([`pkg_summary.${ext}`, await compress(text, EXTENSIONS[ext], `pkg_summary.${ext}`)]);
      files.push([`pkg_summary.asc.${ext}`, await compress(signed, EXTENSIONS[ext], `pkg_summary.asc.${ext}`)]);
    }
    files.push(['pkg_summary.asc', signed]);
    const generation = await installGeneration(set, request.label, files, { keep: 1 });
    await removeStaleLinks(request.dir, set.names);
    return { entries: parseSummary(text, 'pkg_summary').length, signedPackages, files: set.names, generation };
  }, { waitMs: request.lockWaitMs });
}

/** The pkg_summary the build wrote: the newest plain file among pkg_summary{,.gz,.bz2,.xz,.zst} (published ones are links). */
async function buildSummary(dir: string): Promise<{ file: string; text: Buffer }> {
  const candidates: Array<{ file: string; mtime: number }> = [];
  for (const name of ['pkg_summary', ...ALL_EXTENSIONS.map((e) => `pkg_summary.${e}`)]) {
    const stat = await fs.lstat(path.join(dir, name)).catch(() => null);
    if (stat?.isFile()) candidates.push({ file: path.join(dir, name), mtime: stat.mtimeMs });
  }
  if (candidates.length === 0) {
    // Nothing new from the build: what is published is published again, with a new signature.
    if (await currentGeneration({ dir, home: HOME, names: [] })) return { file: path.join(dir, 'pkg_summary.gz'), text: await publishedText(dir) };
    throw new PkgkeysError('USAGE', `${dir} has no pkg_summary (plain, .gz, .bz2, .xz or .zst) from a build to publish`);
  }
  const newest = candidates.sort((a, b) => b.mtime - a.mtime)[0]!;
  return { file: newest.file, text: await decompress(await readBounded(newest.file, MAX_INDEX_BYTES), newest.file, MAX_INDEX_BYTES) };
}

/** The text of the current publication. */
async function publishedText(dir: string): Promise<Buffer> {
  const current = await currentGeneration({ dir, home: HOME, names: [] });
  if (!current) throw new PkgkeysError('USAGE', `${dir} has no publication to sign again: run pkgkeys publish without --resign first`);
  const names = await fs.readdir(current);
  const form = names.find((n) => /^pkg_summary\.(gz|bz2|xz|zst)$/.test(n));
  if (!form) throw ioError('cannot find the published pkg_summary in', current, new Error('no pkg_summary.*'));
  return decompress(await readBounded(path.join(current, form), MAX_INDEX_BYTES), path.join(current, form), MAX_INDEX_BYTES);
}

/** Signs in place every package of the index that is not a signed package already; returns how many. */
async function signPackages(text: Buffer, source: string, dir: string, sign: (input: string, output: string) => Promise<void>): Promise<number> {
  let signed = 0;
  for (const entry of parseSummary(text, source)) {
    const file = packageFile(dir, entry);
    const head = Buffer.alloc(AR_MAGIC.length);
    const handle = await fs.open(file, 'r');
    await handle.read(head, 0, head.length, 0).finally(() => handle.close());
    if (head.equals(AR_MAGIC)) continue;
    // sign-package writes atomically: the name holds the unsigned package or the signed one.
    await sign(file, file);
    signed++;
  }
  return signed;
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
