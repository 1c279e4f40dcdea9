/**
 * A signed binary package repository served on 127.0.0.1 the way a pkgsrc mirror serves one
 * (pkg_summary.gz for pkgin, pkg_summary.asc beside it, the packages), a client machine configured
 * for it under its own PKGKEYS_ROOT, the verifying proxy started in this process, and pkgin's request
 * sequence replayed against that proxy (DESIGN.md §4: pkg_summary.zst, .xz, .bz2, .gz in turn with
 * If-Modified-Since, then <PKGNAME>.tgz).
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { type ProxyOptions, VerifyingProxy } from '../../lib/client/proxy';
import { decompress } from '../../lib/summary/compress';
import { DEFAULT_POLICY } from '../../lib/trust/policy';
import { MirrorServer } from './mirror';
import { type PackageSpec, REPO, Repo, VERIFY_AT, entry } from './repo';

export const PREFIX = `/pub/pkgsrc/packages/${REPO}/`;

/** Packages with random content, of the sizes given. */
export const packagesOf = (sizes: Record<string, number>): PackageSpec[] =>
  Object.entries(sizes).map(([pkgname, size]) => ({ pkgname, content: randomBytes(size) }));

export class Upstream {
  private constructor(
    readonly repo: Repo,
    readonly mirror: MirrorServer,
  ) {}

  /** The repository URL, as pkgin's repositories.conf would have it. */
  get url(): string {
    return this.mirror.url.replace(/\/$/, '');
  }

  static async start(): Promise<Upstream> {
    return new Upstream(await Repo.create(), await MirrorServer.start(PREFIX));
  }

  /**
   * Publishes `packages` as a build host does: the package files, pkg_summary.gz, and pkg_summary.asc
   * signed at `at` (SIGNED_AT by default). Returns the signed index.
   */
  async publish(packages: PackageSpec[], options: { at?: Date; expires?: string } = {}): Promise<Buffer> {
    const text = await this.repo.publish(packages);
    for (const p of packages) this.mirror.files.set(`${p.pkgname}.tgz`, { body: p.content });
    this.mirror.files.set('pkg_summary.gz', { body: gzipSync(Buffer.from(text)) });
    const { file } = await this.repo.sign({ at: options.at, expires: options.expires });
    const signed = await fs.readFile(file);
    this.serveIndex(signed);
    return signed;
  }

  /** Serves `body` as the signed index, in place of whatever was served. */
  serveIndex(body: Buffer, form = 'pkg_summary.asc'): void {
    for (const name of [...this.mirror.files.keys()])
      if (name.startsWith('pkg_summary.asc')) this.mirror.files.delete(name);
    this.mirror.files.set(form, { body });
  }

  async stop(): Promise<void> {
    await this.mirror.close();
    await this.repo.cleanup();
  }
}

/** A pkg_summary text for `packages` (with sizes and checksums), as Upstream.publish writes it. */
export const summaryOf = (packages: PackageSpec[]): string =>
  packages.map((p) => entry(p.pkgname, [], p.content)).join('');

/** A client machine: PKGKEYS_ROOT with the anchor, the live keyring and pkgkeys.conf naming the upstream repository. */
export class ClientRoot {
  private constructor(
    readonly root: string,
    readonly upstreamURL: string,
  ) {}

  static async create(upstream: Upstream, dir = upstream.repo.path('client')): Promise<ClientRoot> {
    const client = new ClientRoot(dir, upstream.url);
    await fs.mkdir(client.path('etc/pkgkeys/anchors'), { recursive: true });
    await fs.mkdir(client.path('var/db/pkgkeys'), { recursive: true });
    await fs.copyFile(upstream.repo.path('master.asc'), client.path('etc/pkgkeys/anchors/pkgsrc.asc'));
    await client.installKeyring(upstream.repo);
    await fs.writeFile(client.path('etc/pkgkeys/pkgkeys.conf'), `repository ${REPO} ${upstream.url}\n`);
    return client;
  }

  path(...parts: string[]): string {
    return path.join(this.root, ...parts);
  }

  get env(): Record<string, string> {
    return { PKGKEYS_ROOT: this.root };
  }

  /** The repository's keyring (after a revocation, say) as the live keyring `pkgkeys update` would install. */
  async installKeyring(repo: Repo): Promise<void> {
    await repo.writeKeyring();
    await fs.copyFile(repo.path('keyring.asc'), this.path('var/db/pkgkeys/keyring.gpg'));
  }

  /**
   * The verifying proxy for this client, in this process, on an ephemeral loopback port, its refusals
   * collected in `log`; its request clock is `at` (a time, or a function the test moves on).
   */
  async proxy(
    options: { at?: Date | (() => Date); timeoutMs?: number } & Pick<ProxyOptions, 'onVerified' | 'clock'> = {},
  ): Promise<{ proxy: VerifyingProxy; log: string[]; repoURL: string }> {
    const log: string[] = [];
    const live = this.path('var/db/pkgkeys');
    const proxy = await VerifyingProxy.start(
      {
        upstreams: [{ repository: REPO, url: this.upstreamURL }],
        anchors: [this.path('etc/pkgkeys/anchors/pkgsrc.asc')],
        keyring: path.join(live, 'keyring.gpg'),
        liveDir: live,
        stateDir: path.join(live, 'state'),
        cacheDir: path.join(live, 'cache'),
        policy: DEFAULT_POLICY,
        now: typeof options.at === 'function' ? options.at : () => (options.at as Date | undefined) ?? VERIFY_AT,
        timeoutMs: options.timeoutMs ?? 5000,
        log: (line) => void log.push(line),
        onVerified: options.onVerified,
        clock: options.clock,
      },
      { host: '127.0.0.1', port: 0 },
    );
    return { proxy, log, repoURL: `${proxy.url}/${REPO}` };
  }

  /** Files in the proxy's package cache, temporary ones included (index/ holds the verified indexes, not packages). */
  async cacheFiles(): Promise<string[]> {
    return (await fs.readdir(this.path('var/db/pkgkeys/cache')).catch(() => []))
      .filter((name) => name !== 'index')
      .sort();
  }
}

export interface Response {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  /** The connection ended before Content-Length bytes came. */
  truncated: boolean;
}

/** One plain GET (or other method) as libfetch would send it: a path, optional headers, nothing clever. */
export function request(
  url: string,
  options: { method?: string; headers?: Record<string, string>; path?: string } = {},
): Promise<Response> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const req = http.request({
      host: target.hostname,
      port: target.port,
      path: options.path ?? target.pathname,
      method: options.method ?? 'GET',
      headers: options.headers,
      agent: false,
    });
    req.on('error', reject);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', () => undefined);
      res.on('close', () => {
        const body = Buffer.concat(chunks);
        const declared = res.headers['content-length'] === undefined ? null : Number(res.headers['content-length']);
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body,
          truncated: !res.complete || (declared !== null && declared !== body.length),
        });
      });
    });
    req.end();
  });
}

/** The extensions pkgin asks for, in its order. */
export const PKGIN_EXTENSIONS = ['zst', 'xz', 'bz2', 'gz'] as const;

export interface SummaryFetch {
  /** Every request made: extension and HTTP status. */
  tried: Array<{ ext: string; status: number }>;
  /** 200: the decompressed text; 304: up to date; otherwise pkgin gives up. */
  outcome: { status: 200; text: Buffer; lastModified: string } | { status: 304 } | { status: number };
}

/** pkgin's refresh of a repository's pkg_summary: each extension in turn, If-Modified-Since the time it holds. */
export async function pkginSummary(repoURL: string, lastModified?: string): Promise<SummaryFetch> {
  const tried: SummaryFetch['tried'] = [];
  for (const ext of PKGIN_EXTENSIONS) {
    const res = await request(`${repoURL}/pkg_summary.${ext}`, {
      headers: lastModified ? { 'if-modified-since': lastModified } : {},
    });
    tried.push({ ext, status: res.status });
    if (res.status === 404) continue;
    if (res.status === 304) return { tried, outcome: { status: 304 } };
    if (res.status !== 200) return { tried, outcome: { status: res.status } };
    return {
      tried,
      outcome: {
        status: 200,
        text: await decompress(res.body, ext, 1 << 30),
        lastModified: String(res.headers['last-modified']),
      },
    };
  }
  return { tried, outcome: { status: 404 } };
}

/** pkgin's download of a package: always <PKGNAME>.tgz, whatever FILE_NAME says. */
export const pkginPackage = (repoURL: string, pkgname: string): Promise<Response> =>
  request(`${repoURL}/${pkgname}.tgz`);

/** A proxy answer as a refusal: the status and the code of its one-line `pkgkeys: CODE: message` body (null if the body is anything else). */
export function refusalOf(res: Response): { status: number; code: string | null } {
  return { status: res.status, code: /^pkgkeys: ([A-Z_]+): [^\n]*\n$/.exec(res.body.toString('latin1'))?.[1] ?? null };
}

/** The proxy's log as `<file>: <CODE>` per line (a line in any other form is kept whole, to show in a diff). */
export const loggedCodes = (log: string[]): string[] =>
  log.map((line) => {
    const m = /^pkgkeys: proxy: refused \S+\/([^/\s]+): ([A-Z_]+): [^\n]*$/.exec(line);
    return m ? `${m[1]}: ${m[2]}` : line;
  });

/** An upstream publishing `packages` and a client configured for it, for a whole test file: made before its tests, stopped after. */
export function withPublished(packages: PackageSpec[]): { upstream: Upstream; client: ClientRoot } {
  const published = {} as { upstream: Upstream; client: ClientRoot };
  beforeAll(async () => {
    published.upstream = await Upstream.start();
    await published.upstream.publish(packages);
    published.client = await ClientRoot.create(published.upstream);
  }, 60_000);
  afterAll(() => published.upstream?.stop());
  return published;
}
