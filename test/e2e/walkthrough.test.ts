/**
 * Every party in order, on one machine, with real files, real processes and a real HTTP mirror on
 * 127.0.0.1 (docs/workflow.md; `make demo` is the narrated short form):
 *
 *   master: creates the master key, delegates aarch64 to a developer, certifies a keyring publisher;
 *   developer: certifies the build host for NetBSD/aarch64/10.0/All;
 *   keyring publisher: publishes keyring release 1 to the mirror;
 *   build host: signs its packages and publishes the repository to the mirror;
 *   release engineering: installs the anchor in the client's base system;
 *   user: pkgkeys setup from pkgin's repositories.conf, update, check-repo, then pkgin through the
 *         verifying proxy, and verify-package on what it installed;
 *   then the build host's key is compromised and revoked, keyring release 2 carries the revocation,
 *   and the user's next update makes every check refuse the host: check-repo, the proxy, verify-package.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { buildPackage } from '../../lib/pkgsrc/package';
import { cleanup, tempDir } from '../helpers/cli';
import { BIN } from '../helpers/mirror';
import { entry } from '../helpers/repo';
import { incompressible, packageSpec } from '../helpers/packages';

const ROOT = path.resolve(__dirname, '..', '..');
const REPO = 'NetBSD/aarch64/10.0/All';
const PASSPHRASE = 'walkthrough passphrase';

let work: string;
let server: ChildProcess;
let port: number;

interface Run {
  status: number;
  stdout: string;
  stderr: string;
}

/** `pkgkeys ARGS` as its own process, in the work directory; the client's commands get PKGKEYS_ROOT. */
function pkgkeys(args: string[], options: { client?: boolean } = {}): Promise<Run> {
  // STANDIN_DIR: where the pkgin stand-in keeps what it fetched.
  const env: NodeJS.ProcessEnv = { ...process.env, PKGKEYS_PASSPHRASE: PASSPHRASE, STANDIN_DIR: work };
  if (options.client) env.PKGKEYS_ROOT = path.join(work, 'client');
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { cwd: work, env, maxBuffer: 1 << 26 }, (error, stdout, stderr) => {
      resolve({ status: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
    });
  });
}

/** Runs a step that must succeed, and returns its output. */
async function ok(args: string[], options: { client?: boolean } = {}): Promise<Run> {
  const run = await pkgkeys(args, options);
  if (run.status !== 0)
    throw new Error(`pkgkeys ${args.join(' ')} failed (${run.status}):\n${run.stderr}${run.stdout}`);
  return run;
}

const fingerprint = (run: Run) => /"fingerprint": "([0-9A-F]{40})"/.exec(run.stdout)![1]!;
const mirror = (...parts: string[]) => path.join(work, 'mirror', ...parts);

/** A pkgin stand-in: fetches the summary and one package through PKG_REPOS, keeps them, exits 0 only if both came. */
const STAND_IN = `#!${process.execPath}
const http = require('node:http');
const fs = require('node:fs');
const get = (url) => new Promise((resolve) => http.get(url, (res) => {
  const chunks = [];
  res.on('data', (c) => chunks.push(c));
  res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks) }));
}).on('error', () => resolve({ status: 0, body: Buffer.alloc(0) })));
(async () => {
  const repo = process.env.PKG_REPOS.split(' ')[0];
  const summary = await get(repo + '/pkg_summary.gz');
  const pkg = await get(repo + '/' + process.argv[3] + '.tgz');
  fs.writeFileSync(process.env.STANDIN_DIR + '/statuses', summary.status + ' ' + pkg.status);
  if (pkg.status === 200) fs.writeFileSync(process.env.STANDIN_DIR + '/' + process.argv[3] + '.tgz', pkg.body);
  process.exit(summary.status === 200 && pkg.status === 200 ? 0 : 1);
})();
`;

beforeAll(async () => {
  work = await tempDir('pkgkeys-e2e-');
  await fs.mkdir(mirror('keyring/pkgsrc'), { recursive: true });
  await fs.mkdir(mirror('packages', REPO), { recursive: true });
  server = spawn(process.execPath, [path.join(ROOT, 'demo/serve.js'), mirror()], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  port = await new Promise<number>((resolve) =>
    server.stdout!.once('data', (d: Buffer) => resolve(Number(d.toString().trim()))),
  );
});
afterAll(async () => {
  server?.kill();
  await cleanup(work);
});

test('from the master key to a revoked build host refused everywhere', async () => {
  // --- the master key holder (offline), the developer, the keyring publisher
  await ok(['master', 'init', '--uid', 'pkgsrc master <master@pkgsrc.invalid>', '--out', 'master']);
  const dev = fingerprint(
    await ok([
      '--json',
      'key',
      'init',
      '--uid',
      'aarch64 developer <dev@pkgsrc.invalid>',
      '--algo',
      'ed25519',
      '--out',
      'dev',
    ]),
  );
  await ok([
    'certify',
    '--signer',
    'master/master-secret.asc',
    '--scope',
    'NetBSD/aarch64/**',
    '--delegate',
    '--out',
    'dev/certified.asc',
    'dev/signing-public.asc',
  ]);
  // Keys are made here as each party makes them, not taken from test/fixtures: key init is part of the
  // story. The host's is RSA-3072 (the default, seconds to make), since pkg_add verifies its packages.
  const host = fingerprint(
    await ok(['--json', 'key', 'init', '--uid', 'build host b1 <b1@pkgsrc.invalid>', '--out', 'b1']),
  );
  await ok([
    'certify',
    '--signer',
    'dev/signing-secret.asc',
    '--scope',
    REPO,
    '--expires',
    '1y',
    '--out',
    'b1/certified.asc',
    'b1/signing-public.asc',
  ]);
  await ok([
    'key',
    'init',
    '--uid',
    'keyring publisher <keyring@pkgsrc.invalid>',
    '--algo',
    'ed25519',
    '--no-passphrase',
    '--out',
    'publisher',
  ]);
  await ok([
    'certify',
    '--signer',
    'master/master-secret.asc',
    '--scope',
    'keyring/pkgsrc',
    '--out',
    'publisher/certified.asc',
    'publisher/signing-public.asc',
  ]);
  await ok([
    'keyring',
    '--keyring',
    'keyrings/pkgsrc',
    'import',
    'master/master-public.asc',
    'dev/certified.asc',
    'b1/certified.asc',
    'publisher/certified.asc',
  ]);
  await ok(['keyring', '--keyring', 'keyrings/pkgsrc', 'check']);
  expect(dev).not.toBe(host);
  const publish = () =>
    ok([
      'keyring',
      '--keyring',
      'keyrings/pkgsrc',
      'publish',
      '--key',
      'publisher/signing-secret.asc',
      '--anchor',
      'master/master-public.asc',
      '--out',
      mirror('keyring/pkgsrc'),
    ]);
  await publish();

  // --- the build host: a bulk build's output, its packages signed for pkg_add, the repository published
  const buildDir = path.join(work, 'bulk/packages/All');
  await fs.mkdir(buildDir, { recursive: true });
  const names = ['foo-1.0', 'bar-2.0'];
  for (const name of names)
    await fs.writeFile(path.join(buildDir, `${name}.tgz`), buildPackage(packageSpec(name, incompressible(3000, name))));
  await fs.writeFile(path.join(buildDir, 'pkg_summary.gz'), gzipSync(names.map((n) => entry(n)).join('')));
  // The keyring clients have is the release just published, over HTTP: b1 must be certified in it (the publish gate).
  await ok([
    'publish',
    '--repository',
    REPO,
    '--key',
    'b1/signing-secret.asc',
    '--sign-packages',
    '--build',
    buildDir,
    '--keyring-url',
    `http://127.0.0.1:${port}/keyring/pkgsrc/`,
    '--anchor',
    'master/master-public.asc',
    mirror('packages', REPO),
  ]);

  // --- release engineering: the anchor in the base system
  await fs.mkdir(path.join(work, 'client/etc/pkgkeys/anchors'), { recursive: true });
  await fs.copyFile(
    path.join(work, 'master/master-public.asc'),
    path.join(work, 'client/etc/pkgkeys/anchors/pkgsrc.asc'),
  );

  // --- the user: setup from pkgin's configuration, update, check, pkgin through the proxy, verify what came
  await fs.mkdir(path.join(work, 'client/usr/pkg/etc/pkgin'), { recursive: true });
  await fs.writeFile(
    path.join(work, 'client/usr/pkg/etc/pkgin/repositories.conf'),
    `http://127.0.0.1:${port}/packages/NetBSD/$arch/$osrelease/All\n`,
  );
  await ok(
    ['setup', '--arch', 'aarch64', '--osrelease', '10.0', '--keyring-url', `http://127.0.0.1:${port}/keyring/pkgsrc/`],
    { client: true },
  );
  await fs.writeFile(path.join(work, 'pkgin'), STAND_IN, { mode: 0o755 });
  await fs.appendFile(path.join(work, 'client/etc/pkgkeys/pkgkeys.conf'), `pkgin ${path.join(work, 'pkgin')}\n`);
  expect((await ok(['update'], { client: true })).stdout).toMatch(
    /installed, valid until .*: 1 package signing key\(s\)/,
  );
  expect((await ok(['check-repo'], { client: true })).stdout).toMatch(
    new RegExp(`^${REPO}: good index, 2 entries, .* by ${host}`),
  );
  const installed = await pkgkeys(['--listen', '127.0.0.1:0', 'pkgin', 'install', 'foo-1.0'], { client: true });
  expect({
    status: installed.status,
    stderr: installed.stderr,
    statuses: await fs.readFile(path.join(work, 'statuses'), 'utf8'),
  }).toEqual({ status: 0, stderr: '', statuses: '200 200' });
  expect((await ok(['verify-package', path.join(work, 'foo-1.0.tgz')], { client: true })).stdout).toMatch(
    /good package foo-1.0, signed by/,
  );

  // --- the build host's key is compromised: revoked, the revocation published in keyring release 2
  await ok([
    'revoke',
    'key',
    '--signer',
    'b1/signing-secret.asc',
    '--reason',
    'compromised',
    '--text',
    'b1 was broken into',
    '--out',
    'b1/revoked.asc',
  ]);
  await ok(['keyring', '--keyring', 'keyrings/pkgsrc', 'import', 'b1/revoked.asc']);
  await publish();

  // --- the user's next update (cron), and every check refuses the host
  expect((await ok(['update'], { client: true })).stdout).toMatch(/installed, .*: 0 package signing key\(s\)/);
  const check = await pkgkeys(['check-repo'], { client: true });
  expect({ status: check.status, line: check.stdout }).toEqual({
    status: 1,
    line: expect.stringMatching(new RegExp(`^${REPO}: KEY_REVOKED: `)),
  });
  await fs.rm(path.join(work, 'foo-1.0.tgz'));
  const refused = await pkgkeys(['--listen', '127.0.0.1:0', 'pkgin', 'install', 'foo-1.0'], { client: true });
  expect({ status: refused.status, statuses: await fs.readFile(path.join(work, 'statuses'), 'utf8') }).toEqual({
    status: 1,
    statuses: '403 403',
  });
  expect(refused.stderr).toMatch(/pkgkeys: proxy: refused .*pkg_summary.gz: KEY_REVOKED: /);
  await expect(fs.stat(path.join(work, 'foo-1.0.tgz'))).rejects.toThrow(/ENOENT/);
  const pkg = await pkgkeys(['verify-package', path.join(mirror('packages', REPO), 'foo-1.0.tgz')], { client: true });
  expect({ status: pkg.status, line: pkg.stdout }).toEqual({
    status: 1,
    line: expect.stringMatching(/: KEY_REVOKED: /),
  });
  // pkg_add's own keyring no longer holds the host's key.
  expect((await fs.stat(path.join(work, 'client/var/db/pkgkeys/verify.gpg'))).size).toBe(0);
  // About thirty pkgkeys runs, each starting Node: 20 s on an idle 2-core machine, a minute or more on a busy one.
}, 600_000);
