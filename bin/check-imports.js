#!/usr/bin/env node
'use strict';
// The folder graph, checked (make lint): lib/ is layered, and an import runs down, never across or
// up. Each entry is a folder of lib/ or a file at its top; an entry may import only entries of a lower
// layer (and itself). So formats sit in the folders that own them, producers do not import consumers,
// and no two folders import each other. Only lib/pgp imports openpgp (DESIGN.md §6).
const fs = require('node:fs');
const path = require('node:path');

/** Lowest first. A new folder or top-level file of lib/ must be placed here. */
const LAYERS = [
  ['errors', 'model', 'limits'],
  ['time', 'bounded-buffer', 'paths', 'keyref', 'fsutil', 'settings'],
  ['generations'],
  ['pgp'],
  ['summary', 'pkgsrc', 'trust'],
  ['packages'],
  ['keyring', 'authority'],
  ['verify'],
  // The client side; publishing checks what it signs as clients will see it, and signd publishes.
  ['client'],
  ['publish'],
  ['signd'],
  ['cli'],
];
const OPENPGP_ONLY_IN = 'pgp';

// The checkout above bin/, or the tree named (for tests).
const root = path.resolve(process.argv[2] ?? path.join(__dirname, '..'));
const layerOf = new Map(LAYERS.flatMap((names, level) => names.map((name) => [name, level])));

function sources(dir) {
  return fs.readdirSync(path.join(root, dir), { withFileTypes: true }).flatMap((e) => {
    const relative = `${dir}/${e.name}`;
    if (e.isDirectory()) return sources(relative);
    return /\.(ts|js)$/.test(e.name) && !e.name.endsWith('.d.ts') ? [relative] : [];
  });
}

/** lib/verify/signed.ts is "verify", lib/time.ts is "time", anything under cli/ is "cli". */
function entryOf(file) {
  const parts = file.split('/');
  if (parts[0] === 'cli') return 'cli';
  return parts.length > 2 ? parts[1] : parts[1].replace(/\.(ts|js)$/, '');
}

/** Module specifiers of static imports, re-exports, import() and require() with a literal. */
function specifiers(text) {
  const found = [];
  const patterns = [
    /^\s*(?:import|export)\s[^;]*?\bfrom\s*['"]([^'"]+)['"]/gms,
    /^\s*import\s*['"]([^'"]+)['"]/gm,
    /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
    /\brequire\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
  ];
  for (const pattern of patterns) for (const m of text.matchAll(pattern)) found.push(m[1]);
  return found;
}

const problems = [];
for (const file of [...sources('lib'), ...sources('cli')]) {
  const from = entryOf(file);
  if (!layerOf.has(from)) {
    problems.push(`${file}: lib entry "${from}" is in no layer: place it in LAYERS (bin/check-imports.js)`);
    continue;
  }
  const text = fs.readFileSync(path.join(root, file), 'utf8');
  for (const spec of specifiers(text)) {
    if (spec === 'openpgp' && from !== OPENPGP_ONLY_IN)
      problems.push(`${file}: imports openpgp, which only lib/${OPENPGP_ONLY_IN} may`);
    if (!spec.startsWith('.')) continue;
    const target = path.relative(root, path.resolve(path.dirname(path.join(root, file)), spec));
    if (!target.startsWith('lib/') && !target.startsWith('cli/') && target !== 'lib' && target !== 'cli') continue;
    const to = entryOf(target.includes('/') ? target : `${target}/index`);
    if (to === from) continue;
    if (!layerOf.has(to)) continue; // reported where it is defined
    if (layerOf.get(to) >= layerOf.get(from)) {
      problems.push(
        `${file}: imports ${spec}: ${from} (layer ${layerOf.get(from)}) may not import ${to} (layer ${layerOf.get(to)})`,
      );
    }
  }
}

if (problems.length > 0) {
  process.stderr.write(
    `${problems.join('\n')}\n${problems.length} import(s) against the layers of lib/ (bin/check-imports.js)\n`,
  );
  process.exit(1);
}
