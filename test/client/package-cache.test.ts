/**
 * The proxy's package cache on its own, with its clock injected: which files go when a proxy starts,
 * and how a file in use is kept, judged by that clock against the files' times, whatever a request's
 * time is. Fetching and refusals are covered through the proxy (test/security/proxy-*.test.ts).
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { PackageCache } from '../../lib/client/package-cache';
import { cleanup, tempDir } from '../helpers/cli';

const HOUR = 3600_000;
const DAY = 24 * HOUR;
/** The files' time in these tests. */
const T = new Date('2026-03-01T00:00:00Z').getTime();

let dir: string;
beforeEach(async () => {
  dir = await tempDir('pkgkeys-package-cache-');
});
afterEach(() => cleanup(dir));

async function put(name: string, data: string | Buffer, at = T): Promise<string> {
  const file = path.join(dir, name);
  await fs.writeFile(file, data);
  await fs.utimes(file, new Date(at), new Date(at));
  return file;
}

const mtime = async (file: string) => (await fs.stat(file)).mtimeMs;
const cacheAt = (now: number) => new PackageCache({ dir, clock: () => now, idleMs: 1000 });

test.each([
  ['the same day', 'nothing', T + HOUR, ['a.tgz', '.a.0123456789ab.part', 'index']],
  ['two days later', 'the unfinished download, a dead proxy’s', T + 2 * DAY, ['a.tgz', 'index']],
  ['eight days later', 'the package too, which nobody asked for in a week', T + 8 * DAY, ['index']],
])('a proxy starting %s removes %s', async (_when, _what, now, kept) => {
  await put('a.tgz', 'package');
  await put('.a.0123456789ab.part', 'half a package');
  await fs.mkdir(path.join(dir, 'index'));
  await cacheAt(now).prepare();
  expect((await fs.readdir(dir)).sort()).toEqual([...kept].sort());
});

test('a package served is marked in use by the cache’s clock, at most once an hour', async () => {
  const content = Buffer.from('the package');
  const sha256 = createHash('sha256').update(content).digest('hex');
  const file = await put(`${sha256}.tgz`, content);
  const wanted = { file: 'a-1.0.tgz', expected: { size: content.length, sha256 } };

  const soon = await cacheAt(T + HOUR / 2).open('http://127.0.0.1:1/unused', wanted);
  await soon.handle.close();
  expect({ size: soon.size, mtime: await mtime(file) }).toEqual({ size: content.length, mtime: T });

  const later = await cacheAt(T + 3 * DAY).open('http://127.0.0.1:1/unused', wanted);
  await later.handle.close();
  expect(await mtime(file)).toBe(T + 3 * DAY);
  // So a proxy starting a week after that reading keeps it, and one starting later does not.
  await cacheAt(T + 9 * DAY).prepare();
  expect(await fs.readdir(dir)).toEqual([`${sha256}.tgz`]);
  await cacheAt(T + 11 * DAY).prepare();
  expect(await fs.readdir(dir)).toEqual([]);
});
