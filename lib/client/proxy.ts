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
import { read as fsRead, promises as fs } from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { EXIT, PkgkeysError, ioError } from '../errors';
import type { RepositoryId } from '../model';
import { EXTENSIONS } from '../summary/compress';
import type { Policy } from '../trust/policy';
import type { Upstream } from './config';
import { PackageCache } from './package-cache';
import { type Extension, type IndexPackages, VerifiedIndexes } from './verified-index';

export interface ProxyOptions {
  upstreams: readonly Upstream[];
  anchors: readonly string[];
  /** The live keyring `pkgkeys update` keeps current: read again whenever it changes. */
  keyring: string;
  /** Where `pkgkeys update` installs it: an expired release there is refused (KEYRING_FROZEN). */
  liveDir: string;
  stateDir: string;
  /** Verified packages, and (in index/) the verified indexes. */
  cacheDir: string;
  policy: Policy;
  /** The time of a request (tests fix it). */
  now: () => Date;
  /** The wall clock, which the cache's file times are compared with (default: the system's). */
  clock?: () => number;
  /** Upstream: the whole index download, and the longest silence in a package download. */
  timeoutMs: number;
  /** One line per refusal. */
  log: (line: string) => void;
  /**
   * Called with each index that verified, before it is served or its packages are: what each PKGNAME's
   * file must be, or why it has none. A failure refuses the index (`pkgkeys pkgin` cleans pkgin's cache).
   */
  beforeServing?: (packages: IndexPackages) => Promise<void>;
  /** Told of each index verification: read and hashed, or an unchanged index judged again without that. */
  onVerified?: (repository: RepositoryId, how: 'read' | 'rechecked') => void;
}

export interface Listen {
  host: string;
  port: number;
}

type Route = { upstream: Upstream; name: string } & (
  { kind: 'summary'; ext: Extension } | { kind: 'package'; pkgname: string }
);

/** Characters a request path may hold: those of repository identifiers and package names, nothing encoded. */
const PATH = /^\/[A-Za-z0-9._+\-/]+$/;
const SUMMARY = /^pkg_summary\.(zst|xz|bz2|gz)$/;
const PACKAGE = /^(.+)\.tgz$/;
/** Bytes read from a file at a time to be sent. */
const CHUNK = 256 * 1024;

export class VerifyingProxy {
  private readonly server: http.Server;
  private readonly indexes: VerifiedIndexes;
  private readonly packages: PackageCache;
  url = '';

  private constructor(private readonly options: ProxyOptions) {
    this.server = http.createServer((req, res) => void this.answer(req, res));
    const { cacheDir } = options;
    this.indexes = new VerifiedIndexes({ ...options, dir: path.join(cacheDir, 'index') });
    this.packages = new PackageCache({ dir: cacheDir, clock: options.clock ?? Date.now, idleMs: options.timeoutMs });
  }

  static async start(options: ProxyOptions, listen: Listen): Promise<VerifyingProxy> {
    const proxy = new VerifyingProxy(options);
    await proxy.packages.prepare();
    await proxy.indexes.prepare();
    await new Promise<void>((resolve, reject) => {
      proxy.server.once('error', (cause: NodeJS.ErrnoException) => {
        const where = `${listen.host}:${listen.port}`;
        if (cause.code !== 'EADDRINUSE') return reject(ioError('cannot listen on', where, cause));
        reject(
          new PkgkeysError(
            'IO_ERROR',
            `${where} is in use: by a pkgkeys proxy already running (then run pkgin with the PKG_REPOS it printed), or choose another with --listen`,
            { cause },
          ),
        );
      });
      proxy.server.listen(listen.port, listen.host, resolve);
    }).catch(async (error: unknown) => {
      await proxy.indexes.close();
      throw error;
    });
    const address = proxy.server.address() as AddressInfo;
    proxy.url = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
    return proxy;
  }

  /** The URL pkgin is given for a repository (PKG_REPOS). */
  pkginURL(upstream: Upstream): string {
    return `${this.url}/${upstream.repository}`;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    await this.indexes.close();
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
    const upstream = this.options.upstreams.find((u) => u.repository === segments.join('/'));
    if (!upstream) return null;
    const summary = SUMMARY.exec(name);
    if (summary) return { upstream, name, kind: 'summary', ext: summary[1] as Extension };
    const pkg = PACKAGE.exec(name);
    return pkg ? { upstream, name, kind: 'package', pkgname: pkg[1]! } : null;
  }

  private refuse(route: Route, error: unknown, res: http.ServerResponse): void {
    const failure =
      error instanceof PkgkeysError
        ? error
        : new PkgkeysError('IO_ERROR', `unexpected error: ${(error as Error)?.stack ?? String(error)}`);
    // One line per refusal, whatever the message quotes: a line end from upstream cannot forge another.
    const message = failure.message.replace(/\n/g, '\\n');
    this.options.log(`pkgkeys: proxy: refused ${route.upstream.repository}/${route.name}: ${failure.code}: ${message}`);
    const status =
      failure.code === 'UNKNOWN_PACKAGE'
        ? 404
        : failure.exitStatus === EXIT.notTrusted
          ? 403
          : failure.exitStatus === EXIT.io
            ? 502
            : 500;
    if (res.headersSent) return void res.destroy(); // a package cut off: pkgin sees a short file, never a wrong one
    res.writeHead(status, { 'content-type': 'text/plain' }).end(`pkgkeys: ${failure.code}: ${message}\n`);
  }

  /** pkg_summary: the upstream index is asked for again for every request, as pkgin asks only to refresh. */
  private async serveSummary(
    route: Route & { kind: 'summary' },
    req: http.IncomingMessage,
    res: http.ServerResponse,
  ): Promise<void> {
    const current = await this.indexes.refresh(route.upstream, route.ext);
    const lastModified = current.verdict.signed.toUTCString();
    // Exactly the time this proxy gave: any other copy pkgin holds (a direct download, an older index) is replaced.
    if (req.headers['if-modified-since'] === lastModified)
      return void res.writeHead(304, { 'last-modified': lastModified }).end();
    const file = await current.text.compressed(route.ext);
    if (file === null)
      return void res
        .writeHead(404, { 'content-type': 'text/plain' })
        .end(`no ${EXTENSIONS[route.ext]} compressor here\n`);
    await send(await openFile(file), { 'last-modified': lastModified }, req, res);
  }

  /** Packages: looked up in the verified index (refreshed if it expired or the keyring changed), served from the cache once checked. */
  private async servePackage(
    route: Route & { kind: 'package' },
    req: http.IncomingMessage,
    res: http.ServerResponse,
  ): Promise<void> {
    const current = await this.indexes.usable(route.upstream);
    const listing = await current.text.listing(route.pkgname);
    if (!listing)
      throw new PkgkeysError(
        'UNKNOWN_PACKAGE',
        `${route.pkgname} is not in the verified index of ${route.upstream.repository}`,
      );
    if ('error' in listing) throw listing.error;
    await send(await this.packages.open(route.upstream.url, listing), {}, req, res);
  }
}

async function openFile(file: string): Promise<{ handle: fs.FileHandle; size: number }> {
  const handle = await fs.open(file, 'r').catch((cause) => Promise.reject(ioError('cannot open', file, cause)));
  return { handle, size: (await handle.stat()).size };
}

/** An open file as the answer, streamed as it is read; the file is closed at the end, however it ends. */
async function send(
  { handle, size }: { handle: fs.FileHandle; size: number },
  headers: http.OutgoingHttpHeaders,
  req: http.IncomingMessage,
  res: http.ServerResponse,
): Promise<void> {
  try {
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': size, ...headers });
    if (req.method === 'HEAD' || size === 0) return void res.end();
    await stream(handle.fd, size, res);
  } finally {
    await handle.close();
  }
}

/**
 * The first `size` bytes of file `fd` to `res`, through two buffers in turn: one is read into while
 * the other is sent, and reused once sent. Serving gigabytes so allocates nothing; a stream's fresh
 * buffer for every read costs the proxy, whose heap holds OpenPGP.js, as much in garbage collection
 * as the copying itself. A client that goes away ends it early, which is not the file's failure.
 */
async function stream(fd: number, size: number, res: http.ServerResponse): Promise<void> {
  const buffers = [Buffer.allocUnsafeSlow(CHUNK), Buffer.allocUnsafeSlow(CHUNK)];
  const sent: Array<Promise<void>> = [Promise.resolve(), Promise.resolve()];
  try {
    for (let at = 0, i = 0; at < size; i ^= 1) {
      await sent[i];
      const length = await read(fd, buffers[i]!, Math.min(CHUNK, size - at), at);
      if (length === 0)
        throw new PkgkeysError('IO_ERROR', `a file being served ended after ${at} of its ${size} bytes`);
      at += length;
      sent[i] = new Promise((resolve, reject) =>
        res.write(buffers[i]!.subarray(0, length), (error) => (error ? reject(error) : resolve())),
      );
      sent[i]!.catch(() => undefined); // awaited in turn, or below
    }
    await Promise.all(sent);
  } catch (error) {
    if (res.destroyed) return;
    throw error;
  }
  res.end();
}

const read = (fd: number, buffer: Buffer, length: number, position: number) =>
  new Promise<number>((resolve, reject) =>
    fsRead(fd, buffer, 0, length, position, (error, bytesRead) =>
      error ? reject(ioError('cannot read', `descriptor ${fd}`, error)) : resolve(bytesRead),
    ),
  );
