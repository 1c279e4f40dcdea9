/**
 * `pkgkeys pkgin ARGS...` with a stand-in for pkgin (test/helpers/pkgin.ts): a program that does what
 * pkgin does with PKG_REPOS and its cache (fetch pkg_summary.gz, then <PKGNAME>.tgz unless the cache
 * has a file of its size), records what it saw, and exits as told.
 */
import { promises as fs } from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { pkgkeys } from '../helpers/cli';
import { REPO, VERIFY_AT, iso } from '../helpers/repo';
import { standInRun, writePkginStandIn } from '../helpers/pkgin';
import { ClientRoot, Upstream, packagesOf, request, summaryOf } from '../helpers/upstream';

const packages = packagesOf({ 'foo-1.0': 5000 });
let upstream: Upstream;
let client: ClientRoot;

beforeAll(async () => {
  upstream = await Upstream.start();
  await upstream.publish(packages);
  client = await ClientRoot.create(upstream);
  await writePkginStandIn(client.path('pkgin'), client.path('pkgin-built-with'));
  await fs.appendFile(client.path('etc/pkgkeys/pkgkeys.conf'), `pkgin ${client.path('pkgin')}\n`);
}, 60_000);
afterAll(() => upstream.stop());

async function wrap(args: string[], env: Record<string, string> = {}) {
  const out = client.path('standin.json');
  await fs.rm(out, { force: true });
  const result = await pkgkeys(['--now', iso(VERIFY_AT), '--listen', '127.0.0.1:0', 'pkgin', ...args], {
    ...client.env,
    STANDIN_OUT: out,
    http_proxy: 'http://127.0.0.1:9/',
    ...env,
  });
  return { result, saw: await standInRun(out) };
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

test("pkgin's database directory is found as pkgin finds it (PKGIN_DBDIR, else the pkgin-dbdir setting, else /var/db/pkgin), and pkgin is told it", async () => {
  expect((await wrap(['upgrade', '0'])).saw.dbDir).toBe(client.path('var/db/pkgin'));
  expect((await wrap(['upgrade', '0'], { PKGIN_DBDIR: client.path('elsewhere') })).saw.dbDir).toBe(
    client.path('elsewhere'),
  );
  const conf = client.path('etc/pkgkeys/pkgkeys.conf');
  const saved = await fs.readFile(conf, 'utf8');
  await fs.appendFile(conf, `pkgin-dbdir ${client.path('configured')}\n`);
  try {
    expect((await wrap(['upgrade', '0'])).saw.dbDir).toBe(client.path('configured'));
    expect((await wrap(['upgrade', '0'], { PKGIN_DBDIR: client.path('elsewhere') })).saw.dbDir).toBe(
      client.path('elsewhere'),
    );
  } finally {
    await fs.writeFile(conf, saved);
  }
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
    const result = await pkgkeys(['--now', iso(VERIFY_AT), '--listen', `127.0.0.1:${port}`, 'pkgin', 'upgrade', '0'], {
      ...client.env,
      STANDIN_OUT: out,
    });
    expect(result.status).toBe(3);
    expect(result.stderr).toMatch(
      new RegExp(`^pkgkeys: IO_ERROR: 127\\.0\\.0\\.1:${port} is in use: by a pkgkeys proxy already running`),
    );
    await expect(fs.stat(out)).rejects.toThrow(/ENOENT/);
  } finally {
    busy.close();
  }
});
