/**
 * Attack: someone with write access to the audit log's directory erases the log outright: both files
 * removed, or the log emptied and its head rewritten to count 0. A chain of nothing verifies, so the
 * daemon keeps a copy of the head in its own state directory (state-dir), and a log that does not
 * hold the records that copy counts is AUDIT_BROKEN: for `signd audit --verify` and for the daemon,
 * which signs nothing more on it. A log one record ahead of the copy (a crash between the two
 * writes) still verifies.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { AuditLog, verifyAudit } from '../../lib/signd/audit';
import { caught } from '../helpers/caught';
import { cleanup, pkgkeys, tempDir } from '../helpers/cli';

let dir: string;
let file: string;
let state: string;
const record = (i: number) => ({
  time: new Date(Date.UTC(2026, 0, 1, i)),
  uid: 1000 + i,
  repository: 'NetBSD/x86_64/10.0/All',
  index: 'a'.repeat(64),
  signature: `${i % 10}`.repeat(64),
});

beforeEach(async () => {
  dir = await tempDir('pkgkeys-audit-');
  file = path.join(dir, 'log', 'audit.log');
  state = path.join(dir, 'state', 'audit.head');
  await fs.mkdir(path.dirname(file));
  const log = new AuditLog(file, state);
  for (let i = 0; i < 3; i++) await log.append(record(i));
});
afterEach(() => cleanup(dir));

const code = async () => (await caught(() => verifyAudit(file, state))).code;

test('intact: three records, and the daemon keeps its copy of the head outside the log directory', async () => {
  expect(await verifyAudit(file, state)).toMatchObject({ count: 3 });
  expect(JSON.parse(await fs.readFile(state, 'utf8'))).toEqual(JSON.parse(await fs.readFile(`${file}.head`, 'utf8')));
});

test('both files removed: AUDIT_BROKEN, not "0 records"', async () => {
  await fs.rm(file);
  await fs.rm(`${file}.head`);
  expect(await code()).toBe('AUDIT_BROKEN');
});

test('the log emptied and its head reset to count 0: AUDIT_BROKEN', async () => {
  await fs.writeFile(file, '');
  await fs.writeFile(`${file}.head`, `${JSON.stringify({ count: 0, hash: '0'.repeat(64) })}\n`);
  expect(await code()).toBe('AUDIT_BROKEN');
});

test('a log rewritten from scratch with fewer records, its own chain and head intact: AUDIT_BROKEN', async () => {
  await fs.rm(file);
  await fs.rm(`${file}.head`);
  await new AuditLog(file, path.join(dir, 'elsewhere', 'audit.head')).append(record(7));
  expect(await code()).toBe('AUDIT_BROKEN');
});

test('the daemon will not sign on an erased log', async () => {
  await fs.rm(file);
  await fs.rm(`${file}.head`);
  const error = await caught(() => new AuditLog(file, state).append(record(3)));
  expect(error.code).toBe('AUDIT_BROKEN');
  await expect(fs.stat(file)).rejects.toMatchObject({ code: 'ENOENT' });
});

test('the log one record ahead of the copy (a crash before the copy was written) verifies', async () => {
  const copy = await fs.readFile(state);
  await new AuditLog(file, state).append(record(3));
  await fs.writeFile(state, copy);
  expect(await verifyAudit(file, state)).toMatchObject({ count: 4 });
});

test('signd audit --verify reads state-dir from signd.conf', async () => {
  const conf = path.join(dir, 'signd.conf');
  await fs.writeFile(
    conf,
    [
      `socket ${dir}/signd.sock`,
      `key ${dir}/key.asc`,
      `audit-log ${file}`,
      `state-dir ${path.dirname(state)}`,
      `proof-dir ${dir}/proof`,
      `repository NetBSD/x86_64/10.0/All ${dir}/All 7d`,
      // The publish gate's keyring (signd refuses a configuration without one); audit --verify reads neither.
      `client-keyring ${dir}/keyring.asc`,
      `anchor ${dir}/master.asc`,
      '',
    ].join('\n'),
  );
  const audit = () => pkgkeys(['signd', 'audit', '--verify', '--signd-config', conf]);
  expect(await audit()).toMatchObject({ status: 0, stdout: `${file}: 3 record(s), chain intact\n` });
  await fs.rm(file);
  await fs.rm(`${file}.head`);
  expect(await audit()).toMatchObject({
    status: 1,
    stderr: expect.stringMatching(/^pkgkeys: AUDIT_BROKEN: .*signd has made 3 signature\(s\)/),
  });
});
