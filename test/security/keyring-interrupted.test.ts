/**
 * Attack on consistency: cron runs overlap, or an update is killed (SIGKILL, power loss) at any point.
 * Every reader must find the old keyring or the new one, with matching exports and release, never a mix.
 */
import type { ChildProcess } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { Client, KeyringSite, MirrorServer, type Release, UPDATE_AT, installedWorld } from '../helpers/mirror';
import { day } from '../helpers/world';

let site: KeyringSite;
let mirror: MirrorServer;
let client: Client;
let before: Record<string, string>;
let after: Record<string, string>;
let next: Release;

const AT = day(1.1, UPDATE_AT);

beforeAll(async () => {
  ({ site, mirror, client } = await installedWorld());
  before = await client.snapshot();
  // The new release revokes a key, so that every file of the installed set changes.
  await site.world.revokeKey(site.rsaHost, 'compromised', day(1, UPDATE_AT));
  await site.world.revokeKey(site.vuln, 'compromised', day(1, UPDATE_AT));
  await site.importWorld();
  next = await site.publish(2026041002, { at: day(1, UPDATE_AT) });
  mirror.serve(next);
  const reference = await site.client('reference');
  await fs.cp(client.root, reference.root, { recursive: true, verbatimSymlinks: true });
  expect((await reference.update(mirror.url, { at: AT })).status).toBe(0);
  after = await reference.snapshot();
  expect(Object.keys(after)).toEqual(Object.keys(before));
  for (const name of Object.keys(before)) expect(after[name]).not.toBe(before[name]);
}, 60_000);
afterAll(async () => {
  await mirror.close();
  await site.cleanup();
});

const exited = (child: ChildProcess) =>
  new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));

function outcome(snapshot: Record<string, string>): 'old' | 'new' {
  const same = (reference: Record<string, string>) => JSON.stringify(snapshot) === JSON.stringify(reference);
  if (same(before)) return 'old';
  if (same(after)) return 'new';
  throw new Error(
    `a mix of the old and the new keyring: ${Object.keys(snapshot)
      .map((k) => `${k}=${snapshot[k] === before[k] ? 'old' : snapshot[k] === after[k] ? 'new' : 'other'}`)
      .join(' ')}`,
  );
}

test('two updates started at once end in one consistent keyring', async () => {
  const trial = await site.client('concurrent');
  await fs.cp(client.root, trial.root, { recursive: true, force: true, verbatimSymlinks: true });
  const runs = [trial.spawnUpdate(mirror.url, { at: AT }), trial.spawnUpdate(mirror.url, { at: AT })];
  expect(await Promise.all(runs.map(exited))).toEqual([0, 0]);
  expect(outcome(await trial.snapshot())).toBe('new');
  expect(await fs.readdir(path.join(trial.live, 'generations'))).toHaveLength(1);
}, 120_000);

test('an update killed at any point leaves the old keyring or the new one', async () => {
  const trial = await site.client('killed');
  const seen = { old: 0, new: 0, interrupted: 0 };
  const fresh = async () => {
    await fs.rm(trial.root, { recursive: true, force: true });
    await fs.cp(client.root, trial.root, { recursive: true, verbatimSymlinks: true });
  };
  const killAfter = async (delay: number): Promise<'old' | 'new'> => {
    await fresh();
    const child = trial.spawnUpdate(mirror.url, { at: AT });
    const done = exited(child);
    await new Promise((resolve) => setTimeout(resolve, delay));
    child.kill('SIGKILL');
    await done;
    const result = outcome(await trial.snapshot());
    seen[result]++;
    // A lock left behind: the process died inside the update, not before or after it.
    if (await fs.stat(path.join(trial.live, '.lock')).catch(() => null)) seen.interrupted++;
    // Whatever was left, the next update (taking over the dead process's lock) completes the job.
    expect((await trial.update(mirror.url, { at: AT })).status).toBe(0);
    expect(outcome(await trial.snapshot())).toBe('new');
    return result;
  };
  // The sweep is scaled to this machine as it is now: one update left alone shows how long a run takes
  // (starting Node included), whatever the load.
  await fresh();
  const started = performance.now();
  expect(await exited(trial.spawnUpdate(mirror.url, { at: AT }))).toBe(0);
  const run = performance.now() - started;
  // A coarse sweep finds when the switch happens; a fine one goes through the update around it. The
  // coarse one ends: a kill after the process has exited finds the new keyring.
  const coarse = Math.max(4, Math.round(run / 25));
  const fine = Math.max(1, Math.round(coarse / 10));
  let lastOld = 0;
  let firstNew = 0;
  for (let delay = 0; firstNew === 0; delay += coarse) {
    if ((await killAfter(delay)) === 'old') lastOld = delay;
    else firstNew = delay;
  }
  for (let delay = lastOld + fine; delay <= firstNew + fine * 3; delay += fine) await killAfter(delay);
  // The sweep must straddle the switch and land inside updates, or it proved nothing.
  expect(seen.old).toBeGreaterThan(0);
  expect(seen.new).toBeGreaterThan(0);
  expect(seen.interrupted).toBeGreaterThan(0);
  // About 25 coarse and 12 fine kills, each costing up to a run and a repair: a budget for a busy machine.
}, 900_000);
