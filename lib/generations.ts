/**
 * Files that change together (DESIGN.md §5: a crash leaves the old state or the new one, never a
 * mix): each version is a whole directory, a generation, written and synced first; the stable names
 * are symbolic links through one `current` link, which a single rename(2) moves to the new generation.
 * Used for the installed keyring (lib/keyring/live.ts) and for a published repository's index files
 * (lib/publish/repository.ts).
 *
 *     <dir>/<name>               -> <home>/current/<name>, for each stable name
 *     <dir>/<home>/current       -> generations/<label>.<random>
 *     <dir>/<home>/generations/  the generations: the current one, and the one before while `keep` says so
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { PkgkeysError, ioError } from './errors';
import { type FileData, syncDirectory } from './fsutil';

export interface GenerationSet {
  /** Where the stable names are. */
  dir: string;
  /** Where `current` and `generations/` are, relative to `dir` ('' for `dir` itself). */
  home: string;
  /** The names readers open; each generation must have them all. */
  names: readonly string[];
}

const CURRENT = 'current';
const GENERATIONS = 'generations';

/** The current generation's directory, resolved once (so that every file read comes from one generation), or null. */
export async function currentGeneration(set: GenerationSet): Promise<string | null> {
  const link = path.join(set.dir, set.home, CURRENT);
  try {
    return path.join(path.dirname(link), await fs.readlink(link));
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw ioError('cannot read', link, cause);
  }
}

/**
 * Writes `files` (the stable names and any others) as a new generation and makes it current; the
 * caller holds the directory's lock. Generations other than the new one and the `keep` previous ones
 * are removed afterwards (readers with an open file keep it).
 */
export async function installGeneration(
  set: GenerationSet,
  label: string,
  files: ReadonlyArray<readonly [string, FileData]>,
  options: { keep?: number } = {},
): Promise<string> {
  const missing = set.names.filter((n) => !files.some(([name]) => name === n));
  if (missing.length > 0) throw new Error(`generation without ${missing.join(', ')}`);
  const home = path.join(set.dir, set.home);
  const name = `${label}.${randomBytes(6).toString('hex')}`;
  const full = path.join(home, GENERATIONS, name);
  try {
    await fs.mkdir(full, { recursive: true });
    for (const [file, data] of files) await writeSynced(path.join(full, file), data);
    await syncDirectory(full);
    await syncDirectory(path.dirname(full));
    // The stable names first: until `current` exists they dangle, as before the first install.
    for (const file of set.names) await replaceLink(set.dir, file, path.join(set.home, CURRENT, file));
    await replaceLink(home, CURRENT, path.join(GENERATIONS, name));
  } catch (cause) {
    throw cause instanceof PkgkeysError ? cause : ioError('cannot install a new generation in', home, cause);
  }
  await prune(path.join(home, GENERATIONS), name, options.keep ?? 0);
  return full;
}

/** Old generations beyond the `keep` newest, and new ones a crash left before their swap. */
async function prune(generations: string, current: string, keep: number): Promise<void> {
  const entries = await Promise.all(
    (await fs.readdir(generations).catch(() => [] as string[]))
      .filter((n) => n !== current)
      .map(async (n) => ({ n, mtime: (await fs.stat(path.join(generations, n))).mtimeMs })),
  );
  entries.sort((a, b) => b.mtime - a.mtime);
  for (const { n } of entries.slice(keep)) await fs.rm(path.join(generations, n), { recursive: true, force: true });
}

/** Points `name` in `dir` at `target` with one rename(2) of a fresh link over it (over a plain file too). */
async function replaceLink(dir: string, name: string, target: string): Promise<void> {
  const link = path.join(dir, name);
  if ((await fs.readlink(link).catch(() => null)) === target) return;
  const temporary = path.join(dir, `.${name}.${randomBytes(6).toString('hex')}.tmp`);
  await fs.symlink(target, temporary);
  try {
    await fs.rename(temporary, link);
  } catch (error) {
    await fs.rm(temporary, { force: true });
    throw error;
  }
  await syncDirectory(dir);
}

async function writeSynced(file: string, data: FileData): Promise<void> {
  const handle = await fs.open(file, 'wx', 0o644);
  try {
    for (const part of Array.isArray(data) ? data : [data]) await handle.writeFile(part);
    await handle.sync();
  } finally {
    await handle.close();
  }
}
