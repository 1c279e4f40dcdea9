#!/usr/bin/env node
'use strict';
// `make build`, after tsc: bundles the compiled CLI (dist/cli/main.js) with its dependencies into
// dist/pkgkeys.js, the one file bin/pkgkeys.js runs, and writes its code cache. `make install` runs it
// with --cache-only on the installed bundle, with the Node that will run it (V8 takes only its own caches).
//
// esbuild keeps CommonJS semantics: each module of the bundle runs at its first require(), so a
// command still loads only its own code (test/cli/startup.test.ts checks that on dist/).
const path = require('node:path');
const { makeCodeCache } = require('./pkgkeys.js');

async function main(args) {
  if (args.length === 2 && args[0] === '--cache-only') return makeCodeCache(path.resolve(args[1]));
  if (args.length !== 0) throw new Error('usage: node bin/bundle.js [--cache-only BUNDLE]');
  const root = path.resolve(__dirname, '..');
  const outfile = path.join(root, 'dist/pkgkeys.js');
  await require('esbuild').build({
    entryPoints: [path.join(root, 'dist/cli/main.js')],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    legalComments: 'eof', // the dependencies' licence notices, at the end
    logLevel: 'warning',
  });
  await makeCodeCache(outfile);
}

main(process.argv.slice(2)).catch((error) => {
  process.stderr.write(`bin/bundle.js: ${error.message}\n`);
  process.exit(1);
});
