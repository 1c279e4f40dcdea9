#!/usr/bin/env node
'use strict';
// The markdown report of bench/run.sh: node bench/report.js META.tsv RAW.tsv > results.md
// META: key<TAB>value lines; RAW: label<TAB>run<TAB>wall microseconds<TAB>peak RSS KiB.

const fs = require('node:fs');

const [metaFile, rawFile] = process.argv.slice(2);
if (!metaFile || !rawFile) {
  process.stderr.write('usage: node bench/report.js META.tsv RAW.tsv\n');
  process.exit(2);
}
const lines = (file) => fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => l.split('\t'));
const meta = Object.fromEntries(lines(metaFile).map(([k, ...v]) => [k, v.join('\t')]));
const runs = new Map();
for (const [label, , us, kib] of lines(rawFile)) {
  if (!runs.has(label)) runs.set(label, []);
  runs.get(label).push({ s: Number(us) / 1e6, kib: Number(kib) });
}

// Best wall time: other processes can only slow a run down, so the fastest run is the closest to the
// program's own cost (raw runs are listed at the end). Highest RSS: the targets are ceilings.
function stat(label) {
  const r = runs.get(label);
  if (!r) return null;
  return { s: Math.min(...r.map((x) => x.s)), mib: Math.max(...r.map((x) => x.kib)) / 1024 };
}

const NA = 'n/a';
const sec = (x) => (x ? x.s.toFixed(3) : NA);
const mib = (x) => (x ? x.mib.toFixed(1) : NA);
const ratio = (a, b) => (a != null && b ? `${(a / b).toFixed(2)}×` : NA);
const mark = (ok) => (ok == null ? '?' : ok ? '✓' : '✗');
const thousands = (n) => Number(n).toLocaleString('en-US');
const mb = (bytes) => (Number(bytes) / 1e6).toFixed(1);

const sizes = Object.keys(meta).filter((k) => k.startsWith('bytes_')).map((k) => Number(k.slice(6))).sort((a, b) => a - b);
const main = sizes.includes(25000) ? 25000 : sizes[Math.floor(sizes.length / 2)];
const out = [];
const p = (line = '') => out.push(line);

p('# pkgkeys benchmarks');
p();
p(`Measured ${meta.date} on \`${meta.uname}\`, ${meta.cpu}, ${meta.cores} cores, ${meta.memory} RAM, SHA-NI: ${meta.sha_ni}.`);
p(`pkgkeys: \`${meta.pkgkeys}\`; Node ${meta.node}; ${meta.gpg}; ${meta.gpgv}; ${meta.sq}; ${meta.openssl}; ${meta.sha256sum}.`);
p();
p(`Wall time is the best of ${meta.runs} runs, peak RSS the highest (GNU time \`%M\`); ratios are pkgkeys / peer,`);
p('so below 1 means pkgkeys is faster or smaller. MB = 10^6 bytes, MiB = 2^20 bytes.');
p(`Load average (1, 5, 15 min) before: ${meta.load_start ?? NA}; after: ${meta.load_end ?? NA}. On ${meta.cores} cores, a load`);
p('much above 0 at either end means other processes shared the CPU: compare the raw runs at the end.');
p();

// --- targets
const v = (tool, n) => stat(`verify:${tool}:${n}`);
const pkV = v('pkgkeys', main), sqV = v('sq', main);
const pkS = stat(`sign:pkgkeys:${main}`), gpgS = stat(`sign:gpg:${main}`);
const j1 = stat('hash:pkgkeys-j1'), j2 = stat('hash:pkgkeys-j2'), ossl = stat('hash:openssl');
const bytes = Number(meta.package_bytes);
const mbps = (x) => (x ? bytes / 1e6 / x.s : null);

// Marginal cost per entry between sizes: startup is paid once, so raw time per entry at 2,500 entries
// says more about Node's start than about scaling.
const marginal = [];
for (let i = 1; i < sizes.length; i++) {
  const a = v('pkgkeys', sizes[i - 1]), b = v('pkgkeys', sizes[i]);
  if (a && b) marginal.push({ from: sizes[i - 1], to: sizes[i], us: ((b.s - a.s) / (sizes[i] - sizes[i - 1])) * 1e6 });
}
const spread = marginal.length >= 2 ? Math.max(...marginal.map((m) => m.us)) / Math.min(...marginal.map((m) => m.us)) : null;

p('## Targets');
p();
p('| target | measured | |');
p('|---|---|---|');
p(`| verify-summary time ≤ \`sq verify\` (${thousands(main)} entries) | ${sec(pkV)} s vs ${sec(sqV)} s (${ratio(pkV?.s, sqV?.s)}) | ${mark(pkV && sqV ? pkV.s <= sqV.s : null)} |`);
p(`| verify-summary peak RSS < 150 MiB | ${mib(pkV)} MiB | ${mark(pkV ? pkV.mib < 150 : null)} |`);
p(`| sign-summary time ≤ \`gpg --clearsign\` | ${sec(pkS)} s vs ${sec(gpgS)} s (${ratio(pkS?.s, gpgS?.s)}) | ${mark(pkS && gpgS ? pkS.s <= gpgS.s : null)} |`);
p(`| verify-packages --jobs 1 ≥ 80% of \`openssl dgst -sha256\` throughput | ${mbps(j1)?.toFixed(0) ?? NA} vs ${mbps(ossl)?.toFixed(0) ?? NA} MB/s (${j1 && ossl ? `${((ossl.s / j1.s) * 100).toFixed(0)}%` : NA}) | ${mark(j1 && ossl ? ossl.s / j1.s >= 0.8 : null)} |`);
p(`| verify-packages --jobs 2 ≥ 1.6× --jobs 1 | ${j1 && j2 ? `${(j1.s / j2.s).toFixed(2)}×` : NA} | ${mark(j1 && j2 ? j1.s / j2.s >= 1.6 : null)} |`);
p(`| verify-summary time per entry roughly constant (marginal cost within 1.5× across sizes) | ${marginal.map((m) => `${thousands(m.from)}→${thousands(m.to)}: ${m.us.toFixed(2)} µs`).join('; ') || NA} | ${mark(spread == null ? null : spread <= 1.5)} |`);
p();

// --- verify
p(`## Verify a signed pkg_summary (${thousands(main)} entries, ${mb(meta[`bytes_${main}`])} MB)`);
p();
p('| command | wall (s) | peak RSS (MiB) | pkgkeys/peer time | pkgkeys/peer RSS |');
p('|---|---:|---:|---:|---:|');
p(`| \`pkgkeys verify-summary\` | ${sec(pkV)} | ${mib(pkV)} | | |`);
for (const [tool, name] of [['gpgv', '`gpgv --keyring host.gpg`'], ['sq', '`sq verify --signer-cert host.asc`']]) {
  const x = v(tool, main);
  p(`| ${name} | ${sec(x)} | ${mib(x)} | ${ratio(pkV?.s, x?.s)} | ${ratio(pkV?.mib, x?.mib)} |`);
}
p();
p('All three check the same file, signed by `pkgkeys sign-summary`; the peers are given the signing certificate,');
p('pkgkeys the anchor and keyring, so it also walks the chain, checks scope and freshness and writes its state;');
p('pkgkeys and sq write the verified text to a file through a shell redirection (gpgv writes none); so do both signers below.');
p(`verify-summary's output equals the unsigned pkg_summary: ${sizes.map((n) => `${thousands(n)}: ${meta[`verified_same_${n}`] ?? NA}`).join(', ')}.`);
p();

// --- sign
p(`## Sign a pkg_summary (${thousands(main)} entries)`);
p();
p('| command | wall (s) | peak RSS (MiB) | pkgkeys/peer time | pkgkeys/peer RSS |');
p('|---|---:|---:|---:|---:|');
p(`| \`pkgkeys sign-summary\` (RSA-3072, Hash: ${meta.hash_pkgkeys || NA}) | ${sec(pkS)} | ${mib(pkS)} | | |`);
const pkN = stat(`sign:pkgkeys-nopass:${main}`);
p(`| \`pkgkeys sign-summary\`, key without passphrase | ${sec(pkN)} | ${mib(pkN)} | ${ratio(pkN?.s, gpgS?.s)} | ${ratio(pkN?.mib, gpgS?.mib)} |`);
p(`| \`gpg --clearsign\` (RSA-3072, Hash: ${meta.hash_gpg || NA}) | ${sec(gpgS)} | ${mib(gpgS)} | ${ratio(pkS?.s, gpgS?.s)} | ${ratio(pkS?.mib, gpgS?.mib)} |`);
p();
p("The target uses a passphrase-protected key (PKGKEYS_PASSPHRASE), decrypted on every run; gpg's key has no passphrase,");
p("and gpg-agent, already running, does the private-key operation: the agent's time and memory are not in gpg's figures.");
p('The ratio in the row without passphrase is against gpg too.');
p();

// --- hash
p(`## Hash packages (${thousands(meta.packages)} files, ${mb(bytes)} MB, from the page cache)`);
p();
p('| command | processes | wall (s) | MB/s | peak RSS (MiB) | pkgkeys/peer time |');
p('|---|---:|---:|---:|---:|---:|');
const hashRows = [
  ['hash:pkgkeys-j1', '`pkgkeys verify-packages --jobs 1`', 1, null],
  ['hash:pkgkeys-j2', '`pkgkeys verify-packages --jobs 2`', 2, null],
  ['hash:sha256sum', '`sha256sum`', 1, j1],
  ['hash:openssl', '`openssl dgst -sha256`', 1, j1],
  ['hash:sha256sum-P2', '`xargs -P2 -n 10 sha256sum`', 2, j2],
  ['hash:openssl-P2', '`xargs -P2 -n 10 openssl dgst -sha256`', 2, j2],
];
for (const [label, name, procs, mine] of hashRows) {
  const x = stat(label);
  p(`| ${name} | ${procs} | ${sec(x)} | ${mbps(x)?.toFixed(0) ?? NA} | ${mib(x)} | ${mine ? ratio(mine.s, x?.s) : ''} |`);
}
p();
p('pkgkeys is compared with the peers that use as many processes; its time includes verifying the signed index');
p('(start-up, chain, signature) before the first package is hashed.');
p();

// --- scaling
p('## Scaling: verify by index size');
p();
p('| entries | MB | pkgkeys (s) | µs/entry | RSS (MiB) | gpgv (s) | µs/entry | sq (s) | µs/entry | RSS (MiB) | pkgkeys/sq time |');
p('|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
const perEntry = (x, n) => (x ? ((x.s / n) * 1e6).toFixed(2) : NA);
for (const n of sizes) {
  const a = v('pkgkeys', n), g = v('gpgv', n), q = v('sq', n);
  p(`| ${thousands(n)} | ${mb(meta[`bytes_${n}`])} | ${sec(a)} | ${perEntry(a, n)} | ${mib(a)} | ${sec(g)} | ${perEntry(g, n)} | ${sec(q)} | ${perEntry(q, n)} | ${mib(q)} | ${ratio(a?.s, q?.s)} |`);
}
p();
p('Time per entry includes start-up, which dominates small indexes; the target is judged on the marginal cost');
p(`between sizes: ${marginal.map((m) => `${thousands(m.from)}→${thousands(m.to)} entries: ${m.us.toFixed(2)} µs/entry`).join(', ') || NA}.`);

p();

// --- raw runs, so that a noisy run can be told from a slow program
p('## Raw runs');
p();
p('| measurement | wall (s), in run order | peak RSS (MiB), in run order |');
p('|---|---|---|');
for (const [label, r] of runs) {
  p(`| ${label} | ${r.map((x) => x.s.toFixed(3)).join(' ')} | ${r.map((x) => (x.kib / 1024).toFixed(1)).join(' ')} |`);
}

process.stdout.write(`${out.join('\n')}\n`);
