/**
 * The verifying repository proxy (`pkgkeys proxy`, `pkgkeys pkgin`): pkgin, unpatched, talks to it
 * instead of the mirror, and every byte it gets has been verified (DESIGN.md §4).
 *
 *   GET /<ID>/pkg_summary.{zst,xz,bz2,gz}  the text of the repository's signed index, once it verified
 *                                          (chain, signature, freshness, rollback state), compressed as
 *                                          asked; Last-Modified is the signature time, so pkgin's
 *                                          If-Modified-Since gets 304 exactly while the index is unchanged.
 *   GET /<ID>/<PKGNAME>.tgz                the package that index lists, fetched upstream under its
 *                                          FILE_NAME into the cache while hashed, and served only once
 *                                          its FILE_SIZE and FILE_CKSUM matched.
 *
 * Anything else is 404: only configured repositories, only those names, no path tricks, no
 * absolute-form requests (it is not an open proxy). A refusal is an HTTP error and one log line;
 * upstream bytes that did not verify are never served.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { EXIT, PkgkeysError, ioError } from '../errors';
import { syncDirectory } from '../fsutil';
import { checkInstalledInForce } from '../keyring/live';
import { loadTrustGraph } from '../keyring/store';
import { type Expected, PACKAGE_VARIABLES, expectedOf, packageFile, pkgnameOf } from '../packages/files';
import { EXTENSIONS, compress } from '../summary/compress';
import { parseSummary } from '../summary/format';
import type { Policy } from '../trust/policy';
import type { VerifiedSummary } from '../verify';
import { FreshnessState } from '../verify/state';
import type { Repository } from './config';
import { fetchStream } from './fetch';
import { type Download, verifyRemoteIndex } from './remote-index';

export interface ProxyOptions {
  repositories: readonly Repository[];
  anchors: readonly string[];
  /** The live keyring `pkgkeys update` keeps current: read again whenever it changes. */
  keyring: string;
  /** Where `pkgkeys update` installs it: an expired release there is refused (KEYRING_FROZEN). */
  liveDir: string;
  stateDir: string;
  cacheDir: string;
  policy: Policy;
  /** The time of a request (tests fix it). */
  now: () => Date;
  /** Upstream: the whole index download, and the longest silence in a package download. */
  timeoutMs: number;
  /** One line per refusal. */
  log: (line: string) => void;
  /**
   * Called with each index that verified, before it is served or its packages are: what each PKGNAME's
   * file must be, or why it has none. A failure refuses the index (`pkgkeys pkgin` cleans pkgin's cache).
   */
  beforeServing?: (packages: ReadonlyMap<string, Expected | PkgkeysError>) => Promise<void>;
}

export interface Listen {
  host: string;
  port: number;
}

/** What the verified index says of one package: where to fetch it and what it must be, or why it cannot be served. */
type Listing = { file: string; expected: Expected } | { error: PkgkeysError };

/** A repository's index as last verified, and what is derived from it. */
interface Current {
  download: Download;
  index: VerifiedSummary;
  listings: Map<string, Listing>;
  /** Identifies the keyring file the index was verified against. */
  keyring: string;
  /** When (by the request clock) it was verified. */
  verified: Date;
  /** The text compressed for pkgin, per extension, made on first request. */
  compressed: Map<string, Promise<Buffer | null>>;
}

type Route = { repository: Repository; name: string } & ({ kind: 'summary'; ext: keyof typeof EXTENSIONS } | { kind: 'package'; pkgname: string });

/** How long a verified index is used for packages before it is verified again (a certification may have expired meanwhile). */
const REVERIFY_MS = 10 * 60_000;
/** How long a cached package is kept after it was last served (the wall clock's time, not a request's). */
const CACHE_KEEP_MS = 7 * 86400_000;
/** A partial download nobody has written to for this long was left by a proxy that died. */
const PART_KEEP_MS = 86400_000;
/** A package download may take long; silence is what is limited (ProxyOptions.timeoutMs). */
const PACKAGE_DEADLINE_MS = 24 * 3600_000;
/** Characters a request path may hold: those of repository identifiers and package names, nothing encoded. */
const PATH = /^\/[A-Za-z0-9._+\-/]+$/;
const SUMMARY = /^pkg_summary\.(zst|xz|bz2|gz)$/;
const PACKAGE = /^(.+)\.tgz$/;

export class VerifyingProxy {
  private readonly current = new Map<string, Current>();
  /** Index refreshes in flight, per repository: concurrent requests share one. */
  private readonly refreshing = new Map<string, Promise<Current>>();
  /** Packages verified in the cache (by SHA-256), or being fetched: concurrent requests share one download. */
  private readonly packages = new Map<string, Promise<string>>();
  private readonly server: http.Server;
  url = '';

  private constructor(private readonly options: ProxyOptions) {
    this.server = http.createServer((req, res) => void this.answer(req, res));
  }

  static async start(options: ProxyOptions, listen: Listen): Promise<VerifyingProxy> {
    const proxy = new VerifyingProxy(options);
    await proxy.prepareCache();
    await new Promise<void>((resolve, reject) => {
      proxy.server.once('error', (cause: NodeJS.ErrnoException) => {
        const where = `${listen.host}:${listen.port}`;
        if (cause.code !== 'EADDRINUSE') return reject(ioError('cannot listen on', where, cause));
        reject(new PkgkeysError('IO_ERROR', `${where} is in use: by a pkgkeys proxy already running (then run pkgin with the PKG_REPOS it printed), or choose another with --listen`, { cause }));
      });
      proxy.server.listen(listen.port, listen.host, resolve);
    });
    const address = proxy.server.address() as AddressInfo;
    proxy.url = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
    return proxy;
  }

  /** The URL pkgin is given for a repository (PKG_REPOS). */
  repositoryURL(repository: Repository): string {
    return `${this.url}/${repository.id}`;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /**
   * The cache directory exists, downloads a killed proxy left half-done are gone, and so are packages
   * nobody asked for in a week: pkgin keeps its own copy of what it installs.
   */
  private async prepareCache(): Promise<void> {
    const dir = this.options.cacheDir;
    await fs.mkdir(dir, { recursive: true, mode: 0o755 }).catch((cause) => {
      throw ioError('cannot create', dir, cause);
    });
    // Another proxy may share the directory: its download in progress was written to lately, and a
    // package it verified and then lost here is fetched again (servePackage).
    const now = Date.now();
    for (const name of await fs.readdir(dir)) {
      const file = path.join(dir, name);
      const stat = await fs.stat(file).catch(() => null);
      if (stat !== null && stat.mtimeMs < now - (name.endsWith('.part') ? PART_KEEP_MS : CACHE_KEEP_MS)) await fs.rm(file, { force: true });
    }
  }

  private async answer(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    if (req.method !== 'GET' && req.method !== 'HEAD') return void res.writeHead(405, { allow: 'GET, HEAD' }).end();
    const route = this.route(req.url ?? '');
    if (!route) return void res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    try {
      if (route.kind === 'summary') await this.serveSummary(route, req, res);
      else await this.servePackage(route, req, res);
    } catch (error) {
      this.refuse(route, error, res);
    }
  }

  /** What a request path names, or null: only `/<configured ID>/<file>`, with nothing encoded or relative in it. */
  private route(target: string): Route | null {
    if (!PATH.test(target)) return null;
    const segments = target.slice(1).split('/');
    if (segments.some((s) => s === '' || s === '.' || s === '..')) return null;
    const name = segments.pop()!;
    const repository = this.options.repositories.find((r) => r.id === segments.join('/'));
    if (!repository) return null;
    const summary = SUMMARY.exec(name);
    if (summary) return { repository, name, kind: 'summary', ext: summary[1] as keyof typeof EXTENSIONS };
    const pkg = PACKAGE.exec(name);
    return pkg ? { repository, name, kind: 'package', pkgname: pkg[1]! } : null;
  }

  private refuse(route: Route, error: unknown, res: http.ServerResponse): void {
    const failure = error instanceof PkgkeysError ? error : new PkgkeysError('IO_ERROR', `unexpected error: ${(error as Error)?.stack ?? String(error)}`);
    // One line per refusal, whatever the message quotes: a line end from upstream cannot forge another.
    const message = failure.message.replace(/\n/g, '\\n');
    this.options.log(`pkgkeys: proxy: refused ${route.repository.id}/${route.name}: ${failure.code}: ${message}`);
    const status = failure.code === 'UNKNOWN_PACKAGE' ? 404 : failure.exitStatus === EXIT.notTrusted ? 403 : failure.exitStatus === EXIT.io ? 502 : 500;
    if (res.headersSent) return void res.destroy(); // a package cut off: pkgin sees a short file, never a wrong one
    res.writeHead(status, { 'content-type': 'text/plain' }).end(`pkgkeys: ${failure.code}: ${message}\n`);
  }

  /** pkg_summary: the upstream index is fetched and verified again for every request, as pkgin asks only to refresh. */
  private async serveSummary(route: Route & { kind: 'summary' }, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const current = await this.refresh(route.repository);
    const lastModified = current.index.signed.toUTCString();
    // Exactly the time this proxy gave: any other copy pkgin holds (a direct download, an older index) is replaced.
    if (req.headers['if-modified-since'] === lastModified) return void res.writeHead(304, { 'last-modified': lastModified }).end();
    const body = await this.compressed(current, route.ext);
    if (body === null) return void res.writeHead(404, { 'content-type': 'text/plain' }).end(`no ${EXTENSIONS[route.ext]} compressor here\n`);
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': body.length, 'last-modified': lastModified });
    res.end(req.method === 'HEAD' ? undefined : body);
  }

  private compressed(current: Current, ext: keyof typeof EXTENSIONS): Promise<Buffer | null> {
    let made = current.compressed.get(ext);
    if (!made) {
      // A missing tool means pkgin should try its next extension; gzip is always there.
      made = compress(current.index.text, EXTENSIONS[ext], `pkg_summary.${ext}`, { fast: true }).catch((error: unknown) => {
        if (error instanceof PkgkeysError && error.code === 'IO_ERROR' && /cannot run/.test(error.message)) return null;
        current.compressed.delete(ext);
        throw error;
      });
      current.compressed.set(ext, made);
    }
    return made;
  }

  /** Packages: looked up in the verified index (refreshed if it expired or the keyring changed), served from the cache once checked. */
  private async servePackage(route: Route & { kind: 'package' }, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const current = await this.usable(route.repository);
    const listing = current.listings.get(route.pkgname);
    if (!listing) throw new PkgkeysError('UNKNOWN_PACKAGE', `${route.pkgname} is not in the verified index of ${route.repository.id}`);
    if ('error' in listing) throw listing.error;
    const handle = await this.openCached(route.repository, listing);
    try {
      const { size } = await handle.stat();
      if (size !== listing.expected.size) throw new PkgkeysError('SIZE_MISMATCH', `the cached copy of ${route.pkgname} changed size in ${this.options.cacheDir}`);
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': size });
      if (req.method === 'HEAD') return void res.end();
      await new Promise<void>((resolve, reject) => {
        const stream = createReadStream('', { fd: handle, autoClose: false });
        stream.on('error', reject);
        res.on('close', () => {
          stream.destroy();
          resolve();
        });
        stream.pipe(res);
      });
    } finally {
      await handle.close();
    }
  }

  /** The package's verified cache file, open; fetched again if another proxy sharing the cache removed it meanwhile. */
  private async openCached(repository: Repository, listing: { file: string; expected: Expected }): Promise<fs.FileHandle> {
    for (let attempt = 1; ; attempt++) {
      const file = await this.cached(repository, listing);
      try {
        const handle = await fs.open(file, 'r');
        const touched = new Date();
        await fs.utimes(file, touched, touched).catch(() => undefined); // kept while in use (prepareCache)
        return handle;
      } catch (cause) {
        if ((cause as NodeJS.ErrnoException).code !== 'ENOENT' || attempt > 1) throw ioError('cannot open', file, cause);
        this.packages.delete(listing.expected.sha256);
      }
    }
  }

  /**
   * The verified index, if it may still be used now; else a fresh one. Besides the index's own expiry
   * and the keyring, time alone ends a key's or a certification's validity: a verdict is not kept long.
   */
  private async usable(repository: Repository): Promise<Current> {
    const current = this.current.get(repository.id);
    const now = this.options.now();
    const fresh = current && now < current.index.expires && now.getTime() - current.verified.getTime() < REVERIFY_MS;
    if (fresh && current.keyring === (await this.keyringStamp())) return current;
    return this.refresh(repository);
  }

  private refresh(repository: Repository): Promise<Current> {
    let pending = this.refreshing.get(repository.id);
    if (!pending) {
      pending = this.verifyIndex(repository).finally(() => this.refreshing.delete(repository.id));
      this.refreshing.set(repository.id, pending);
    }
    return pending;
  }

  private async verifyIndex(repository: Repository): Promise<Current> {
    const { options } = this;
    const previous = this.current.get(repository.id);
    const keyring = await this.keyringStamp();
    const now = options.now();
    await checkInstalledInForce(options.liveDir, now);
    const graph = await loadTrustGraph(options.anchors, options.keyring);
    const { index, download } = await verifyRemoteIndex(repository, {
      graph, now, policy: options.policy, state: new FreshnessState(options.stateDir), timeoutMs: options.timeoutMs, previous: previous?.download,
    });
    const same = previous?.download.raw.equals(download.raw);
    const current: Current = { download, index, keyring, verified: new Date(now), listings: same ? previous!.listings : listingsOf(index), compressed: same ? previous!.compressed : new Map() };
    if (!same && options.beforeServing) {
      await options.beforeServing(new Map([...current.listings].map(([pkgname, listing]) => [pkgname, 'error' in listing ? listing.error : listing.expected])));
    }
    this.current.set(repository.id, current);
    return current;
  }

  private async keyringStamp(): Promise<string> {
    const stat = await fs.stat(this.options.keyring).catch((cause) => {
      throw ioError('cannot read the keyring (run pkgkeys update)', this.options.keyring, cause);
    });
    return `${stat.dev}:${stat.ino}:${stat.size}:${stat.mtimeMs}`;
  }

  /** The cache file of a package, checked against the index: fetched once however many ask at the same time. */
  private cached(repository: Repository, listing: { file: string; expected: Expected }): Promise<string> {
    const key = listing.expected.sha256;
    let pending = this.packages.get(key);
    if (!pending) {
      pending = this.fetchPackage(repository, listing);
      pending.catch(() => this.packages.delete(key));
      this.packages.set(key, pending);
    }
    return pending;
  }

  /**
   * Downloads into a temporary file while hashing, then checks size and SHA-256 and only then renames
   * it to its digest; anything short of that removes the file. A file already there (an earlier run)
   * is hashed again first: the cache is trusted no more than the mirror.
   */
  private async fetchPackage(repository: Repository, { file, expected }: { file: string; expected: Expected }): Promise<string> {
    const target = path.join(this.options.cacheDir, `${expected.sha256}.tgz`);
    if (await matches(target, expected)) return target;
    // The name is a plain file name (packageFile checked it); encoded, it cannot become a scheme or a query.
    const url = new URL(encodeURIComponent(file), `${repository.url}/`);
    const temporary = path.join(this.options.cacheDir, `.${expected.sha256}.${randomBytes(6).toString('hex')}.part`);
    const handle = await fs.open(temporary, 'wx', 0o644);
    try {
      const hash = createHash('sha256');
      let size = 0;
      // The limit is the size the index says: more is SIZE_MISMATCH.
      await fetchStream({ url, limit: expected.size, overLimit: 'SIZE_MISMATCH', timeoutMs: PACKAGE_DEADLINE_MS, idleMs: this.options.timeoutMs }, async (chunk) => {
        hash.update(chunk);
        size += chunk.length;
        await handle.write(chunk);
      });
      if (size !== expected.size) throw new PkgkeysError('SIZE_MISMATCH', `${url} has ${size} bytes, not the ${expected.size} the index says`);
      const digest = hash.digest('hex');
      if (digest !== expected.sha256) throw new PkgkeysError('HASH_MISMATCH', `${url}: SHA-256 ${digest}, the index says ${expected.sha256}`);
      await handle.sync();
      await handle.close();
      await fs.rename(temporary, target);
      await syncDirectory(this.options.cacheDir);
      return target;
    } catch (error) {
      await handle.close().catch(() => undefined);
      await fs.rm(temporary, { force: true });
      throw error;
    }
  }
}

/** Every package of a verified index by PKGNAME, with its file name and checksum, or the reason it has none usable. */
function listingsOf(index: VerifiedSummary): Map<string, Listing> {
  const listings = new Map<string, Listing>();
  for (const entry of parseSummary(index.text, index.repository, PACKAGE_VARIABLES)) {
    let listing: Listing;
    try {
      listing = { file: path.basename(packageFile('/', entry)), expected: expectedOf(entry) };
    } catch (error) {
      if (!(error instanceof PkgkeysError)) throw error;
      listing = { error };
    }
    listings.set(pkgnameOf(entry), listing);
  }
  return listings;
}

/** Whether `file` exists with the size and SHA-256 expected. */
async function matches(file: string, expected: Expected): Promise<boolean> {
  const stat = await fs.stat(file).catch(() => null);
  if (!stat || stat.size !== expected.size) return false;
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex') === expected.sha256;
}
