/**
 * The signing daemon over a real Unix socket: locked until unlocked, relocking on its timer; it signs
 * only the staged index of a configured repository whose hash the client names; it records every
 * signature in a chained audit log; and publish --signd uses it. What it refuses is in
 * test/security/signd-*.test.ts.
 */
import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { signIndexVia, signdRequest } from '../../lib/signd/client';
import { SigningDaemon } from '../../lib/signd/daemon';
import { pkgkeys } from '../helpers/cli';
import { BIN } from '../helpers/mirror';
import { REPO, SIGNED_AT, VERIFY_AT, iso } from '../helpers/repo';
import { PASSPHRASE, STAGED as text, codeOf, sha256 as sha, withDaemon } from '../helpers/signd';

const fixture = withDaemon();
const records = () => fixture.records();

test('locked: a sign request gets SIGND_LOCKED and nothing is signed; a wrong passphrase does not unlock', async () => {
  expect(await codeOf(signIndexVia(fixture.config.socket, REPO, text))).toBe('SIGND_LOCKED');
  expect(await codeOf(signdRequest(fixture.config.socket, { op: 'unlock', passphrase: 'wrong' }))).toBe(
    'BAD_PASSPHRASE',
  );
  expect(await signdRequest(fixture.config.socket, { op: 'status' })).toMatchObject({ locked: true });
  expect(await records()).toBe(0);
});

test('unlocked: the staged index is signed for its repository, verifies, and is recorded with our uid', async () => {
  expect(await signdRequest(fixture.config.socket, { op: 'unlock', passphrase: PASSPHRASE })).toMatchObject({
    ok: true,
    locked: false,
  });
  const signed = await signIndexVia(fixture.config.socket, REPO, text);
  const file = await fixture.repo.write('signd.asc', signed);
  expect((await fixture.repo.verify(file, { stateDir: fixture.repo.path('state-signd') })).status).toBe(0);
  const lines = (await fs.readFile(fixture.config.auditLog, 'utf8')).trim().split('\n');
  expect(JSON.parse(lines.at(-1)!)).toMatchObject({
    uid: process.getuid!(),
    repository: REPO,
    index: sha(text),
    signature: sha(signed),
  });
  expect(await fs.readdir(fixture.config.proofDir)).toEqual([]);
});

test('ten concurrent requests all succeed, and the audit chain holds', async () => {
  await signdRequest(fixture.config.socket, { op: 'unlock', passphrase: PASSPHRASE });
  const before = await records();
  const signed = await Promise.all(Array.from({ length: 10 }, () => signIndexVia(fixture.config.socket, REPO, text)));
  expect(signed.every((s) => s.includes(text))).toBe(true);
  expect(await records()).toBe(before + 10);
});

test('the key locks itself again after unlock-minutes', async () => {
  const quick = await SigningDaemon.start({
    config: { ...fixture.config, socket: fixture.repo.path('quick.sock'), unlockMinutes: 0.005 },
    now: () => SIGNED_AT,
    timeoutMs: 500,
    log: () => undefined,
  });
  try {
    await signdRequest(fixture.repo.path('quick.sock'), { op: 'unlock', passphrase: PASSPHRASE });
    expect(quick.locked).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(await codeOf(signIndexVia(fixture.repo.path('quick.sock'), REPO, text))).toBe('SIGND_LOCKED');
  } finally {
    await quick.close();
  }
});

test('publish --signd: the daemon signs the staged index; the publication verifies', async () => {
  await signdRequest(fixture.config.socket, { op: 'unlock', passphrase: PASSPHRASE });
  await fs.mkdir(fixture.repo.path('build'));
  for (const name of ['foo-1.0', 'bar-2.0'])
    await fs.writeFile(fixture.repo.path('build', `${name}.tgz`), Buffer.from(name));
  await fs.writeFile(fixture.repo.path('build', 'pkg_summary.gz'), gzipSync(text));
  const result = await pkgkeys([
    'publish',
    '--now',
    iso(SIGNED_AT),
    '--repository',
    REPO,
    '--signd',
    fixture.config.socket,
    ...fixture.repo.clientKeyringArgs(),
    '--build',
    fixture.repo.path('build'),
    fixture.repo.path('All'),
  ]);
  expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 0, stderr: '' });
  const verified = await fixture.repo.verifyPackages(path.join(fixture.repo.path('All'), 'pkg_summary.asc'), [], {
    at: VERIFY_AT,
    stateDir: fixture.repo.path('state-publish'),
  });
  expect(verified.status).toBe(0);
});

test('the command line: signd.conf read, unlock from a file descriptor, status, lock, audit --verify', async () => {
  const conf = fixture.repo.path('signd.conf');
  await fs.writeFile(
    conf,
    [
      `socket ${fixture.config.socket}`,
      'socket-mode 0600',
      `key ${fixture.config.key}`,
      'unlock-minutes 30',
      `audit-log ${fixture.config.auditLog}`,
      `state-dir ${fixture.config.stateDir}`,
      `proof-dir ${fixture.config.proofDir}`,
      `repository ${REPO} ${fixture.repo.path('All')} 7d`,
      `client-keyring ${fixture.repo.path('keyring.asc')}`,
      `anchor ${fixture.repo.path('master.asc')}`,
      '',
    ].join('\n'),
  );
  const signd = (args: string[]) => pkgkeys(['signd', ...args, '--signd-config', conf]);
  expect((await signd(['lock'])).stdout).toBe('signd is locked\n');
  // As an operator's script would: the passphrase on a pipe, file descriptor 3 of a pkgkeys process.
  const child = spawn(process.execPath, [BIN, 'signd', 'unlock', '--passphrase-fd', '3', '--signd-config', conf], {
    stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
  });
  (child.stdio[3] as NodeJS.WritableStream).end(`${PASSPHRASE}\n`);
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => void (stderr += d.toString()));
  const status = await new Promise((resolve) => child.on('exit', resolve));
  expect({ status, stderr }).toEqual({ status: 0, stderr: '' });
  expect((await signd(['status'])).stdout).toMatch(/^signd is unlocked until /);
  const audit = await signd(['audit', '--verify']);
  expect(audit).toMatchObject({ status: 0, stdout: expect.stringMatching(/: \d+ record\(s\), chain intact\n$/) });
  await fs.writeFile(fixture.repo.path('bad.conf'), 'socket relative.sock\n');
  expect(await pkgkeys(['signd', 'status', '--signd-config', fixture.repo.path('bad.conf')])).toMatchObject({
    status: 2,
    stderr: expect.stringMatching(/BAD_CONFIG: .*bad.conf:1: socket must be an absolute path/),
  });
  // The publish gates cannot be configured away: without the keyring clients have, signd does not start.
  await fs.writeFile(
    fixture.repo.path('ungated.conf'),
    (await fs.readFile(conf, 'utf8')).replace(/^(client-keyring|anchor) .*\n/gm, ''),
  );
  expect(await pkgkeys(['signd', 'status', '--signd-config', fixture.repo.path('ungated.conf')])).toMatchObject({
    status: 2,
    stderr: expect.stringMatching(/BAD_CONFIG: .*ungated\.conf: keyring-url \(or client-keyring\), anchor must be set/),
  });
});
