#!/usr/bin/env node
'use strict';
// `make install`: copies the production dependencies into DIR/node_modules: package.json's
// dependencies and theirs, found as Node's require() finds them, without dev or peer dependencies.
// They are copied from node_modules, which `npm ci` made from package-lock.json: no npm, no network,
// and the same files every time (pkgsrc/security/pkgkeys/PLIST lists them).
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const [dest] = process.argv.slice(2);
if (!dest || process.argv.length !== 3) {
  process.stderr.write('usage: node bin/install-modules.js DIR\n');
  process.exit(2);
}

/** The directory of package `name` as require() finds it from `dir`: dir/node_modules, then each parent's up to the checkout. */
function resolve(name, dir) {
  for (;;) {
    const candidate = path.join(dir, 'node_modules', name);
    if (fs.existsSync(path.join(candidate, 'package.json'))) return candidate;
    if (dir === root) return null;
    dir = path.dirname(dir);
  }
}

const packages = new Set();
function collect(dir) {
  const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
  const optional = manifest.optionalDependencies ?? {};
  for (const name of Object.keys({ ...manifest.dependencies, ...optional })) {
    const found = resolve(name, dir);
    if (!found && name in optional) continue; // another platform's
    if (!found) {
      process.stderr.write(
        `install-modules: ${name}, a dependency of ${manifest.name}, is not in ${root}/node_modules: run npm ci\n`,
      );
      process.exit(1);
    }
    if (!packages.has(found)) {
      packages.add(found);
      collect(found);
    }
  }
}
collect(root);

/** Copies a package's files, keeping modes; its own node_modules holds other packages, copied in their turn. */
function copy(from, to, top) {
  fs.mkdirSync(to, { recursive: true });
  for (const entry of fs.readdirSync(from, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    if (top && entry.name === 'node_modules') continue;
    const source = path.join(from, entry.name);
    const target = path.join(to, entry.name);
    if (entry.isDirectory()) copy(source, target, false);
    else if (entry.isSymbolicLink()) fs.symlinkSync(fs.readlinkSync(source), target);
    else fs.copyFileSync(source, target);
  }
}
for (const dir of [...packages].sort()) copy(dir, path.join(dest, path.relative(root, dir)), true);
