/**
 * pkgsrc/security/pkgkeys, pkgkeys' own package directory: `make install` installs exactly what its
 * PLIST lists and the result runs from a DESTDIR with nothing but node; the Makefile has what pkgsrc
 * needs, and MESSAGE tells what pkgkeys really does. `make install` here is the one pkgsrc's
 * do-install runs, so dist/ must be built first: `make test` does that.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readlinkSync, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { defaultConfig, formatConfig, parseConfig } from '../../lib/client/config';
import { defaultLocations } from '../../lib/paths';
import { cleanup, tempDir } from '../helpers/cli';

const ROOT = path.resolve(__dirname, '../..');
const PKGDIR = path.join(ROOT, 'pkgsrc/security/pkgkeys');
const PREFIX = '/usr/pkg';
const MAKEFILE = readFileSync(path.join(PKGDIR, 'Makefile'), 'utf8');
const MANIFEST = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
  version: string;
  license: string;
  engines: { node: string };
};
/** A node that `#!/usr/bin/env node` finds: this one, and nothing of the checkout's. */
const ENV = { PATH: `${path.dirname(process.execPath)}:/usr/bin:/bin` };

let destdir: string;
let prefix: string;

beforeAll(async () => {
  if (!existsSync(path.join(ROOT, 'dist/pkgkeys.js'))) {
    throw new Error(
      'dist/pkgkeys.js is missing: `make install` installs the bundled CLI. Run `make build` first; `make test` does.',
    );
  }
  destdir = await tempDir('pkgkeys-install-');
  prefix = path.join(destdir, PREFIX);
  // -o build: install what `make build` made, and never rebuild dist/ under the test files running it.
  // NPM=false: installing needs no npm, and so no network.
  execFileSync(
    'make',
    [
      '-C',
      ROOT,
      '--no-print-directory',
      '-o',
      'build',
      'install',
      `DESTDIR=${destdir}`,
      `PREFIX=${PREFIX}`,
      'NPM=false',
      `NODE=${process.execPath}`,
    ],
    { stdio: 'pipe' },
  );
}, 120_000);
afterAll(() => cleanup(destdir));

/** Every file and symbolic link under `dir`, relative to `base`. */
async function walk(dir: string, base = dir): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await fs.readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) found.push(...(await walk(full, base)));
    else found.push(path.relative(base, full));
  }
  return found;
}

/** A variable's value as the pkgsrc Makefile sets it (`NAME=\tvalue` or `NAME+=\tvalue`). */
function variable(name: string): string | undefined {
  return new RegExp(`^${name.replace(/[.+]/g, '\\$&')}\\+?=\\t+(.*)$`, 'm').exec(MAKEFILE)?.[1];
}

describe('make install DESTDIR=... PREFIX=/usr/pkg', () => {
  test('installs exactly what PLIST lists, and nothing outside PREFIX', async () => {
    const lines = (await fs.readFile(path.join(PKGDIR, 'PLIST'), 'utf8')).split('\n');
    expect(lines[0]).toBe('@comment $NetBSD$');
    expect(lines.at(-1)).toBe('');
    const plist = lines.slice(1, -1);
    expect(plist).toEqual([...new Set(plist)].sort()); // sorted, each once

    const installed = (await walk(destdir)).sort();
    expect(installed.filter((f) => !f.startsWith(`${PREFIX.slice(1)}/`))).toEqual([]);
    const files = new Set(installed.map((f) => f.slice(PREFIX.length)));
    const listed = new Set(plist);
    const fix = 'after adding or removing a source file or a dependency, `make plist` rewrites PLIST';
    expect({
      missing: plist.filter((f) => !files.has(f)),
      unlisted: [...files].filter((f) => !listed.has(f)),
      fix,
    }).toEqual({ missing: [], unlisted: [], fix });
  });

  test('bin/pkgkeys is a relative link, and runs from the DESTDIR with the node on PATH', () => {
    const bin = path.join(prefix, 'bin/pkgkeys');
    expect(readlinkSync(bin)).toBe('../lib/pkgkeys/bin/pkgkeys.js');
    const run = spawnSync(bin, ['--help'], { cwd: destdir, env: ENV, encoding: 'utf8' });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^pkgkeys <command> \[options\]\n/);
    for (const command of ['update', 'setup', 'verify-summary', 'pkgin'])
      expect(run.stdout).toMatch(new RegExp(`^  pkgkeys ${command}\\b`, 'm'));
  });

  test('the licences of the packages bundled are installed, each in full', async () => {
    const text = await fs.readFile(path.join(prefix, 'share/doc/pkgkeys/THIRD-PARTY-LICENSES'), 'utf8');
    expect(text).toMatch(/^==== openpgp \S+ \(LGPL-3\.0\+\) ====\n\n\s*GNU LESSER GENERAL PUBLIC LICENSE$/m);
    expect(text).toMatch(/^==== yargs \S+ \(MIT\) ====\n(?:(?!====).*\n)*Permission is hereby granted/m);
  });

  test('the installed CLI is one bundle with no node_modules, started from the code cache make install made', () => {
    const lib = path.join(prefix, 'lib/pkgkeys');
    expect(existsSync(path.join(lib, 'node_modules'))).toBe(false);
    // The installed entry point's own loader, run by the node that `make install` was given.
    const cached = execFileSync(
      process.execPath,
      [
        '-p',
        `require(${JSON.stringify(path.join(lib, 'bin/pkgkeys.js'))}).loadBundle(${JSON.stringify(path.join(lib, 'dist/pkgkeys.js'))}).cached`,
      ],
      { cwd: destdir, env: ENV, encoding: 'utf8' },
    );
    expect(cached).toBe('true\n');
  });

  test('the example pkgkeys.conf is what the code writes with no repository, and reads back as the defaults', async () => {
    const text = await fs.readFile(path.join(prefix, 'share/examples/pkgkeys/pkgkeys.conf'), 'utf8');
    const defaults = defaultConfig(defaultLocations({}));
    expect(text).toBe(formatConfig(defaults, defaults));
    expect(parseConfig(text, 'pkgkeys.conf', defaults)).toEqual(defaults);
  });

  test('the man pages are docs/ as they are', async () => {
    expect(await fs.readFile(path.join(prefix, 'man/man1/pkgkeys.1'))).toEqual(
      await fs.readFile(path.join(ROOT, 'docs/pkgkeys.1')),
    );
    expect(await fs.readFile(path.join(prefix, 'man/man5/pkgkeys.conf.5'))).toEqual(
      await fs.readFile(path.join(ROOT, 'docs/pkgkeys.conf.5')),
    );
  });
});

describe('the package directory', () => {
  test('holds Makefile, DESCR, PLIST and MESSAGE', async () => {
    expect((await fs.readdir(PKGDIR)).sort()).toEqual(['DESCR', 'Makefile', 'MESSAGE', 'PLIST'].sort());
  });

  test('the Makefile has what pkgsrc needs, agreeing with package.json and the code', () => {
    expect(MAKEFILE.split('\n')[0]).toBe('# $NetBSD$');
    expect(variable('DISTNAME')).toBe(`pkgkeys-${MANIFEST.version}`);
    expect(variable('CATEGORIES')).toBe('security');
    expect(variable('MASTER_SITES')).toBeDefined();
    expect(variable('MAINTAINER')).toMatch(/^[^\s@]+@[^\s@]+$/);
    expect(variable('HOMEPAGE')).toMatch(/^https:\/\/\S+$/);
    // pkglint: a capital letter first, no full stop at the end, at most 70 characters.
    expect(variable('COMMENT')).toMatch(/^[A-Z].{0,68}[^.]$/);
    // package.json's BSD-2-Clause, then the licence of every package bundled with it, as pkgsrc names them.
    const PKGSRC_NAMES: Record<string, string> = {
      'BSD-2-Clause': '2-clause-bsd',
      'LGPL-3.0+': 'gnu-lgpl-v3',
      MIT: 'mit',
      ISC: 'isc',
    };
    const bundled = [
      ...readFileSync(path.join(ROOT, 'dist/THIRD-PARTY-LICENSES'), 'utf8').matchAll(/^==== \S+ \S+ \((.+)\) ====$/gm),
    ];
    expect(bundled.map((m) => m[1]).filter((l) => !(l! in PKGSRC_NAMES))).toEqual([]);
    const licences = new Set([PKGSRC_NAMES[MANIFEST.license]!, ...bundled.map((m) => PKGSRC_NAMES[m[1]!]!)]);
    const named = variable('LICENSE')!.split(' AND ');
    expect(named[0]).toBe('2-clause-bsd');
    expect([...named].sort()).toEqual([...licences].sort());
    expect(variable('USE_LANGUAGES')).toBe('# none');
    expect(MANIFEST.engines.node).toBe('>=20');
    expect(variable('DEPENDS')).toBe('nodejs>=20:../../lang/nodejs');
    expect(variable('USE_TOOLS')?.split(/\s+/)).toContain('gmake'); // the Makefile is GNU make's
    expect(variable('REPLACE_NODEJS')?.split(/\s+/)).toContain('bin/pkgkeys.js');
    expect(MAKEFILE).toContain('\n.include "../../lang/nodejs/application.mk"\n');

    // The example configuration, installed where pkgkeys reads it.
    expect(variable('EGDIR')).toBe('${PREFIX}/share/examples/pkgkeys');
    expect(variable('CONF_FILES')).toBe('${EGDIR}/pkgkeys.conf ${PKG_SYSCONFDIR}/pkgkeys/pkgkeys.conf');
    expect(`${variable('PKG_SYSCONFDIR.pkgkeys')}/pkgkeys/pkgkeys.conf`).toBe(defaultLocations({}).config);

    // Every directory holding a PLIST entry outside lib/pkgkeys, and lib/pkgkeys itself.
    const plist = readFileSync(path.join(PKGDIR, 'PLIST'), 'utf8')
      .split('\n')
      .filter((l) => l && !l.startsWith('@'));
    const dirs = new Set(
      plist.map((f) =>
        f.startsWith('lib/pkgkeys/') ? 'lib/pkgkeys' : path.dirname(f).replace(/^man\//, '${PKGMANDIR}/'),
      ),
    );
    expect(variable('INSTALLATION_DIRS')?.split(/\s+/).sort()).toEqual([...dirs].sort());

    // do-install runs the tree's own `make install`, then nothing else.
    const recipe = /^do-install:\n((?:\t.*\n)+)/m.exec(MAKEFILE)?.[1]?.replace(/\\\n\t*/g, '') ?? '';
    expect(recipe).toMatch(
      /^\tcd \$\{WRKSRC\} && .*\$\{MAKE_PROGRAM\} -o build install DESTDIR=\$\{DESTDIR\} PREFIX=\$\{PREFIX\} /,
    );
    expect(MAKEFILE.trimEnd().split('\n').at(-1)).toBe('.include "../../mk/bsd.pkg.mk"');
  });

  test('DESCR is plain text in lines of at most 80 characters', async () => {
    const lines = (await fs.readFile(path.join(PKGDIR, 'DESCR'), 'utf8')).split('\n');
    expect(lines.at(-1)).toBe('');
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(80);
  });

  test("MESSAGE names pkgkeys' own paths, and the lines `pkgkeys setup` prints for pkg_install.conf and cron", async () => {
    const message = await fs.readFile(path.join(PKGDIR, 'MESSAGE'), 'utf8');
    const rule = '='.repeat(75);
    expect(message.split('\n').slice(0, 2)).toEqual([rule, '$NetBSD$']);
    expect(message.endsWith(`\n${rule}\n`)).toBe(true);
    // As pkg_add shows it: pkgsrc substitutes ${PREFIX} and ${PKG_SYSCONFDIR} (MESSAGE_SUBST).
    const shown = message
      .replaceAll('${PREFIX}', PREFIX)
      .replaceAll('${PKG_SYSCONFDIR}', variable('PKG_SYSCONFDIR.pkgkeys') ?? '?');
    expect(shown).not.toContain('${');
    const locations = defaultLocations({});
    expect(shown).toContain(`${locations.anchorDir}/`);
    expect(shown).toContain(locations.config);
    for (const line of shown.split('\n')) expect(line.replace(/\t/g, '        ').length).toBeLessThanOrEqual(80);

    // What the installed setup prints, with every path under a root of its own.
    const root = await tempDir('pkgkeys-setup-');
    try {
      const repositories = path.join(root, 'repositories.conf');
      await fs.writeFile(repositories, 'https://cdn.NetBSD.org/pub/pkgsrc/packages/NetBSD/$arch/$osrelease/All\n');
      const run = spawnSync(
        path.join(prefix, 'bin/pkgkeys'),
        ['setup', '--dry-run', '--json', '--repositories', repositories, '--arch', 'x86_64', '--osrelease', '10.0'],
        {
          env: { ...ENV, PKGKEYS_ROOT: root },
          encoding: 'utf8',
        },
      );
      expect(run.stderr).toBe('');
      expect(run.status).toBe(0);
      const printed = JSON.parse(run.stdout) as { pkgInstallConf: string[]; cron: string[] };
      for (const line of [...printed.pkgInstallConf, ...printed.cron])
        expect(shown).toContain(`\t${line.replaceAll(root, '')}\n`);
    } finally {
      await cleanup(root);
    }
  });
});
