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
const DIGEST = 32; // a cache file: SHA-256 of the bundle's bytes then V8's data, followed by V8's data

const cacheOf = (bundle) => `${bundle}.cache`;
const digestOf = (source, data) => createHash('sha256').update(source).update(data).digest();

/** The cache of `source` that `file` holds, or undefined if it holds none (absent, damaged, or made from other bytes). */
function readCache(file, source) {
  let cache;
  try {
    cache = fs.readFileSync(file);
  } catch {
    return undefined;
  }
  const data = cache.subarray(DIGEST);
  return cache.length > DIGEST && digestOf(source, data).equals(cache.subarray(0, DIGEST)) ? data : undefined;
}

/**
 * The bundle `file` evaluated as a CommonJS module: its exports, its compiled script (for
 * `makeCodeCache`), and whether V8 took the code cache.
 */
function loadBundle(file, options = { cache: true }) {
  const source = fs.readFileSync(file);
  const cachedData = options.cache ? readCache(cacheOf(file), source) : undefined;
  const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {
    filename: file,
    cachedData,
  });
  const module = { exports: {} };
  script.runInThisContext().call(module.exports, module.exports, require, module, file, path.dirname(file));
  return { exports: module.exports, script, cached: cachedData !== undefined && !script.cachedDataRejected };
}

/**
 * Writes the code cache of the bundle `file` for this Node: V8's data after a run of `pkgkeys --help`,
 * which compiles the command line's code as every run does, and writes nothing.
 */
async function makeCodeCache(file) {
  const { exports, script } = loadBundle(file, { cache: false });
  const discard = async () => undefined;
  const io = { stdout: discard, stderr: discard, terminal: false, env: {}, prompt: async () => null };
  const status = await exports.run(['--help'], io);
  if (status !== 0) throw new Error(`${file}: pkgkeys --help exited with ${status}`);
  const data = script.createCachedData();
  const temp = `${cacheOf(file)}.${process.pid}`;
  fs.writeFileSync(temp, Buffer.concat([digestOf(fs.readFileSync(file), data), data]));
  fs.renameSync(temp, cacheOf(file));
}

module.exports = { loadBundle, makeCodeCache };

if (require.main === module) {
  let bundle;
  try {
    bundle = loadBundle(BUNDLE).exports;
  } catch (error) {
    if (error.code !== 'ENOENT' || error.path !== BUNDLE) throw error;
    process.stderr.write(`pkgkeys: ${BUNDLE} is missing: run make build\n`);
    process.exit(3); // EXIT.io
  }
  bundle.main();
}
