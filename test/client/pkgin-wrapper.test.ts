/**
 * `pkgkeys pkgin ARGS...` with a stand-in for pkgin: a program that does what pkgin does with
 * PKG_REPOS (fetch pkg_summary.gz, then <PKGNAME>.tgz), records what it saw, and exits as told.
 */
import { promises as fs } from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { pkgkeys } from '../helpers/cli';
import { REPO, VERIFY_AT, iso } from '../helpers/repo';
import { ClientRoot, Upstream, packagesOf, request, summaryOf } from '../helpers/upstream';

const packages = packagesOf({ 'foo-1.0': 5000 });
let upstream: Upstream;
let client: ClientRoot;

/** Fetches through every repository of PKG_REPOS, writes what it saw to $STANDIN_OUT, then exits with its last argument or dies of SIGTERM. */
const STAND_IN = `#!${process.execPath}
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
  const summary = await get(repos[0] + '/pkg_summary.gz');
  const pkg = await get(repos[0] + '/foo-1.0.tgz');
  require('node:fs').writeFileSync(process.env.STANDIN_OUT, JSON.stringify({
    args, repos, httpProxy: process.env.http_proxy ?? null,
    summary: summary.status === 200 ? zlib.gunzipSync(summary.body).toString('latin1') : summary.status,
    pkg: pkg.body.toString('base64'),
  }));
  const last = args[args.length - 1];
  if (last === 'die') process.kill(process.pid, 'SIGTERM');
  else process.exit(Number(last));
})();
`;

beforeAll(async () => {
  upstream = await Upstream.start();
  await upstream.publish(packages);
  client = await ClientRoot.create(upstream);
  await fs.writeFile(client.path('pkgin'), STAND_IN, { mode: 0o755 });
  await fs.appendFile(client.path('etc/pkgkeys/pkgkeys.conf'), `pkgin ${client.path('pkgin')}\n`);
}, 60_000);
afterAll(() => upstream.stop());

async function wrap(args: string[]) {
  const out = client.path('standin.json');
  await fs.rm(out, { force: true });
  const result = await pkgkeys(['--now', iso(VERIFY_AT), '--listen', '127.0.0.1:0', 'pkgin', ...args], { ...client.env, STANDIN_OUT: out, http_proxy: 'http://127.0.0.1:9/' });
  return { result, saw: JSON.parse(await fs.readFile(out, 'utf8')) as { args: string[]; repos: string[]; httpProxy: string | null; summary: string; pkg: string } };
}

test("pkgin's arguments reach it untouched, it fetches through the proxy, and its exit status is pkgkeys'", async () => {
  const { result, saw } = await wrap(['-y', '--json', '--now', 'upgrade', '7']);
  expect(result).toEqual({ status: 7, stdout: '', stderr: '' });
  expect(saw.args).toEqual(['-y', '--json', '--now', 'upgrade', '7']);
  expect(saw.repos).toEqual([expect.stringMatching(new RegExp(`^http://127\\.0\\.0\\.1:\\d+/${REPO}$`))]);
  expect(saw.httpProxy).toBeNull();
  expect(saw.summary).toBe(summaryOf(packages));
  expect(Buffer.from(saw.pkg, 'base64').equals(packages[0]!.content)).toBe(true);
  // The proxy is gone with pkgin.
  await expect(request(`${saw.repos[0]}/pkg_summary.gz`)).rejects.toThrow(/ECONNREFUSED/);
});

test('exit 0 is 0; a pkgin killed by a signal is 128 + its number', async () => {
  expect((await wrap(['upgrade', '0'])).result.status).toBe(0);
  expect((await wrap(['upgrade', 'die'])).result.status).toBe(128 + 15);
});

test('a pkgin that cannot be run is a configuration error naming it', async () => {
  const conf = client.path('etc/pkgkeys/pkgkeys.conf');
  const saved = await fs.readFile(conf, 'utf8');
  await fs.writeFile(conf, saved.replace(/^pkgin .*$/m, `pkgin ${path.join(client.root, 'missing-pkgin')}`));
  try {
    const result = await pkgkeys(['--now', iso(VERIFY_AT), '--listen', '127.0.0.1:0', 'pkgin', 'upgrade'], client.env);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/BAD_CONFIG: cannot run .*missing-pkgin/);
  } finally {
    await fs.writeFile(conf, saved);
  }
});

test('an address in use is refused before pkgin runs, saying what to do', async () => {
  const busy = net.createServer();
  await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
  const port = (busy.address() as net.AddressInfo).port;
  const out = client.path('standin.json');
  await fs.rm(out, { force: true });
  try {
    const result = await pkgkeys(['--now', iso(VERIFY_AT), '--listen', `127.0.0.1:${port}`, 'pkgin', 'upgrade', '0'], { ...client.env, STANDIN_OUT: out });
    expect(result.status).toBe(3);
    expect(result.stderr).toMatch(new RegExp(`^pkgkeys: IO_ERROR: 127\\.0\\.0\\.1:${port} is in use: by a pkgkeys proxy already running`));
    await expect(fs.stat(out)).rejects.toThrow(/ENOENT/);
  } finally {
    busy.close();
  }
});
