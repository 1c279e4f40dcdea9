/**
 * A stand-in for pkgin, for `pkgkeys pkgin` tests: pkgin is not installed here. It does what pkgin
 * does with PKG_REPOS for one package, foo-1.0: fetch pkg_summary.gz from the first repository, then
 * take foo-1.0 as pkgin's actions.c does. pkgin's database directory is PKGIN_DBDIR, or the one it was
 * built with (`builtWith`), and its cache is `<dbdir>/cache`: a file `<cache>/<PKGNAME>.tgz` whose
 * size is the index's FILE_SIZE is used without any request (pkgin also asks pkg_info for its
 * BUILD_DATE, which a forgery keeps, and which a file that is no package passes, as pkg_info then says
 * nothing); any other is removed, fetched from `<repo>/<PKGNAME>.tgz` and written there. It records
 * what it saw in $STANDIN_OUT, then exits with its last argument, or dies of SIGTERM on "die".
 */
import { promises as fs } from 'node:fs';

export interface StandInRun {
  args: string[];
  repos: string[];
  httpProxy: string | null;
  dbDir: string;
  /** The index text, or the HTTP status when it was refused. */
  summary: string | number;
  /** foo-1.0 as it would go to pkg_add, base64, and whether it came from the cache without a request. */
  pkg: string;
  fromCache: boolean;
}

const source = (builtWith: string) => `#!${process.execPath}
const fs = require('node:fs');
const http = require('node:http');
const zlib = require('node:zlib');
const get = (url) => new Promise((resolve, reject) => http.get(url, (res) => {
  const chunks = [];
  res.on('data', (c) => chunks.push(c));
  res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks) }));
}).on('error', reject));
(async () => {
  const args = process.argv.slice(2);
  const repos = process.env.PKG_REPOS.split(' ');
  const dbDir = process.env.PKGIN_DBDIR ?? ${JSON.stringify(builtWith)};
  const cache = dbDir + '/cache';
  fs.mkdirSync(cache, { recursive: true });
  const summary = await get(repos[0] + '/pkg_summary.gz');
  const text = summary.status === 200 ? zlib.gunzipSync(summary.body).toString('latin1') : null;
  const entry = text === null ? null : text.split('\\n\\n').find((e) => /^PKGNAME=foo-1\\.0$/m.test(e));
  const fileSize = entry ? Number(/^FILE_SIZE=(\\d+)$/m.exec(entry)[1]) : -1;
  const cached = cache + '/foo-1.0.tgz';
  const stat = fs.statSync(cached, { throwIfNoEntry: false });
  let pkg, fromCache = false;
  if (stat && stat.size === fileSize) {
    pkg = fs.readFileSync(cached);
    fromCache = true;
  } else {
    fs.rmSync(cached, { force: true });
    pkg = (await get(repos[0] + '/foo-1.0.tgz')).body;
    fs.writeFileSync(cached, pkg);
  }
  fs.writeFileSync(process.env.STANDIN_OUT, JSON.stringify({
    args, repos, httpProxy: process.env.http_proxy ?? null, dbDir,
    summary: text ?? summary.status, pkg: pkg.toString('base64'), fromCache,
  }));
  const last = args[args.length - 1];
  if (last === 'die') process.kill(process.pid, 'SIGTERM');
  else process.exit(Number(last));
})();
`;

/** Writes the stand-in as the executable `file`, with `builtWith` as the database directory it was built with. */
export async function writePkginStandIn(file: string, builtWith: string): Promise<void> {
  await fs.writeFile(file, source(builtWith), { mode: 0o755 });
}

/** What the stand-in recorded in `out`. */
export async function standInRun(out: string): Promise<StandInRun> {
  return JSON.parse(await fs.readFile(out, 'utf8')) as StandInRun;
}
