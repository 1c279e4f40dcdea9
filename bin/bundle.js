#!/usr/bin/env node
'use strict';
// `make build`, after tsc: bundles the compiled CLI (dist/cli/main.js) with its dependencies into
// dist/pkgkeys.js, the one file bin/pkgkeys.js runs, writes its code cache, and gathers the licence of
// every package in it into dist/THIRD-PARTY-LICENSES. `make install` runs it with --cache-only on the
// installed bundle, with the Node that will run it (V8 takes only its own caches).
//
// esbuild keeps CommonJS semantics: each module of the bundle runs at its first require(), so a
// command still loads only its own code (test/cli/startup.test.ts checks that on dist/ and on the bundle).
const fs = require('node:fs');
const path = require('node:path');
const { makeCodeCache } = require('./pkgkeys.js');

const root = path.resolve(__dirname, '..');

/** Each package the bundle holds (from esbuild's metafile) with its licence, as the package ships it. */
function licences(metafile) {
  const packages = new Set();
  for (const input of Object.keys(metafile.inputs)) {
    const name = /^node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input)?.[1];
    if (name) packages.add(name);
  }
  const parts = ['Third-party software in dist/pkgkeys.js, the pkgkeys command bundled with its dependencies.\n'];
  for (const name of [...packages].sort()) {
    const dir = path.join(root, 'node_modules', name);
    const { version, license } = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
    const files = fs.readdirSync(dir).filter((file) => /^(licen[cs]e|copying)/i.test(file));
    if (files.length === 0) throw new Error(`${name} ${version} ships no licence file`);
    const texts = files.sort().map((file) => fs.readFileSync(path.join(dir, file), 'utf8').trimEnd());
    parts.push(`\n==== ${name} ${version} (${license}) ====\n\n${texts.join('\n\n')}\n`);
  }
  return parts.join('');
}

async function main(args) {
  if (args.length === 2 && args[0] === '--cache-only') return makeCodeCache(path.resolve(args[1]));
  if (args.length !== 0) throw new Error('usage: node bin/bundle.js [--cache-only BUNDLE]');
  const outfile = path.join(root, 'dist/pkgkeys.js');
  const { metafile } = await require('esbuild').build({
    entryPoints: [path.join(root, 'dist/cli/main.js')],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    legalComments: 'eof', // the dependencies' licence notices, at the end
    metafile: true,
    logLevel: 'warning',
  });
  fs.writeFileSync(path.join(root, 'dist/THIRD-PARTY-LICENSES'), licences(metafile));
  await makeCodeCache(outfile);
}

main(process.argv.slice(2)).catch((error) => {
  process.stderr.write(`bin/bundle.js: ${error.message}\n`);
  process.exit(1);
});
