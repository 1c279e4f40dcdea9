/**
 * bin/pkgkeys.js starts the bundled CLI from V8's code cache (issue 18). A cache must never change
 * what runs: one made from other bytes, one damaged, one made by a Node that V8 tells apart, or none,
 * and the bundle is compiled from its own source. V8 alone checks only the source's length: given the
 * cache of another source of the same length, it runs the other source's code, so the cache file
 * carries the SHA-256 of the bundle it was made from. Checked on small bundles in a temporary
 * directory, and on the real one as bin/pkgkeys.js runs it.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { cleanup, tempDir } from '../helpers/cli';

interface Loaded {
  exports: { which?: string; run?: unknown };
  cached: boolean;
}
const ENTRY = path.resolve(__dirname, '../../bin/pkgkeys.js');
const { loadBundle, makeCodeCache } = require(ENTRY) as {
  loadBundle(file: string): Loaded;
  makeCodeCache(file: string): Promise<void>;
};

/** A bundle as bin/bundle.js makes them, in small: `run` (which makeCodeCache calls with --help) and a mark. */
const bundle = (mark: string) => `
  exports.run = async (args, io) => { await io.stdout(args.join(' ')); return args[0] === '--help' ? 0 : 1; };
  exports.which = (function () { return '${mark}'; })();
`;

let dir: string;
let file: string;
beforeEach(async () => {
  dir = await tempDir('pkgkeys-code-cache-');
  file = path.join(dir, 'pkgkeys.js');
  await fs.writeFile(file, bundle('A'));
});
afterEach(() => cleanup(dir));

test('a bundle starts from the cache made from it', async () => {
  await makeCodeCache(file);
  const loaded = loadBundle(file);
  expect(loaded).toMatchObject({ cached: true, exports: { which: 'A' } });
});

test('with no cache, the bundle is compiled from its source', () => {
  expect(loadBundle(file)).toMatchObject({ cached: false, exports: { which: 'A' } });
});

test('a cache made from other bytes of the same length is not used: the bundle that is there runs', async () => {
  await makeCodeCache(file);
  await fs.writeFile(file, bundle('B'));
  expect(loadBundle(file)).toMatchObject({ cached: false, exports: { which: 'B' } });
});

test.each([
  ['a byte of V8 data changed', (cache: Buffer) => ((cache[cache.length - 100] ^= 1), cache)],
  ['cut short', (cache: Buffer) => cache.subarray(0, cache.length - 1)],
  ['no more than the digest', (cache: Buffer) => cache.subarray(0, 32)],
  ['empty', () => Buffer.alloc(0)],
])('a damaged cache (%s) is not used', async (_what, damage) => {
  await makeCodeCache(file);
  const cache = `${file}.cache`;
  await fs.writeFile(cache, damage(await fs.readFile(cache)));
  expect(loadBundle(file)).toMatchObject({ cached: false, exports: { which: 'A' } });
});

test('a cache that V8 refuses (made with other V8 flags) costs the compilation, nothing else', async () => {
  execFileSync(process.execPath, [
    '--no-opt',
    '-e',
    `require(${JSON.stringify(ENTRY)}).makeCodeCache(process.argv[1])`,
    file,
  ]);
  expect(loadBundle(file)).toMatchObject({ cached: false, exports: { which: 'A' } });
});

test('the built bundle starts from its cache, as bin/pkgkeys.js runs it', () => {
  const real = path.resolve(__dirname, '../../dist/pkgkeys.js');
  const cached = execFileSync(
    process.execPath,
    ['-p', `require(${JSON.stringify(ENTRY)}).loadBundle(${JSON.stringify(real)}).cached`],
    { encoding: 'utf8' },
  );
  expect(cached).toBe('true\n');
});

test('with no bundle, the entry point says what is missing and exits with 3 (EXIT.io)', async () => {
  await fs.mkdir(path.join(dir, 'bin'));
  await fs.copyFile(ENTRY, path.join(dir, 'bin/pkgkeys.js'));
  const run = spawnSync(process.execPath, [path.join(dir, 'bin/pkgkeys.js'), '--version'], { encoding: 'utf8' });
  expect(run.status).toBe(3);
  expect(run.stderr).toBe(`pkgkeys: ${path.join(dir, 'dist/pkgkeys.js')} is missing: run make build\n`);
  expect(run.stdout).toBe('');
});
