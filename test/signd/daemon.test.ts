/**
 * The signing daemon over a real Unix socket: locked until unlocked, relocking on its timer; it signs
 * only the staged index of a configured repository whose hash the client names; it records every
 * signature in a chained audit log; it survives bad clients; and publish --signd uses it.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { writeAtomic } from '../../lib/fsutil';
import { generateKey } from '../../lib/pgp';
import { stagingFile } from '../../lib/publish/repository';
import { verifyAudit } from '../../lib/signd/audit';
import { signIndexVia, signdRequest } from '../../lib/signd/client';
import type { SigndConfig } from '../../lib/signd/config';
import { SigningDaemon } from '../../lib/signd/daemon';
import { caught } from '../helpers/caught';
import { pkgkeys } from '../helpers/cli';
import { BIN } from '../helpers/mirror';
import { REPO, Repo, SIGNED_AT, VERIFY_AT, entry, iso } from '../helpers/repo';
import type { TestKey } from '../helpers/world';

const PASSPHRASE = 'signd test passphrase';
let repo: Repo;
let config: SigndConfig;
let daemon: SigningDaemon;
const log: string[] = [];
const text = Buffer.from(entry('foo-1.0') + entry('bar-2.0'));
const sha = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

beforeAll(async () => {
  repo = await Repo.create();
  // The daemon's key is passphrase-protected, certified for REPO like the host's.
  const made = await generateKey({ userID: 'signd <signd@pkgsrc.test>', type: 'ed25519', passphrase: PASSPHRASE, created: new Date('2020-01-01T00:00:00Z') });
  repo.world.material.push(made.public);
  await repo.world.certify(repo.master, { public: made.public } as TestKey, { scopes: [REPO] });
  await repo.writeKeyring();
  await fs.writeFile(repo.path('signd-secret.asc'), made.secret, { mode: 0o600 });
  await fs.mkdir(repo.path('proof'));
  config = {
    socket: repo.path('signd.sock'), socketMode: 0o600, socketGroup: null, key: repo.path('signd-secret.asc'),
    unlockMinutes: 60, auditLog: repo.path('audit.log'), proofDir: repo.path('proof'),
    repositories: [{ id: REPO, dir: repo.path('All'), expires: '7d' }],
  };
  daemon = await SigningDaemon.start({ config, now: () => SIGNED_AT, timeoutMs: 500, log: (l) => void log.push(l) });
  await writeAtomic(stagingFile(repo.path('All')), text);
}, 60_000);
afterAll(async () => {
  await daemon?.close();
  await repo.cleanup();
});

const records = async () => (await verifyAudit(config.auditLog)).count;
const codeOf = async (promise: Promise<unknown>) => (await caught(() => promise)).code;

test('locked: a sign request gets SIGND_LOCKED and nothing is signed; a wrong passphrase does not unlock', async () => {
  expect(await codeOf(signIndexVia(config.socket, REPO, text))).toBe('SIGND_LOCKED');
  expect(await codeOf(signdRequest(config.socket, { op: 'unlock', passphrase: 'wrong' }))).toBe('BAD_PASSPHRASE');
  expect(await signdRequest(config.socket, { op: 'status' })).toMatchObject({ locked: true });
  expect(await records()).toBe(0);
});

test('unlocked: the staged index is signed for its repository, verifies, and is recorded with our uid', async () => {
  expect(await signdRequest(config.socket, { op: 'unlock', passphrase: PASSPHRASE })).toMatchObject({ ok: true, locked: false });
  const signed = await signIndexVia(config.socket, REPO, text);
  const file = await repo.write('signd.asc', signed);
  expect((await repo.verify(file, { stateDir: repo.path('state-signd') })).status).toBe(0);
  const lines = (await fs.readFile(config.auditLog, 'utf8')).trim().split('\n');
  expect(JSON.parse(lines.at(-1)!)).toMatchObject({ uid: process.getuid!(), repository: REPO, index: sha(text), signature: sha(signed) });
  expect(await fs.readdir(config.proofDir)).toEqual([]);
});

test.each([
  ['a hash that is not the staged index', { op: 'sign', repository: REPO, sha256: sha(Buffer.from('other')) }, 'SIGND_REFUSED'],
  ['a repository it does not sign for', { op: 'sign', repository: 'NetBSD/x86_64/9.0/All', sha256: sha(text) }, 'SIGND_REFUSED'],
  ['a path for a repository', { op: 'sign', repository: `../../${REPO}`, sha256: sha(text) }, 'SIGND_REFUSED'],
  ['a hash that is not hex', { op: 'sign', repository: REPO, sha256: 'x'.repeat(64) }, 'SIGND_REFUSED'],
  ['an unknown op', { op: 'sign-bytes', data: 'aGVsbG8=' }, 'SIGND_REFUSED'],
])('%s is refused and nothing is signed', async (_what, request, code) => {
  await signdRequest(config.socket, { op: 'unlock', passphrase: PASSPHRASE });
  const before = await records();
  expect(await codeOf(signdRequest(config.socket, request))).toBe(code);
  expect(await records()).toBe(before);
});

test('an oversized request and a silent client each cost their connection only', async () => {
  await signdRequest(config.socket, { op: 'unlock', passphrase: PASSPHRASE });
  const silent = net.createConnection(config.socket);
  const closed = new Promise((resolve) => silent.on('close', resolve));
  silent.resume();
  expect(await codeOf(signdRequest(config.socket, { op: 'status', padding: 'x'.repeat(70_000) }))).toBe('SIGND_REFUSED');
  // Meanwhile the silent one holds nothing up.
  expect((await signIndexVia(config.socket, REPO, text)).length).toBeGreaterThan(text.length);
  await closed; // dropped after the read timeout
});

test('ten concurrent requests all succeed, and the audit chain holds', async () => {
  await signdRequest(config.socket, { op: 'unlock', passphrase: PASSPHRASE });
  const before = await records();
  const signed = await Promise.all(Array.from({ length: 10 }, () => signIndexVia(config.socket, REPO, text)));
  expect(signed.every((s) => s.includes(text))).toBe(true);
  expect(await records()).toBe(before + 10);
});

test('the key locks itself again after unlock-minutes', async () => {
  const quick = await SigningDaemon.start({ config: { ...config, socket: repo.path('quick.sock'), unlockMinutes: 0.005 }, now: () => SIGNED_AT, timeoutMs: 500, log: () => undefined });
  try {
    await signdRequest(repo.path('quick.sock'), { op: 'unlock', passphrase: PASSPHRASE });
    expect(quick.locked).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(await codeOf(signIndexVia(repo.path('quick.sock'), REPO, text))).toBe('SIGND_LOCKED');
  } finally {
    await quick.close();
  }
});

test('publish --signd: the daemon signs the staged index; the publication verifies', async () => {
  await signdRequest(config.socket, { op: 'unlock', passphrase: PASSPHRASE });
  for (const name of ['foo-1.0', 'bar-2.0']) await fs.writeFile(repo.path('All', `${name}.tgz`), Buffer.from(name));
  await fs.writeFile(repo.path('All', 'pkg_summary.gz'), gzipSync(text));
  const result = await pkgkeys(['publish', '--now', iso(SIGNED_AT), '--repository', REPO, '--signd', config.socket, repo.path('All')]);
  expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 0, stderr: '' });
  const verified = await repo.verifyPackages(path.join(repo.path('All'), 'pkg_summary.asc'), [], { at: VERIFY_AT, stateDir: repo.path('state-publish') });
  expect(verified.status).toBe(0);
});

test('the command line: signd.conf read, unlock from a file descriptor, status, lock, audit --verify', async () => {
  const conf = repo.path('signd.conf');
  await fs.writeFile(conf, [
    `socket ${config.socket}`, 'socket-mode 0600', `key ${config.key}`, 'unlock-minutes 30', `audit-log ${config.auditLog}`,
    `proof-dir ${config.proofDir}`, `repository ${REPO} ${repo.path('All')} 7d`, '',
  ].join('\n'));
  const signd = (args: string[]) => pkgkeys(['signd', ...args, '--signd-config', conf]);
  expect((await signd(['lock'])).stdout).toBe('signd is locked\n');
  // As an operator's script would: the passphrase on a pipe, file descriptor 3 of a pkgkeys process.
  const child = spawn(process.execPath, [BIN, 'signd', 'unlock', '--passphrase-fd', '3', '--signd-config', conf], { stdio: ['ignore', 'pipe', 'pipe', 'pipe'] });
  (child.stdio[3] as NodeJS.WritableStream).end(`${PASSPHRASE}\n`);
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => void (stderr += d.toString()));
  const status = await new Promise((resolve) => child.on('exit', resolve));
  expect({ status, stderr }).toEqual({ status: 0, stderr: '' });
  expect((await signd(['status'])).stdout).toMatch(/^signd is unlocked until /);
  const audit = await signd(['audit', '--verify']);
  expect(audit).toMatchObject({ status: 0, stdout: expect.stringMatching(/: \d+ record\(s\), chain intact\n$/) });
  await fs.writeFile(repo.path('bad.conf'), 'socket relative.sock\n');
  expect(await pkgkeys(['signd', 'status', '--signd-config', repo.path('bad.conf')])).toMatchObject({ status: 2, stderr: expect.stringMatching(/BAD_CONFIG: .*bad.conf:1: socket must be an absolute path/) });
});
