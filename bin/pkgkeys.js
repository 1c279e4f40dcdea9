#!/usr/bin/env node
'use strict';
// The installed entry point. It runs dist/pkgkeys.js, the compiled CLI bundled with its dependencies
// into one file (bin/bundle.js), from V8's code cache beside it: compiling the bundle's 1.3 MB at every
// start costs a third of what `pkgkeys status` costs over Node's own start-up (issue 18). The cache
// serves only the bundle it was made from, byte for byte, and only a Node that accepts it; any other
// cache, or none, costs the compilation and nothing else.
const { createHash } = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');

const BUNDLE = path.resolve(__dirname, '../dist/pkgkeys.js');
const MAX_BUNDLE = 64 << 20; // bytes: far above the bundle's size, far below trouble
const DIGEST = 32; // a cache file: SHA-256 of the compiled text then V8's data, followed by V8's data
// The bundle as one CommonJS module: what is compiled, and what the digest covers.
const HEAD = '(function (exports, require, module, __filename, __dirname) {';
const TAIL = '\n})';

const cacheOf = (bundle) => `${bundle}.cache`;
const digestOf = (source, data) => createHash('sha256').update(HEAD).update(source).update(TAIL).update(data).digest();

/**
 * The contents of `file` if it is a regular file of at most `limit` bytes; else an error whose code
 * is ENOENT, EACCES, NOT_REGULAR or TOO_LARGE. Opened without blocking, so that a FIFO is refused, not
 * waited on.
 */
function readRegular(file, limit) {
  const fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  try {
    const stat = fs.fstatSync(fd);
    const refuse = (code, what) => Object.assign(new Error(what), { code });
    if (!stat.isFile()) throw refuse('NOT_REGULAR', 'not a regular file');
    if (stat.size > limit) throw refuse('TOO_LARGE', `${stat.size} bytes, more than the ${limit} allowed`);
    return fs.readFileSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** The cache of `source` that `file` holds, or undefined if it holds none (absent, damaged, or made from other bytes). */
function readCache(file, source) {
  let cache;
  try {
    cache = readRegular(file, MAX_BUNDLE);
  } catch {
    return undefined;
  }
  const data = cache.subarray(DIGEST);
  return cache.length > DIGEST && digestOf(source, data).equals(cache.subarray(0, DIGEST)) ? data : undefined;
}

/**
 * The bundle `file` evaluated as a CommonJS module: its exports, its bytes and compiled script (for
 * `makeCodeCache`), and whether V8 took the code cache.
 */
function loadBundle(file, options = { cache: true }) {
  const source = readRegular(file, MAX_BUNDLE);
  const cachedData = options.cache ? readCache(cacheOf(file), source) : undefined;
  const script = new vm.Script(`${HEAD}${source}${TAIL}`, { filename: file, cachedData });
  const module = { exports: {} };
  script.runInThisContext().call(module.exports, module.exports, require, module, file, path.dirname(file));
  return { exports: module.exports, source, script, cached: cachedData !== undefined && !script.cachedDataRejected };
}

/**
 * Writes the code cache of the bundle `file` for this Node: V8's data after a run of `pkgkeys --help`,
 * which compiles the command line's code as every run does, and writes nothing.
 */
async function makeCodeCache(file) {
  const { exports, source, script } = loadBundle(file, { cache: false });
  const discard = async () => undefined;
  const io = { stdout: discard, stderr: discard, terminal: false, env: {}, prompt: async () => null };
  const status = await exports.run(['--help'], io);
  if (status !== 0) throw new Error(`${file}: pkgkeys --help exited with ${status}`);
  const data = script.createCachedData();
  const temp = `${cacheOf(file)}.${process.pid}`;
  fs.writeFileSync(temp, Buffer.concat([digestOf(source, data), data]));
  fs.renameSync(temp, cacheOf(file));
}

module.exports = { loadBundle, makeCodeCache };

if (require.main === module) {
  let bundle;
  try {
    bundle = loadBundle(BUNDLE).exports;
  } catch (error) {
    // pkgkeys' own code is missing or damaged: one line, as every failure (PKGKEYS_DEBUG=1: the stack).
    const why = error.code === 'ENOENT' && error.path === BUNDLE ? 'it is missing' : error.message;
    const fix = 'reinstall pkgkeys (in a checkout: make build)';
    process.stderr.write(`pkgkeys: IO_ERROR: cannot load ${BUNDLE}: ${why}; ${fix}\n`);
    if (process.env.PKGKEYS_DEBUG) process.stderr.write(`${error.stack}\n`);
    process.exit(3); // EXIT.io
  }
  bundle.main();
}
