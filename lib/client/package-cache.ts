/**
 * The verifying proxy's package cache: each package a verified index lists, fetched from the mirror
 * while it is hashed, kept under its SHA-256 once its size and checksum matched, and fetched once
 * however many ask at the same time. Files nobody asked for in a week go when a proxy starts. Its
 * clock is the wall clock's, as file times are (a request's time may be fixed, as in a replay): injected.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { PkgkeysError, ioError } from '../errors';
import { syncDirectory } from '../fsutil';
import type { Expected } from '../packages/files';
import { fetchInto } from './fetch';

/** What a verified index says of a package: its file's name in the repository, and what the file must be. */
export interface Wanted {
  file: string;
  expected: Expected;
}

export interface PackageCacheOptions {
  dir: string;
  /** The wall clock's time (milliseconds), which file times are compared with. */
  clock: () => number;
  /** Longest silence accepted in a download. */
  idleMs: number;
}

/** How long a cached package is kept after it was last served. */
const KEEP_MS = 7 * 86400_000;
/** A file in use is marked so (its time set) at most this often: enough for KEEP_MS, cheaper than on every request. */
const TOUCH_MS = 3600_000;
/** A partial download nobody has written to for this long was left by a proxy that died. */
const PART_KEEP_MS = 86400_000;
/** A package download may take long; silence is what is limited (PackageCacheOptions.idleMs). */
const DEADLINE_MS = 24 * 3600_000;

export class PackageCache {
  /** Packages verified in the cache (by SHA-256), or being fetched: concurrent requests share one download. */
  private readonly pending = new Map<string, Promise<string>>();

  constructor(private readonly options: PackageCacheOptions) {}

  /**
   * The directory exists, downloads a killed proxy left half-done are gone, and so are packages nobody
   * asked for in a week: pkgin keeps its own copy of what it installs.
   */
  async prepare(): Promise<void> {
    const { dir } = this.options;
    await fs.mkdir(dir, { recursive: true, mode: 0o755 }).catch((cause) => {
      throw ioError('cannot create', dir, cause);
    });
    // Another proxy may share the directory: its download in progress was written to lately, and a
    // package it verified and then lost here is fetched again (open).
    const now = this.options.clock();
    for (const name of await fs.readdir(dir)) {
      const file = path.join(dir, name);
      const stat = await fs.stat(file).catch(() => null);
      if (stat?.isFile() && stat.mtimeMs < now - (name.endsWith('.part') ? PART_KEEP_MS : KEEP_MS))
        await fs.rm(file, { force: true });
    }
  }

  /**
   * The package's verified file, open, with its size: fetched from `upstreamURL` first unless cached,
   * and again if another proxy sharing the cache removed it meanwhile.
   */
  async open(upstreamURL: string, wanted: Wanted): Promise<{ handle: fs.FileHandle; size: number }> {
    for (let attempt = 1; ; attempt++) {
      const file = await this.cached(upstreamURL, wanted);
      let handle: fs.FileHandle;
      try {
        handle = await fs.open(file, 'r');
      } catch (cause) {
        if ((cause as NodeJS.ErrnoException).code !== 'ENOENT' || attempt > 1)
          throw ioError('cannot open', file, cause);
        this.pending.delete(wanted.expected.sha256);
        continue;
      }
      try {
        const stat = await handle.stat();
        if (stat.size !== wanted.expected.size)
          throw new PkgkeysError(
            'SIZE_MISMATCH',
            `the cached copy of ${wanted.file} changed size in ${this.options.dir}`,
          );
        const now = this.options.clock();
        if (stat.mtimeMs < now - TOUCH_MS) await handle.utimes(new Date(now), new Date(now)).catch(() => undefined); // kept while in use (prepare)
        return { handle, size: stat.size };
      } catch (error) {
        await handle.close();
        throw error;
      }
    }
  }

  /** The cache file of a package, checked against the index: fetched once however many ask at the same time. */
  private cached(upstreamURL: string, wanted: Wanted): Promise<string> {
    const key = wanted.expected.sha256;
    let pending = this.pending.get(key);
    if (!pending) {
      pending = this.fetch(upstreamURL, wanted);
      pending.catch(() => this.pending.delete(key));
      this.pending.set(key, pending);
    }
    return pending;
  }

  /**
   * Downloads into a temporary file while hashing, then checks size and SHA-256 and only then renames
   * it to its digest; anything short of that removes the file. A file already there (an earlier run)
   * is hashed again first: the cache is trusted no more than the mirror.
   */
  private async fetch(upstreamURL: string, { file, expected }: Wanted): Promise<string> {
    const { dir } = this.options;
    const target = path.join(dir, `${expected.sha256}.tgz`);
    if (await matches(target, expected)) return target;
    // The name is a plain file name (packageFile checked it); encoded, it cannot become a scheme or a query.
    const url = new URL(encodeURIComponent(file), `${upstreamURL}/`);
    const temporary = path.join(dir, `.${expected.sha256}.${randomBytes(6).toString('hex')}.part`);
    const handle = await fs.open(temporary, 'wx', 0o644);
    try {
      const hash = createHash('sha256');
      let size = 0;
      // The limit is the size the index says: more is SIZE_MISMATCH.
      await fetchInto(
        { url, limit: expected.size, overLimit: 'SIZE_MISMATCH', timeoutMs: DEADLINE_MS, idleMs: this.options.idleMs },
        handle,
        (chunk) => {
          hash.update(chunk);
          size += chunk.length;
        },
      );
      if (size !== expected.size)
        throw new PkgkeysError('SIZE_MISMATCH', `${url} has ${size} bytes, not the ${expected.size} the index says`);
      const digest = hash.digest('hex');
      if (digest !== expected.sha256)
        throw new PkgkeysError('HASH_MISMATCH', `${url}: SHA-256 ${digest}, the index says ${expected.sha256}`);
      await handle.sync();
      await handle.close();
      await fs.rename(temporary, target);
      await syncDirectory(dir);
      return target;
    } catch (error) {
      await handle.close().catch(() => undefined);
      await fs.rm(temporary, { force: true });
      throw error;
    }
  }
}

/** Whether `file` exists with the size and SHA-256 expected. */
async function matches(file: string, expected: Expected): Promise<boolean> {
  const stat = await fs.stat(file).catch(() => null);
  if (!stat || stat.size !== expected.size) return false;
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex') === expected.sha256;
}
