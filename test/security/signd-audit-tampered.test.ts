/**
 * Attack: someone with write access to the signing daemon's audit log hides a signature: edits a
 * record, removes one from the middle, or cuts the last ones. The chain (and its head) says so:
 * AUDIT_BROKEN, and `pkgkeys signd audit --verify` fails. The daemon refuses to sign on such a log.
 */
import { promises as fs } from 'node:fs';
import { AuditLog, verifyAudit } from '../../lib/signd/audit';
import { caught } from '../helpers/caught';
import { cleanup, tempDir } from '../helpers/cli';

let dir: string;
let file: string;
let state: string;
beforeEach(async () => {
  dir = await tempDir('pkgkeys-audit-');
  file = `${dir}/audit.log`;
  state = `${dir}/state/audit.head`;
  const log = new AuditLog(file, state);
  for (let i = 0; i < 4; i++)
    await log.append({
      time: new Date(Date.UTC(2026, 0, 1, i)),
      uid: 1000 + i,
      repository: 'NetBSD/x86_64/10.0/All',
      index: 'a'.repeat(64),
      signature: `${i}`.repeat(64),
    });
});
afterEach(() => cleanup(dir));

const lines = async () => (await fs.readFile(file, 'utf8')).trim().split('\n');
const write = (l: string[]) => fs.writeFile(file, `${l.join('\n')}\n`);
const broken = async () => (await caught(() => verifyAudit(file, state))) as { code?: string; message: string };

test('intact: four records', async () => {
  expect(await verifyAudit(file, state)).toMatchObject({ count: 4 });
});

test('an edited record (another uid) breaks the chain at the next one', async () => {
  const l = await lines();
  l[1] = l[1]!.replace('"uid":1001', '"uid":0');
  await write(l);
  expect(await broken()).toMatchObject({
    code: 'AUDIT_BROKEN',
    message: expect.stringMatching(/record 3 does not follow record 2/),
  });
});

test('a record removed from the middle', async () => {
  const l = await lines();
  l.splice(2, 1);
  await write(l);
  expect((await broken()).code).toBe('AUDIT_BROKEN');
});

test('the last record cut: the head says there were four', async () => {
  await write((await lines()).slice(0, 3));
  expect(await broken()).toMatchObject({ code: 'AUDIT_BROKEN', message: expect.stringMatching(/ends at record 3/) });
});

test('the daemon will not add to a broken log', async () => {
  await write((await lines()).slice(0, 3));
  const log = new AuditLog(file, state);
  expect(
    (
      (await caught(() =>
        log.append({ time: new Date(), uid: 1, repository: 'r/x', index: 'b'.repeat(64), signature: 'c'.repeat(64) }),
      )) as { code?: string }
    ).code,
  ).toBe('AUDIT_BROKEN');
});

test.each([
  ['a record replaced by JSON null', (l: string[]) => (l[1] = 'null')],
  ['a record that is not JSON', (l: string[]) => (l[1] = '{"previous":')],
  ['the head that is not JSON', null],
  ['the head that is JSON null', null],
])('%s: AUDIT_BROKEN, not a bare error', async (name, damage) => {
  if (damage) {
    const l = await lines();
    damage(l);
    await write(l);
  } else {
    await fs.writeFile(`${file}.head`, name.endsWith('null') ? 'null\n' : '{"count":\n');
  }
  expect((await broken()).code).toBe('AUDIT_BROKEN');
  await fs.writeFile(state, 'null\n');
  expect((await broken()).code).toBe('AUDIT_BROKEN');
});
