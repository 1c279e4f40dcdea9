// Package files hashed (lib/packages/hash.ts): in workers, or in the calling thread for one job, with
// the same digests, sizes, refusals and progress either way.
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { type HashJob, type HashResult, hashFiles } from '../../lib/packages/hash';
import { cleanup, tempDir } from '../helpers/cli';
import { mkfifo } from '../helpers/fifo';

let dir: string;
beforeAll(async () => (dir = await tempDir()));
afterAll(() => cleanup(dir));

/** What a result says, comparable across runs. */
const outcome = (r: HashResult) =>
  r.ok ? { size: r.size, sha256: r.sha256 } : { code: r.error.code, message: r.error.message };

test('one job in this thread and two in workers give the same digests, sizes and refusals, and the same progress', async () => {
  const big = Buffer.alloc(40 << 20, 0x5a); // past the 16 MiB between progress reports, and many reads
  const files: Record<string, Buffer> = { big, small: Buffer.from('a package'), empty: Buffer.alloc(0) };
  for (const [name, data] of Object.entries(files)) await fs.writeFile(path.join(dir, name), data);
  mkfifo(path.join(dir, 'fifo'));
  const jobs: HashJob[] = [
    { file: path.join(dir, 'big'), limit: null },
    { file: path.join(dir, 'small'), limit: null },
    { file: path.join(dir, 'missing'), limit: null },
    { file: path.join(dir, 'fifo'), limit: null },
    { file: dir, limit: null },
    { file: path.join(dir, 'empty'), limit: 0 },
    { file: path.join(dir, 'big'), limit: 3 << 20 }, // stops reading past its limit
  ];
  const runs = await Promise.all(
    [1, 2].map(async (n) => {
      let progress = 0;
      const results = await hashFiles(jobs, { jobs: n, onProgress: (bytes) => void (progress += bytes) });
      return { results: results.map(outcome), progress };
    }),
  );
  expect(runs[0]).toEqual(runs[1]);
  const [one] = runs;
  expect(one!.results.slice(0, 2)).toEqual(
    [big, files.small!].map((data) => ({ size: data.length, sha256: createHash('sha256').update(data).digest('hex') })),
  );
  expect(one!.results.slice(2, 5).map((r) => ('code' in r ? r.code : null))).toEqual([
    'PACKAGE_MISSING',
    'NOT_REGULAR_FILE',
    'NOT_REGULAR_FILE',
  ]);
  expect(one!.results[5]).toMatchObject({ size: 0 });
  expect((one!.results[6] as { size: number }).size).toBeGreaterThan(3 << 20);
  expect((one!.results[6] as { size: number }).size).toBeLessThan(big.length);
  expect(one!.progress).toBe(big.length + files.small!.length + (one!.results[6] as { size: number }).size);
});
