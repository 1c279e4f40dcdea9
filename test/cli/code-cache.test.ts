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

test('a cache that is a FIFO is not waited on', async () => {
  execFileSync('mkfifo', [`${file}.cache`]);
  expect(loadBundle(file)).toMatchObject({ cached: false, exports: { which: 'A' } });
});

/** bin/pkgkeys.js copied into DIR/bin, run with `setup` making DIR/dist/pkgkeys.js what it is to be. */
async function entryPointWith(setup: (bundle: string) => Promise<void>) {
  await fs.mkdir(path.join(dir, 'bin'));
  await fs.mkdir(path.join(dir, 'dist'));
  await fs.copyFile(ENTRY, path.join(dir, 'bin/pkgkeys.js'));
  const bundle = path.join(dir, 'dist/pkgkeys.js');
  await setup(bundle);
  const run = spawnSync(process.execPath, [path.join(dir, 'bin/pkgkeys.js'), '--version'], { encoding: 'utf8' });
  return { ...run, bundle };
}

test.each([
  ['missing', async () => undefined, 'it is missing'],
  ['a directory', (bundle: string) => fs.mkdir(bundle), 'not a regular file'],
  ['damaged', (bundle: string) => fs.writeFile(bundle, 'exports.main = () => {'), 'Unexpected token'],
])('with its bundle %s, the entry point says so in one line and exits with 3 (EXIT.io)', async (_what, setup, why) => {
  const run = await entryPointWith(setup);
  expect(run.status).toBe(3);
  expect(run.stdout).toBe('');
  expect(run.stderr).toMatch(
    /^pkgkeys: IO_ERROR: cannot load \S+: .+; reinstall pkgkeys \(in a checkout: make build\)\n$/,
  );
  expect(run.stderr).toContain(`cannot load ${run.bundle}: `);
  expect(run.stderr).toContain(why);
});
