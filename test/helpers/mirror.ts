/**
 * A keyring's whole life for tests: a master key, a publisher certified for keyring/pkgsrc, build hosts
 * and a pkg-vulnerabilities signer; the decomposed keyring; releases made with `pkgkeys keyring
 * publish`; a real HTTP mirror on 127.0.0.1; and clients that run `pkgkeys update` under PKGKEYS_ROOT.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { importKeys } from '../../lib/keyring/store';
import { BIN, type CliResult, cleanup, pkgkeys, pkgkeysLoading, tempDir } from './cli';
import { iso } from './repo';
import { type TestKey, World, day } from './world';

export const KEYRING = 'keyring/pkgsrc';
export const PUBLISHED_AT = day(100);
export const UPDATE_AT = new Date(PUBLISHED_AT.getTime() + 3600_000);
export { BIN };

/** What the mirror answers for one path; the fields beyond `body` are misbehaviours. */
export interface Served {
  body: Buffer;
  type?: string | null;
  etag?: string;
  /** Announce this Content-Length instead of the true one. */
  contentLength?: number | null;
  /** Send this many bytes of the body, then close the connection. */
  dieAfter?: number;
  /** Send this many bytes of the body, then nothing more, keeping the connection open. */
  stallAfter?: number;
  status?: number;
}

export class MirrorServer {
  readonly files = new Map<string, Served>();
  readonly requests: Array<{ path: string; headers: http.IncomingHttpHeaders }> = [];
  private server!: http.Server;
  url = '';

  private constructor(private readonly prefix: string) {}

  /** A server for the files under `prefix` (a path that starts and ends with /); `url` is that directory. */
  static async start(prefix = '/keyring/'): Promise<MirrorServer> {
    const mirror = new MirrorServer(prefix);
    mirror.server = http.createServer((req, res) => mirror.answer(req, res));
    await new Promise<void>((resolve) => mirror.server.listen(0, '127.0.0.1', resolve));
    mirror.url = `http://127.0.0.1:${(mirror.server.address() as AddressInfo).port}${prefix}`;
    return mirror;
  }

  private answer(req: http.IncomingMessage, res: http.ServerResponse): void {
    const target = req.url ?? '';
    const name = target.startsWith(this.prefix) ? decodeURIComponent(target.slice(this.prefix.length)) : '';
    this.requests.push({ path: name, headers: req.headers });
    const served = this.files.get(name);
    if (!served) return void res.writeHead(404).end('not found');
    if (served.etag && req.headers['if-none-match'] === served.etag) return void res.writeHead(304).end();
    const headers: http.OutgoingHttpHeaders = {};
    if (served.type !== null) headers['content-type'] = served.type ?? contentTypeOf(name);
    if (served.etag) headers.etag = served.etag;
    if (served.contentLength !== null) headers['content-length'] = served.contentLength ?? served.body.length;
    res.writeHead(served.status ?? 200, headers);
    if (served.stallAfter !== undefined) return void res.write(served.body.subarray(0, served.stallAfter));
    if (served.dieAfter === undefined) return void res.end(served.body);
    res.write(served.body.subarray(0, served.dieAfter), () => res.socket?.destroy());
  }

  /** Serves a release: release.asc and keyring.gpg, with ETags. */
  serve(release: Release): void {
    this.files.set('release.asc', { body: release.statement, etag: etagOf(release.statement) });
    this.files.set('keyring.gpg', { body: release.keyring, etag: etagOf(release.keyring) });
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/**
 * The Content-Type a web server on Debian sends for a name: /etc/mime.types (media-types), which Apache
 * and Python's http.server read, and Python's own map for .bz2; anything else application/octet-stream.
 */
const MIME_TYPES: Record<string, string> = {
  asc: 'application/pgp-keys',
  gz: 'application/gzip',
  bz2: 'application/x-bzip2',
  xz: 'application/x-xz',
  zst: 'application/zstd',
  tgz: 'application/x-gtar-compressed',
};
export const contentTypeOf = (name: string): string =>
  MIME_TYPES[/\.([^.]+)$/.exec(name)?.[1] ?? ''] ?? 'application/octet-stream';

export const etagOf = (body: Buffer) => `"${createHash('sha256').update(body).digest('hex').slice(0, 16)}"`;

export interface Release {
  serial: number;
  statement: Buffer;
  keyring: Buffer;
}

export class KeyringSite {
  readonly world = new World();
  master!: TestKey;
  publisher!: TestKey;
  /** RSA, certified for NetBSD/**: the one key pkg_add can use. */
  rsaHost!: TestKey;
  /** Ed25519, certified for NetBSD/**: valid for pkgkeys, unreadable to pkg_add. */
  edHost!: TestKey;
  /** RSA, certified for pkg-vulnerabilities. */
  vuln!: TestKey;

  private constructor(readonly dir: string) {}

  static async create(): Promise<KeyringSite> {
    const site = new KeyringSite(await tempDir('pkgkeys-site-'));
    const w = site.world;
    site.master = await w.key('master');
    site.publisher = await w.key('publisher');
    site.rsaHost = await w.key('rsahost', { type: 'rsa3072' });
    site.edHost = await w.key('edhost');
    site.vuln = await w.key('vuln', { type: 'rsa3072' });
    await w.certify(site.master, site.publisher, { scopes: [KEYRING] });
    await w.certify(site.master, site.rsaHost, { scopes: ['NetBSD/**'] });
    await w.certify(site.master, site.edHost, { scopes: ['NetBSD/**'] });
    await w.certify(site.master, site.vuln, { scopes: ['pkg-vulnerabilities'] });
    await fs.mkdir(site.path('keyrings/pkgsrc'), { recursive: true });
    await site.importWorld();
    await fs.writeFile(site.path('master.asc'), site.master.public);
    await fs.writeFile(site.path('publisher-secret.asc'), site.publisher.secretArmored, { mode: 0o600 });
    return site;
  }

  path(...parts: string[]): string {
    return path.join(this.dir, ...parts);
  }

  /** Brings keyrings/pkgsrc up to the World's material (after a new revocation, say). */
  async importWorld(): Promise<void> {
    await importKeys(this.path('keyrings/pkgsrc'), Buffer.from(this.world.material.join('\n')), 'world');
  }

  /** `pkgkeys keyring publish` into pub/, at `at`; returns the files it wrote. */
  async publish(serial: number, options: { at?: Date; expires?: string; key?: string } = {}): Promise<Release> {
    const result = await pkgkeys([
      'keyring',
      '--keyring',
      this.path('keyrings/pkgsrc'),
      'publish',
      '--now',
      iso(options.at ?? PUBLISHED_AT),
      '--serial',
      String(serial),
      '--key',
      options.key ?? this.path('publisher-secret.asc'),
      '--anchor',
      this.path('master.asc'),
      '--expires',
      options.expires ?? '14d',
      '--out',
      this.path('pub'),
    ]);
    if (result.status !== 0) throw new Error(`keyring publish failed (${result.status}): ${result.stderr}`);
    return {
      serial,
      statement: await fs.readFile(this.path('pub/release.asc')),
      keyring: await fs.readFile(this.path('pub/keyring.gpg')),
    };
  }

  /** A client machine: its own PKGKEYS_ROOT with the anchor installed. */
  async client(name = 'client'): Promise<Client> {
    const root = this.path(name);
    await fs.mkdir(path.join(root, 'etc/pkgkeys/anchors'), { recursive: true });
    await fs.writeFile(path.join(root, 'etc/pkgkeys/anchors/pkgsrc.asc'), this.master.public);
    return new Client(root);
  }

  cleanup(): Promise<void> {
    return cleanup(this.dir);
  }
}

export class Client {
  constructor(readonly root: string) {}

  get live(): string {
    return path.join(this.root, 'var/db/pkgkeys');
  }

  /** `pkgkeys update`, in this process. */
  update(url: string, options: { at?: Date; args?: string[] } = {}): Promise<CliResult> {
    const args = options.args ?? [];
    const timeout = args.includes('--timeout') ? [] : ['--timeout', '5'];
    return pkgkeys(['update', '--url', url, '--now', iso(options.at ?? UPDATE_AT), ...timeout, ...args], {
      PKGKEYS_ROOT: this.root,
    });
  }

  status(options: { at?: Date; args?: string[] } = {}): Promise<CliResult> {
    return pkgkeys(['status', '--now', iso(options.at ?? UPDATE_AT), ...(options.args ?? [])], {
      PKGKEYS_ROOT: this.root,
    });
  }

  /** `update` as its own process (the compiled CLI), with the modules it loaded: whether it judged shows in whether it loaded OpenPGP.js. */
  updateLoading(url: string, options: { at?: Date; args?: string[] } = {}) {
    return pkgkeysLoading(
      ['update', '--url', url, '--now', iso(options.at ?? UPDATE_AT), '--timeout', '5', ...(options.args ?? [])],
      { PKGKEYS_ROOT: this.root },
    );
  }

  /** `status` as its own process, with the modules it loaded. */
  statusLoading(options: { at?: Date; args?: string[] } = {}) {
    return pkgkeysLoading(['status', '--now', iso(options.at ?? UPDATE_AT), ...(options.args ?? [])], {
      PKGKEYS_ROOT: this.root,
    });
  }

  /** `pkgkeys update` as its own process (bin/pkgkeys.js, the compiled CLI). */
  spawnUpdate(url: string, options: { at?: Date } = {}) {
    return spawn(
      process.execPath,
      [BIN, 'update', '--url', url, '--now', iso(options.at ?? UPDATE_AT), '--timeout', '5'],
      {
        env: { ...process.env, PKGKEYS_ROOT: this.root },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
  }

  /** Every installed file, by stable name, read through the links; absent files are missing. */
  async snapshot(): Promise<Record<string, string>> {
    const out: Record<string, string> = {};
    for (const name of ['keyring.gpg', 'verify.gpg', 'pkgvuln.gpg', 'release.asc']) {
      const data = await fs.readFile(path.join(this.live, name)).catch(() => null);
      if (data) out[name] = data.toString('base64');
    }
    return out;
  }
}

/** A site, a mirror serving its first release, and a client that has installed it; `prepare` may change the site's keys first. */
export async function installedWorld(
  prepare?: (site: KeyringSite) => Promise<void>,
): Promise<{ site: KeyringSite; mirror: MirrorServer; client: Client; first: Release }> {
  const site = await KeyringSite.create();
  if (prepare) {
    await prepare(site);
    await site.importWorld();
  }
  const mirror = await MirrorServer.start();
  const first = await site.publish(2026041001);
  mirror.serve(first);
  const client = await site.client();
  const result = await client.update(mirror.url);
  if (result.status !== 0) throw new Error(`first update failed: ${result.stderr}`);
  return { site, mirror, client, first };
}

export type InstalledWorld = Awaited<ReturnType<typeof installedWorld>>;

/** `installedWorld()` for a whole test file: made before its tests, its server stopped and files removed after. */
export function withInstalledWorld(prepare?: (site: KeyringSite) => Promise<void>): InstalledWorld {
  const world = {} as InstalledWorld;
  beforeAll(async () => void Object.assign(world, await installedWorld(prepare)), 60_000);
  afterAll(async () => {
    await world.mirror?.close();
    await world.site?.cleanup();
  });
  return world;
}
