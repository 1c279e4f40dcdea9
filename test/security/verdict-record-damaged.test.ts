// Attack (damaged state): verdicts.json is cut short, garbled or gone (a crash, a full disk, an edit).
// A record that cannot be read is no record: update and status judge anew, answer as before, and the
// next update records the verdicts again.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { loadsOpenPGP } from '../helpers/cli';
import { UPDATE_AT, withInstalledWorld } from '../helpers/mirror';
import { day } from '../helpers/world';

const w = withInstalledWorld();

const record = () => path.join(w.client.live, 'verdicts.json');

const DAMAGE: Array<[string, (text: string) => string | null]> = [
  ['cut short', (text) => text.slice(0, text.length >> 1)],
  ['that is not JSON', () => 'verdicts\n'],
  ['with a count that is no number', (text) => text.replace(/"verifyKeys": \d+/, '"verifyKeys": "many"')],
  ['with a horizon that is no time', (text) => text.replace(/"horizon": "[^"]*"/, '"horizon": "never"')],
  ['with an expiry without its key', (text) => text.replace(/"key": "[0-9A-F]+",/, '')],
  ['removed', () => null],
];

describe.each(DAMAGE)('verdicts.json %s', (_, damage) => {
  let judged: { update: string; status: string };

  beforeAll(async () => {
    const at = day(1, UPDATE_AT);
    judged = {
      update: (await w.client.update(w.mirror.url, { at })).stdout,
      status: (await w.client.status({ at })).stdout,
    };
    const damaged = damage(await fs.readFile(record(), 'utf8'));
    await (damaged === null ? fs.rm(record()) : fs.writeFile(record(), damaged));
  });

  test('status judges anew, and says what it said before', async () => {
    const run = await w.client.statusLoading({ at: day(1, UPDATE_AT) });
    expect(loadsOpenPGP(run.loaded)).toBe(true);
    expect(run.stdout).toBe(judged.status);
  });

  test('update judges anew, and records the verdicts again for the next run', async () => {
    const run = await w.client.updateLoading(w.mirror.url, { at: day(1, UPDATE_AT) });
    expect(loadsOpenPGP(run.loaded)).toBe(true);
    expect(run.stdout).toBe(judged.update);
    const next = await w.client.updateLoading(w.mirror.url, { at: day(1, UPDATE_AT) });
    expect(loadsOpenPGP(next.loaded)).toBe(false);
    expect(next.stdout).toBe(judged.update);
  });
});
