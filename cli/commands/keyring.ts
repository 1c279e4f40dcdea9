import * as path from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { EXIT, PkgkeysError } from '../../lib/errors';
import { readBounded, writeAtomic } from '../../lib/fsutil';
import type { Certificate } from '../../lib/model';
import { MAX_KEYRING_BYTES } from '../../lib/limits';
import type { Step, TrustGraph } from '../../lib/trust/chain';
import { certificateProblems } from '../../lib/trust/policy';
import type { ThresholdVerdict } from '../../lib/trust/threshold';
import { checkRepository } from '../../lib/trust/scope';
import { formatTime, parseExpiry, parseTime } from '../../lib/time';
import { nowOf, policyOfCommand, print, readPassphrase, repeatable, thresholdOption, warn } from '../common';
import type { GlobalArgs } from '../io';

interface KeyringArgs extends GlobalArgs {
  keyring: string;
}

const importCmd: CommandModule<KeyringArgs, KeyringArgs & { files: string[] }> = {
  command: 'import <files..>',
  describe: 'Add certificates, certifications and revocations to the keyring directory',
  builder: (y) =>
    y.positional('files', {
      type: 'string',
      array: true,
      demandOption: true,
      describe: 'armored or binary OpenPGP files',
    }),
  handler: async (argv) => {
    const { importKeys } = require('../../lib/keyring/store') as typeof import('../../lib/keyring/store');
    const reports = [];
    for (const file of argv.files)
      reports.push({ file, ...(await importKeys(argv.keyring, await readBounded(file, MAX_KEYRING_BYTES), file)) });
    print(argv, reports, (rs) =>
      rs.flatMap((r) => [
        `${r.file}: ${r.certificates.join(', ')}: ${r.written.length} file(s) written${r.ignored ? `, ${r.ignored} signature(s) not imported (unverifiable, superseded or already present)` : ''}`,
        ...r.written.map((w) => `  ${w}`),
      ]),
    );
  },
};

const exportCmd: CommandModule<KeyringArgs, KeyringArgs & { armor: boolean; out: string | undefined }> = {
  command: 'export',
  describe: 'Write the keyring as one sorted, reproducible file',
  builder: (y) =>
    y
      .option('armor', { type: 'boolean', default: false, describe: 'ASCII armor instead of binary' })
      .option('out', { type: 'string', describe: 'output file (default: standard output)' }),
  handler: async (argv) => {
    const { exportKeyring } = require('../../lib/keyring/store') as typeof import('../../lib/keyring/store');
    const { armor } = require('../../lib/pgp') as typeof import('../../lib/pgp');
    const binary = await exportKeyring(argv.keyring);
    const data = argv.armor ? armor('publicKey', binary) : binary;
    if (argv.out) await writeAtomic(argv.out, data);
    else argv.session.io.stdout(data);
  },
};

interface CheckArgs extends KeyringArgs {
  anchor: string[] | undefined;
  threshold: number | undefined;
}

const checkCmd: CommandModule<KeyringArgs, CheckArgs> = {
  command: 'check',
  describe:
    'Check that every file holds the packet its name says, nothing dangles, and every key meets the policy; with --anchor, report keys below the threshold',
  builder: (y) =>
    y
      .option(
        'anchor',
        repeatable(
          'trust anchor: with it, keys that some anchors vouch for now, but fewer than --threshold, are reported; repeatable',
        ),
      )
      .option('threshold', thresholdOption),
  handler: async (argv) => {
    const { checkLayout, loadTrustGraph } =
      require('../../lib/keyring/store') as typeof import('../../lib/keyring/store');
    const { belowThreshold } = require('../../lib/trust/threshold') as typeof import('../../lib/trust/threshold');
    const policy = await policyOfCommand(argv);
    const { certificates, problems } = await checkLayout(argv.keyring);
    const weak = certificates.flatMap((c) =>
      certificateProblems(c, policy).map((message) => ({ path: c.fingerprint, message })),
    );
    const all = [...problems, ...weak];
    // A key below the threshold is a certification ceremony under way: reported, not a fault of the keyring.
    const below =
      argv.anchor && all.length === 0
        ? belowThreshold(await loadTrustGraph(argv.anchor, argv.keyring), nowOf(argv), policy).map(brief)
        : [];
    print(
      argv,
      { ok: all.length === 0, certificates: certificates.length, problems: all, belowThreshold: below },
      (r) => [
        ...(r.ok
          ? [`${argv.keyring}: ${r.certificates} certificate(s), no problems`]
          : r.problems.map((p) => `${p.path}: ${p.message}`)),
        ...r.belowThreshold.map((b) => `${b.key}: below the threshold: ${b.reason}`),
      ],
    );
    if (all.length > 0) throw new PkgkeysError('KEYRING_INVALID', `${argv.keyring}: ${all.length} problem(s)`);
  },
};

const listCmd: CommandModule<KeyringArgs, CheckArgs> = {
  command: 'list',
  describe:
    'List certificates with their certifications and revocations; with --anchor, what each key is trusted for now',
  builder: (y) =>
    y
      .option(
        'anchor',
        repeatable("trust anchor: with it, each key's verdict now and the scopes its chain grants; repeatable"),
      )
      .option('threshold', thresholdOption),
  handler: async (argv) => {
    const { loadCertificates, loadTrustGraph } =
      require('../../lib/keyring/store') as typeof import('../../lib/keyring/store');
    const { authorizeAllThreshold } =
      require('../../lib/trust/threshold') as typeof import('../../lib/trust/threshold');
    if (!argv.anchor) {
      print(
        argv,
        (await loadCertificates([argv.keyring])).map((c) => summary(c, null)),
        (list) => list.flatMap(listLines),
      );
      return;
    }
    const graph = await loadTrustGraph(argv.anchor, argv.keyring);
    const now = nowOf(argv);
    const verdicts = authorizeAllThreshold(graph, {
      repository: null,
      signedAt: now,
      now,
      policy: await policyOfCommand(argv),
    });
    const certificates = [...graph.certificates()].sort((a, b) => (a.fingerprint < b.fingerprint ? -1 : 1));
    print(
      argv,
      certificates.map((c) => summary(c, graph.anchors.has(c.fingerprint) ? 'anchor' : verdicts.get(c.fingerprint)!)),
      (list) => list.flatMap(listLines),
    );
  },
};

/** A key's standing for `list --anchor`: an anchor, or its verdict for any repository now, with the scopes its chain grants. */
function standing(verdict: ThresholdVerdict | 'anchor' | null) {
  if (verdict === null) return undefined;
  if (verdict === 'anchor') return { anchor: true };
  return verdict.trusted
    ? { trusted: true, granted: verdict.granted }
    : { trusted: false, code: verdict.code, reason: verdict.reason };
}

function summary(cert: Certificate, verdict: ThresholdVerdict | 'anchor' | null) {
  return {
    fingerprint: cert.fingerprint,
    trust: standing(verdict),
    algorithm: `${cert.algorithm.name}${cert.algorithm.bits}`,
    created: cert.created,
    revoked: cert.revocations.map((r) => ({ created: r.created, reason: r.reason, text: r.text, by: r.issuer })),
    userIDs: cert.userIDs.map((u) => ({
      userID: u.text,
      certifications: u.certifications.map((c) => ({
        issuer: c.issuer,
        created: c.created,
        expires: c.expires,
        scopes: c.scopes,
        delegation: c.trust ? c.trust.depth : 0,
        revoked: u.certificationRevocations.some((r) => r.issuer === c.issuer && r.created >= c.created),
      })),
    })),
    subkeys: cert.subkeys.map((s) => ({
      fingerprint: s.fingerprint,
      algorithm: `${s.algorithm.name}${s.algorithm.bits}`,
      revoked: s.revocations.length > 0,
    })),
  };
}

function listLines(s: ReturnType<typeof summary>): string[] {
  const lines = [
    `${s.fingerprint}  ${s.algorithm}  created ${formatTime(s.created)}${s.revoked.map((r) => `  REVOKED ${formatTime(r.created)} (${r.reason})${r.by === s.fingerprint ? '' : ` by designated revoker ${r.by}`}`).join('')}`,
  ];
  const t = s.trust;
  if (t)
    lines.push(
      `  ${'anchor' in t ? 'trust anchor' : t.trusted ? `trusted now for ${t.granted!.join(' ')}` : `not trusted now: ${t.code}`}`,
    );
  for (const u of s.userIDs) {
    lines.push(`  uid ${u.userID}`);
    for (const c of u.certifications) {
      lines.push(
        `    ${c.delegation ? `delegated (depth ${c.delegation})` : 'certified'} by ${c.issuer} ${formatTime(c.created)}` +
          ` ${c.expires ? `until ${formatTime(c.expires)}` : 'no expiry'}  scope ${c.scopes.join(' ') || '(none)'}${c.revoked ? '  REVOKED' : ''}`,
      );
    }
  }
  for (const sub of s.subkeys)
    lines.push(`  sub ${sub.fingerprint}  ${sub.algorithm}${sub.revoked ? '  REVOKED' : ''}`);
  return [...lines, ''];
}

interface ExplainArgs extends KeyringArgs {
  fingerprint: string;
  anchor: string[];
  threshold: number | undefined;
  repository: string | undefined;
  at: string | undefined;
}

const explainCmd: CommandModule<KeyringArgs, ExplainArgs> = {
  command: 'explain <fingerprint>',
  describe:
    'Show the chain from each anchor to a key, step by step, or the first step that fails, and how many anchors vouch',
  builder: (y) =>
    y
      .positional('fingerprint', {
        type: 'string',
        demandOption: true,
        describe: 'fingerprint or key ID of a key or subkey',
      })
      .option('anchor', {
        ...repeatable("trust anchor: the master key's public certificate; repeatable"),
        demandOption: true,
      })
      .option('threshold', thresholdOption)
      .option('repository', {
        type: 'string',
        describe: 'repository identifier, e.g. NetBSD/x86_64/10.0/All (default: any repository the whole chain grants)',
      })
      .option('at', { type: 'string', describe: 'judge as of this time (default: now)' }),
  handler: async (argv) => {
    const { loadTrustGraph } = require('../../lib/keyring/store') as typeof import('../../lib/keyring/store');
    const { findKey } = require('../../lib/keyref') as typeof import('../../lib/keyref');
    const { describe: describeKey } = require('../../lib/trust/chain') as typeof import('../../lib/trust/chain');
    const { authorizeThreshold } = require('../../lib/trust/threshold') as typeof import('../../lib/trust/threshold');
    const repository = argv.repository ? checkRepository(argv.repository) : null;
    const at = argv.at ? parseTime(argv.at) : nowOf(argv);
    const graph = await loadTrustGraph(argv.anchor, argv.keyring);
    const key = findKey(
      [...graph.certificates()].flatMap((c) => [c, ...c.subkeys]),
      argv.fingerprint,
      `${argv.keyring} and the anchors`,
    );
    const verdict = authorizeThreshold(graph, {
      key,
      repository,
      signedAt: at,
      now: at,
      policy: await policyOfCommand(argv),
    });
    const found = graph.resolve(key);
    print(argv, { ...verdict, repository: argv.repository ?? null, at }, (v) => [
      `${found ? describeKey(found.certificate) : key}${argv.repository ? ` for ${argv.repository}` : ' (any repository)'} at ${formatTime(at)}`,
      ...(v.anchors.length > 1 ? perAnchor(graph, v) : stepLines(v.steps)),
      ...(v.trusted ? [`  granted: ${v.granted.join(', ')}`] : []),
      v.trusted ? 'trusted' : `not trusted: ${v.code}`,
    ]);
    if (!verdict.trusted) argv.session.exit = EXIT.notTrusted;
  },
};

const stepLines = (steps: readonly Step[], indent = '  ') =>
  steps.map((s) => `${indent}${s.ok ? 'ok  ' : `FAIL ${s.code}`}  ${s.text}`);

/** Each anchor's path (or the step where it fails), then the count against the threshold. */
function perAnchor(graph: TrustGraph, v: ThresholdVerdict): string[] {
  const { describe: describeKey } = require('../../lib/trust/chain') as typeof import('../../lib/trust/chain');
  return [
    ...v.anchors.flatMap((a) => {
      const anchor = graph.get(a.anchor);
      return [
        `  anchor ${anchor ? describeKey(anchor) : a.anchor}: ${a.verdict.trusted ? 'vouches' : `does not vouch (${a.verdict.code})`}`,
        ...stepLines(a.verdict.steps, '    '),
      ];
    }),
    `  ${v.vouching.length} of ${v.anchors.length} anchors vouch${v.vouching.length ? ` (${v.vouching.join(', ')})` : ''}; ${v.threshold} needed`,
  ];
}

/** A key below the threshold, as check and publish report it. */
const brief = (v: ThresholdVerdict) => ({
  key: v.key,
  vouching: v.vouching,
  threshold: v.threshold,
  reason: v.trusted ? '' : v.reason,
});

interface PublishArgs extends KeyringArgs {
  key: string;
  anchor: string[];
  threshold: number | undefined;
  name: string | undefined;
  serial: number | undefined;
  expires: string;
  'update-interval': string;
  out: string;
  'passphrase-file': string | undefined;
}

const publishCmd: CommandModule<KeyringArgs, PublishArgs> = {
  command: 'publish',
  describe: 'Write the keyring and a signed, serial-numbered, expiring release statement for mirrors to serve',
  builder: (y) =>
    y
      .option('key', {
        type: 'string',
        demandOption: true,
        describe: 'secret key certified for keyring/NAME (the master may sign itself only if so certified)',
      })
      .option('anchor', {
        ...repeatable('trust anchor the release is checked against, as clients will; repeatable'),
        demandOption: true,
      })
      .option('threshold', thresholdOption)
      .option('name', {
        type: 'string',
        describe: "keyring name; the release is signed for keyring/NAME (default: the keyring directory's name)",
      })
      .option('serial', {
        type: 'number',
        describe: 'release serial (default: one more than the release in --out, and at least YYYYMMDD01 of today)',
      })
      .option('expires', {
        type: 'string',
        default: '14d',
        describe: 'when the release statement expires: clients report the keyring frozen after that',
      })
      // Clients run pkgkeys update once a day from cron (docs/keyring-updates.md): a release must outlive that.
      .option('update-interval', {
        type: 'string',
        default: '1d',
        describe: 'how often clients run pkgkeys update (their cron line): the release must live longer',
      })
      .option('out', {
        type: 'string',
        demandOption: true,
        describe: 'directory the mirror serves: keyring.gpg and release.asc are written there',
      })
      .option('passphrase-file', { type: 'string', describe: "read the key's passphrase from the first line of FILE" }),
  handler: async (argv) => {
    const { openSecretKey } = require('../../lib/authority') as typeof import('../../lib/authority');
    const { KEYRING_FILE, RELEASE_FILE } =
      require('../../lib/keyring/release') as typeof import('../../lib/keyring/release');
    const { publishKeyring } = require('../../lib/publish/keyring') as typeof import('../../lib/publish/keyring');
    const now = nowOf(argv);
    const expires = parseExpiry(argv.expires, now);
    if (expires === null)
      throw new PkgkeysError(
        'USAGE',
        'a keyring release must expire, or a frozen mirror could not be noticed: give --expires DURATION',
      );
    if (!/^\d+(s|min|h|d|w|m|y)$/.test(argv['update-interval']))
      throw new PkgkeysError(
        'USAGE',
        `--update-interval is a duration such as 1d or 12h, not "${argv['update-interval']}"`,
      );
    const updateIntervalMs = parseExpiry(argv['update-interval'], now)!.getTime() - now.getTime();
    const key = await openSecretKey(argv.key, () =>
      readPassphrase(argv.session.io, argv['passphrase-file'], `Passphrase for ${argv.key}`),
    );
    const name = argv.name ?? path.basename(path.resolve(argv.keyring));
    const policy = await policyOfCommand(argv);
    const { belowThreshold: below, ...release } = await publishKeyring({
      keyring: argv.keyring,
      name,
      serial: argv.serial ?? null,
      key,
      anchors: argv.anchor,
      policy,
      now,
      expires,
      updateIntervalMs,
      out: argv.out,
    });
    if (!argv.json)
      for (const b of below.map(brief))
        warn(argv, `${b.key} is below the threshold, clients will not trust it: ${b.reason}`);
    print(argv, { ...release, out: argv.out, belowThreshold: below.map(brief) }, (r) => [
      `keyring ${r.name} release ${r.serial}: ${r.size} bytes, sha256 ${r.sha256}, signed by ${r.signer}, valid until ${formatTime(r.expires)}`,
      `  ${path.join(r.out, KEYRING_FILE)}`,
      `  ${path.join(r.out, RELEASE_FILE)}`,
    ]);
  },
};

interface PackageArgs extends KeyringArgs {
  release: string;
  opsys: string;
  'os-version': string;
  'machine-arch': string;
  prefix: string;
  'pkgtools-version': string;
  out: string;
}

const packageCmd: CommandModule<KeyringArgs, PackageArgs> = {
  command: 'package',
  describe: 'Build pkgsrc-keyring-SERIAL.tgz, a pkgsrc binary package of a published release, for pkg_add',
  builder: (y) =>
    y
      .option('release', {
        type: 'string',
        demandOption: true,
        describe: 'directory of a published release (keyring publish --out)',
      })
      .option('opsys', {
        type: 'string',
        demandOption: true,
        describe: 'OPSYS of the target systems, e.g. NetBSD (pkg_add refuses another)',
      })
      .option('os-version', {
        type: 'string',
        demandOption: true,
        describe: 'OS_VERSION, e.g. 10.0 (pkg_add warns on another)',
      })
      .option('machine-arch', {
        type: 'string',
        demandOption: true,
        describe: 'MACHINE_ARCH, e.g. x86_64 (pkg_add refuses another)',
      })
      .option('prefix', { type: 'string', default: '/usr/pkg', describe: 'installation prefix (@cwd)' })
      .option('pkgtools-version', {
        type: 'string',
        default: '20091115',
        describe: 'PKGTOOLS_VERSION: pkg_add refuses a package that needs a newer pkg_install',
      })
      .option('out', { type: 'string', default: '.', describe: 'directory the package is written to' }),
  handler: async (argv) => {
    const { keyringPackage } =
      require('../../lib/publish/keyring-package') as typeof import('../../lib/publish/keyring-package');
    const built = await keyringPackage({
      release: argv.release,
      prefix: argv.prefix,
      opsys: argv.opsys,
      osVersion: argv['os-version'],
      machineArch: argv['machine-arch'],
      pkgtoolsVersion: argv['pkgtools-version'],
    });
    const file = path.join(argv.out, `${built.pkgname}.tgz`);
    await writeAtomic(file, built.data);
    print(argv, { pkgname: built.pkgname, serial: built.serial, file, size: built.data.length }, (r) => [
      `${r.file}: ${r.pkgname}, ${r.size} bytes`,
    ]);
  },
};

export const keyringCommand: CommandModule<GlobalArgs, KeyringArgs> = {
  command: 'keyring <command>',
  describe: 'Manage the decomposed keyring (keyrings/<name>/)',
  builder: (y) =>
    (
      y.option('keyring', {
        type: 'string',
        default: 'keyrings/pkgsrc',
        describe: 'keyring directory (export, list, explain also take a keyring file)',
      }) as Argv<KeyringArgs>
    )
      .command(importCmd)
      .command(exportCmd)
      .command(checkCmd)
      .command(listCmd)
      .command(explainCmd)
      .command(publishCmd)
      .command(packageCmd)
      .demandCommand(1),
  handler: () => undefined,
};
