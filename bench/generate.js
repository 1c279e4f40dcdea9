#!/usr/bin/env node
'use strict';
// Synthetic benchmark data: a realistic pkg_summary(5) and, optionally, package files it describes.
//
//   node bench/generate.js --entries N --out DIR [--packages COUNT] [--package-bytes TOTAL] [--seed S] [--after FILE]
//
// --after FILE: the entries of FILE (a pkg_summary) come first, and new ones follow up to N in all, none
// with a PKGNAME of FILE's: so indexes of every size can list the same package files.
//
// Deterministic: the same arguments give the same bytes. No dependencies (plain Node), all I/O is
// synchronous: it runs once per benchmark and simplicity beats overlap here.

const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

const USAGE =
  'usage: node bench/generate.js --entries N --out DIR [--packages COUNT] [--package-bytes TOTAL] [--seed S] [--after FILE]\n' +
  '  TOTAL takes a K, M or G suffix (powers of 1024); default 1G.';

function fail(message) {
  process.stderr.write(`generate.js: ${message}\n${USAGE}\n`);
  process.exit(2);
}

function parseBytes(text) {
  const m = /^(\d+)([KMG]i?B?)?$/i.exec(text);
  if (!m) fail(`not a byte count: ${text}`);
  const unit = m[2] ? { k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[m[2][0].toLowerCase()] : 1;
  return Number(m[1]) * unit;
}

function parseArgs(argv) {
  const opts = { entries: NaN, out: '', packages: 0, packageBytes: 1024 ** 3, seed: 'pkgkeys-bench', after: '' };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const eq = arg.indexOf('=');
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    const value = () => (eq > 0 ? arg.slice(eq + 1) : (argv[++i] ?? fail(`${name} needs a value`)));
    const count = () => {
      const v = value();
      if (!/^\d+$/.test(v)) fail(`${name} wants a whole number, got ${v}`);
      return Number(v);
    };
    switch (name) {
      case '--entries':
        opts.entries = count();
        break;
      case '--out':
        opts.out = value();
        break;
      case '--packages':
        opts.packages = count();
        break;
      case '--package-bytes':
        opts.packageBytes = parseBytes(value());
        break;
      case '--seed':
        opts.seed = value();
        break;
      case '--after':
        opts.after = value();
        break;
      case '-h':
      case '--help':
        process.stdout.write(`${USAGE}\n`);
        process.exit(0);
        break;
      default:
        fail(`unknown argument ${arg}`);
    }
  }
  if (!(opts.entries >= 1)) fail('--entries N (N >= 1) is required');
  if (!opts.out) fail('--out DIR is required');
  if (opts.packages > opts.entries)
    fail('--packages cannot exceed --entries: the first COUNT entries describe the files');
  if (opts.packages > 0 && opts.packageBytes < opts.packages)
    fail('--package-bytes is smaller than one byte per package');
  if (opts.packages > 0 && opts.after) fail('--packages and --after do not go together');
  return opts;
}

// sfc32 seeded through splitmix32: fast, good enough for synthetic text, and stable across Node versions.
function rng(seedText) {
  const digest = crypto.createHash('sha256').update(seedText).digest();
  let a = digest.readUInt32LE(0),
    b = digest.readUInt32LE(4),
    c = digest.readUInt32LE(8),
    d = digest.readUInt32LE(12) | 1;
  const next = () => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return t >>> 0;
  };
  for (let i = 0; i < 16; i++) next();
  const r = {
    u32: next,
    int: (n) => Math.floor((next() / 4294967296) * n),
    range: (lo, hi) => lo + r.int(hi - lo + 1),
    chance: (p) => next() / 4294967296 < p,
    pick: (list) => list[r.int(list.length)],
    // Box-Muller: package sizes are roughly log-normal.
    gauss: () => Math.sqrt(-2 * Math.log((next() + 1) / 4294967297)) * Math.cos((2 * Math.PI * next()) / 4294967296),
  };
  return r;
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
const hex = (buf) => {
  let s = '';
  for (const byte of buf) s += HEX[byte];
  return s;
};
function randomHex32(r) {
  let s = '';
  for (let i = 0; i < 8; i++) s += r.u32().toString(16).padStart(8, '0');
  return s;
}

const CATEGORIES = (
  'archivers audio benchmarks biology cad chat comms converters cross databases devel editors ' +
  'emulators filesystems finance fonts games geography graphics ham inputmethod lang mail math mbone ' +
  'misc multimedia net news parallel pkgtools print security shells sysutils textproc time wm www x11'
).split(' ');
const EXTRA_CATEGORIES = 'python perl5 ruby php gnome kde xfce4 tk lisp haskell japanese'.split(' ');
const PREFIXES = [
  ['', ''],
  ['', ''],
  ['', ''],
  ['', ''],
  ['py311-', 'py-'],
  ['py312-', 'py-'],
  ['p5-', 'p5-'],
  ['ruby32-', 'ruby-'],
  ['php82-', 'php-'],
  ['lib', 'lib'],
  ['tex-', 'tex-'],
  ['R-', 'R-'],
  ['hs-', 'hs-'],
  ['go-', 'go-'],
  ['xf86-input-', 'xf86-input-'],
  ['font-', 'font-'],
];
const SYLLABLES = (
  'ab ac ad al am an ar as at ba be bi bo bu ca ce ci co cu da de di do du el em en er es ex fa fe ' +
  'fi fo fu ga ge gi go gu ha he hi ho hu ja jo ka ke ki ko la le li lo lu ma me mi mo mu na ne ni no nu ' +
  'pa pe pi po pu ra re ri ro ru sa se si so su ta te ti to tu va ve vi vo wa we xa xi ya yo za ze zi zo ' +
  'zip gtk qt ssl xml png jpeg tiff yaml json http curl ssh zlib bz lz lzma pcre sql tcl perl rust'
).split(' ');
const LICENSES = [
  'modified-bsd',
  'mit',
  'isc',
  'apache-2.0',
  'gnu-gpl-v2',
  'gnu-gpl-v3',
  'gnu-gpl-v2 OR gnu-gpl-v3',
  'gnu-lgpl-v2.1',
  'gnu-lgpl-v3',
  'artistic OR gnu-gpl-v1',
  'mpl-2.0',
  'zlib',
  'public-domain',
  'original-bsd',
  'gnu-agpl-v3',
  'postgresql-license',
  'openssl AND ssleay',
  '2-clause-bsd',
];
const SYSTEM_LIBS = [
  '/usr/lib/libc.so.12',
  '/usr/lib/libm.so.0',
  '/usr/lib/libpthread.so.1',
  '/usr/lib/libz.so.1',
  '/usr/lib/libutil.so.7',
  '/usr/lib/libcrypto.so.15',
  '/usr/lib/libssl.so.15',
  '/usr/lib/libgcc_s.so.1',
  '/usr/lib/libstdc++.so.9',
  '/usr/lib/libcurses.so.9',
  '/usr/lib/libterminfo.so.2',
  '/usr/lib/libexecinfo.so.0',
  '/usr/X11R7/lib/libX11.so.7',
  '/usr/X11R7/lib/libXext.so.7',
];
const WORDS = (
  'a an the of and or to for with from in on by is are be can this that it its as at which using ' +
  'library tool program utility daemon server client interface framework module package collection set ' +
  'implementation bindings extension plugin driver parser compiler interpreter editor viewer converter ' +
  'fast small simple portable lightweight secure flexible powerful extensible modern classic robust ' +
  'network file data text image audio video stream archive database protocol format system kernel user ' +
  'memory process thread signal socket terminal window graphics font color document message mail news ' +
  'supports provides allows includes handles reads writes parses generates converts manages displays ' +
  'compiles runs builds checks tests encodes decodes compresses encrypts verifies signs queries renders ' +
  'multiple various several many common standard optional native external internal additional ' +
  'Unix NetBSD POSIX X11 GTK Qt Python Perl Ruby Lua TLS HTTP SSH JSON XML YAML SQL UTF-8 IPv6 ' +
  'configuration options features support performance compatibility documentation examples ' +
  'written designed intended available based derived compatible maintained developed released'
).split(' ');
const ACCENTED = ['café', 'naïve', 'Zürich', 'Ångström', 'résumé', 'façade', 'Müller', 'São Paulo', 'Kraków'];
// Text that looks like cleartext framing: it is inside values, so no line of the file starts with '-'.
const TRICKY = [
  '-----BEGIN PGP SIGNATURE-----',
  'Paste the output between -----BEGIN PGP SIGNATURE----- and -----END PGP SIGNATURE----- lines.',
  '-----BEGIN PGP SIGNED MESSAGE-----',
  '- the leading dash is part of the value, not a dash-escape',
  '--- dashes and = signs: key=value, a==b',
  '-----END PGP SIGNATURE-----',
];

function makeName(r) {
  const [prefix, pathPrefix] = r.pick(PREFIXES);
  let base = '';
  const syllables = r.range(2, 4);
  for (let i = 0; i < syllables; i++) base += r.pick(SYLLABLES);
  if (r.chance(0.25)) base += `-${r.pick(SYLLABLES)}${r.pick(SYLLABLES)}`;
  if (r.chance(0.1)) base += r.range(2, 9);
  return { name: prefix + base, pathName: pathPrefix + base, base };
}

function makeVersion(r) {
  let v = `${r.range(0, 12)}.${r.range(0, 40)}`;
  if (r.chance(0.6)) v += `.${r.range(0, 30)}`;
  if (r.chance(0.05)) v += r.pick(['alpha1', 'beta2', 'rc1', 'pre3']);
  if (r.chance(0.35)) v += `nb${r.range(1, 25)}`;
  return v;
}

function sentence(r, words) {
  let s = '';
  for (let i = 0; i < words; i++) {
    const w = r.chance(0.002) ? r.pick(ACCENTED) : r.pick(WORDS);
    s += i === 0 ? w[0].toUpperCase() + w.slice(1) : ` ${w}`;
  }
  return `${s}.`;
}

// Lines wrapped at ~72 columns, paragraphs separated by an empty DESCRIPTION=; never a trailing space.
function description(r) {
  const out = [];
  const paragraphs = r.range(1, 4);
  for (let p = 0; p < paragraphs; p++) {
    if (p > 0) out.push('DESCRIPTION=');
    let line = '';
    const sentences = r.range(2, 6);
    for (let s = 0; s < sentences; s++) {
      for (const word of sentence(r, r.range(6, 14)).split(' ')) {
        if (line.length + 1 + word.length > 72 && line) {
          out.push(`DESCRIPTION=${line}`);
          line = '';
        }
        line = line ? `${line} ${word}` : word;
      }
    }
    if (line) out.push(`DESCRIPTION=${line}`);
    if (r.chance(0.15)) {
      out.push('DESCRIPTION=');
      for (let i = r.range(2, 5); i > 0; i--) out.push(`DESCRIPTION=- ${sentence(r, r.range(3, 7))}`);
    }
  }
  if (r.chance(0.03)) out.splice(r.int(out.length + 1), 0, `DESCRIPTION=${r.pick(TRICKY)}`);
  return out;
}

function pad2(n) {
  return n < 10 ? `0${n}` : `${n}`;
}

// fileFor(pkgname), when given, writes the entry's package and returns its real size and sha256.
function entry(r, used, recent, fileFor) {
  let id, pkgname;
  do {
    id = makeName(r);
    pkgname = `${id.name}-${makeVersion(r)}`;
  } while (used.has(pkgname));
  used.add(pkgname);
  const file = fileFor ? fileFor(pkgname) : null;

  const category = r.pick(CATEGORIES);
  const lines = [`PKGNAME=${pkgname}`];
  if (r.chance(0.04)) lines.push(`CONFLICTS=${id.name}-[0-9]*`);
  const depends = recent.length ? r.range(1, 8) : 0;
  const seen = new Set();
  for (let i = 0; i < depends; i++) {
    const dep = r.pick(recent);
    if (seen.has(dep.name)) continue;
    seen.add(dep.name);
    const form = r.int(4);
    if (form === 0) lines.push(`DEPENDS=${dep.name}>=${dep.version.replace(/nb\d+$/, '')}`);
    else if (form === 1) lines.push(`DEPENDS=${dep.name}-[0-9]*`);
    else if (form === 2) lines.push(`DEPENDS=${dep.name}>=${r.range(0, 9)}.${r.range(0, 9)}<${r.range(10, 20)}`);
    else lines.push(`DEPENDS={${dep.name},${dep.name}-devel}>=${r.range(0, 9)}.${r.range(0, 20)}`);
  }
  lines.push(`COMMENT=${sentence(r, r.range(3, 9)).slice(0, -1)}`);
  const fileSize = file ? file.size : Math.floor(Math.exp(9 + 2.2 * Math.abs(r.gauss()))) + r.int(4096);
  lines.push(`SIZE_PKG=${fileSize * r.range(2, 5) + r.int(100000)}`);
  lines.push(
    `BUILD_DATE=2024-${pad2(r.range(1, 12))}-${pad2(r.range(1, 28))} ${pad2(r.int(24))}:${pad2(r.int(60))}:${pad2(r.int(60))} +0000`,
  );
  lines.push(`CATEGORIES=${r.chance(0.4) ? `${category} ${r.pick(EXTRA_CATEGORIES)}` : category}`);
  const site = r.int(4);
  if (site === 0) lines.push(`HOMEPAGE=https://github.com/${id.base}/${id.base}/`);
  else if (site === 1) lines.push(`HOMEPAGE=https://www.${id.base}.org/`);
  else if (site === 2) lines.push(`HOMEPAGE=https://${id.base}.sourceforge.net/index.php?page=home&lang=en`);
  else lines.push(`HOMEPAGE=https://pypi.org/project/${id.base}/`);
  lines.push(`LICENSE=${r.pick(LICENSES)}`);
  lines.push('MACHINE_ARCH=x86_64', 'OPSYS=NetBSD', 'OS_VERSION=10.0');
  lines.push(`PKGPATH=${category}/${id.pathName}`, 'PKGTOOLS_VERSION=20091115');
  const provides = r.chance(0.3) ? r.range(1, 3) : 0;
  for (let i = 0; i < provides; i++) lines.push(`PROVIDES=/usr/pkg/lib/lib${id.base}${i ? i : ''}.so.${r.range(0, 9)}`);
  const requires = new Set();
  for (let i = r.range(0, 6); i > 0; i--) {
    requires.add(
      r.chance(0.5) || !recent.length
        ? r.pick(SYSTEM_LIBS)
        : `/usr/pkg/lib/lib${r.pick(recent).base}.so.${r.range(0, 9)}`,
    );
  }
  for (const lib of requires) lines.push(`REQUIRES=${lib}`);
  lines.push(`FILE_NAME=${pkgname}.tgz`, `FILE_SIZE=${fileSize}`);
  lines.push(`FILE_CKSUM=sha256 ${file ? file.sha256 : randomHex32(r)}`);
  for (const line of description(r)) lines.push(line);

  const version = pkgname.slice(id.name.length + 1);
  if (recent.length < 512) recent.push({ name: id.name, base: id.base, version });
  else recent[r.int(512)] = { name: id.name, base: id.base, version };
  return { pkgname, text: `${lines.join('\n')}\n\n` };
}

// Package sizes: log-normal-ish weights scaled to the requested total, at least 1 KiB where possible.
function packageSizes(r, count, total) {
  const floor = Math.min(1024, Math.floor(total / count));
  const weights = Array.from({ length: count }, () => Math.exp(1.1 * r.gauss()));
  const sum = weights.reduce((a, b) => a + b, 0);
  const spare = total - floor * count;
  const sizes = weights.map((w) => floor + Math.floor((spare * w) / sum));
  sizes[sizes.length - 1] += total - sizes.reduce((a, b) => a + b, 0);
  return sizes;
}

// AES-CTR keystream: deterministic from the seed and several GB/s, so 1 GiB costs about a second.
function writePackage(file, size, cipher, zeros) {
  const hash = crypto.createHash('sha256');
  const fd = fs.openSync(file, 'w');
  try {
    for (let left = size; left > 0;) {
      let chunk = cipher.update(zeros);
      if (chunk.length > left) chunk = chunk.subarray(0, left);
      hash.update(chunk);
      fs.writeSync(fd, chunk);
      left -= chunk.length;
    }
  } finally {
    fs.closeSync(fd);
  }
  return hash.digest('hex');
}

function main() {
  const opts = parseArgs(process.argv.slice(2));
  const started = process.hrtime.bigint();
  fs.mkdirSync(opts.out, { recursive: true });
  const r = rng(`${opts.seed}/summary`);
  const sizes = opts.packages ? packageSizes(rng(`${opts.seed}/sizes`), opts.packages, opts.packageBytes) : [];
  const pkgDir = path.join(opts.out, 'packages');
  if (opts.packages) fs.mkdirSync(pkgDir, { recursive: true });
  const key = crypto.createHash('sha256').update(`${opts.seed}/packages`).digest();
  const cipher = crypto.createCipheriv('aes-128-ctr', key.subarray(0, 16), key.subarray(16, 32));
  const zeros = Buffer.alloc(1 << 20);

  const summaryPath = path.join(opts.out, 'pkg_summary');
  const tmp = `${summaryPath}.tmp`;
  const fd = fs.openSync(tmp, 'w');
  const used = new Set();
  const recent = [];
  let chunk = '';
  let bytes = 0;
  let first = 0;
  if (opts.after) {
    const head = fs.readFileSync(opts.after);
    for (const m of head.toString('latin1').matchAll(/^PKGNAME=(.*)$/gm)) {
      used.add(m[1]);
      first++;
    }
    if (first > opts.entries) fail(`${opts.after} has ${first} entries, more than --entries ${opts.entries}`);
    bytes += fs.writeSync(fd, head);
  }
  for (let i = first; i < opts.entries; i++) {
    const fileFor =
      i < opts.packages
        ? (pkgname) => ({
            size: sizes[i],
            sha256: writePackage(path.join(pkgDir, `${pkgname}.tgz`), sizes[i], cipher, zeros),
          })
        : null;
    chunk += entry(r, used, recent, fileFor).text;
    if (chunk.length >= 1 << 20) {
      bytes += fs.writeSync(fd, chunk);
      chunk = '';
    }
  }
  if (chunk) bytes += fs.writeSync(fd, chunk);
  fs.closeSync(fd);
  fs.renameSync(tmp, summaryPath);

  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const packageNote = opts.packages ? `; ${opts.packages} packages, ${opts.packageBytes} bytes in ${pkgDir}` : '';
  process.stderr.write(
    `generate.js: ${summaryPath}: ${opts.entries} entries, ${bytes} bytes${packageNote} (${seconds.toFixed(1)} s)\n`,
  );
}

main();
