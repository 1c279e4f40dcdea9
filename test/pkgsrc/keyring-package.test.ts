/**
 * `pkgkeys keyring package`: the keyring as a real pkgsrc binary package, read back with tar readers,
 * matched against the pkgsrc package directory, and installed through its own +INSTALL script.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { COMMENT, DESCRIPTION, INSTALL_FRAGMENT } from '../../lib/publish/keyring-package';
import { pkgkeys } from '../helpers/cli';
import { BIN, KeyringSite, type Release } from '../helpers/mirror';

const REPO_ROOT = path.resolve(__dirname, '../..');
let site: KeyringSite;
let release: Release;
let tgz: string;

beforeAll(async () => {
  site = await KeyringSite.create();
  release = await site.publish(2026041001);
  tgz = await build(release, 'out');
}, 60_000);
afterAll(() => site.cleanup());

async function build(_release: Release, out: string): Promise<string> {
  await fs.mkdir(site.path(out), { recursive: true });
  const result = await pkgkeys([
    'keyring',
    'package',
    '--release',
    site.path('pub'),
    '--opsys',
    'NetBSD',
    '--os-version',
    '10.0',
    '--machine-arch',
    'x86_64',
    '--out',
    site.path(out),
  ]);
  expect(result.stderr).toBe('');
  expect(result.status).toBe(0);
  return site.path(out, `pkgsrc-keyring-${_release.serial}.tgz`);
}

const extract = async (file: string, dir: string) => {
  await fs.mkdir(dir, { recursive: true });
  execFileSync('bsdtar', ['-xzf', file, '-C', dir]);
  return dir;
};

test.each([['tar'], ['bsdtar']])(
  '%s lists +CONTENTS first, the metadata, then the payload in +CONTENTS order',
  (reader) => {
    const names = execFileSync(reader, ['-tzf', tgz]).toString().trim().split('\n');
    expect(names).toEqual([
      '+CONTENTS',
      '+COMMENT',
      '+DESC',
      '+INSTALL',
      '+BUILD_INFO',
      '+SIZE_PKG',
      '+SIZE_ALL',
      'share/pkgsrc-keyring/keyring.gpg',
      'share/pkgsrc-keyring/release.asc',
    ]);
  },
);

test('+CONTENTS names the package, the prefix, and the MD5 of every file; the payload is the release', async () => {
  const dir = await extract(tgz, site.path('x1'));
  const contents = (await fs.readFile(path.join(dir, '+CONTENTS'), 'utf8')).split('\n');
  expect(contents.slice(0, 2)).toEqual(['@cwd /usr/pkg', '@name pkgsrc-keyring-2026041001']);
  const files = contents.filter((line, i) => !line.startsWith('@') && line !== '' && contents[i - 1] !== '@ignore');
  expect(files).toEqual(['share/pkgsrc-keyring/keyring.gpg', 'share/pkgsrc-keyring/release.asc']);
  for (const file of files) {
    const data = await fs.readFile(path.join(dir, file));
    expect(contents[contents.indexOf(file) + 1]).toBe(`@comment MD5:${createHash('md5').update(data).digest('hex')}`);
  }
  expect(await fs.readFile(path.join(dir, 'share/pkgsrc-keyring/keyring.gpg'))).toEqual(release.keyring);
  expect(await fs.readFile(path.join(dir, 'share/pkgsrc-keyring/release.asc'))).toEqual(release.statement);
  const buildInfo = await fs.readFile(path.join(dir, '+BUILD_INFO'), 'utf8');
  for (const line of [
    'OPSYS=NetBSD',
    'OS_VERSION=10.0',
    'MACHINE_ARCH=x86_64',
    'PKGTOOLS_VERSION=20091115',
    'PKGPATH=security/pkgsrc-keyring',
  ])
    expect(buildInfo.split('\n')).toContain(line);
  expect(await fs.readFile(path.join(dir, '+SIZE_PKG'), 'utf8')).toBe(
    `${release.keyring.length + release.statement.length}\n`,
  );
});

test('the same release makes the same package, byte for byte', async () => {
  expect(await fs.readFile(await build(release, 'again'))).toEqual(await fs.readFile(tgz));
});

test('the pkgsrc package directory builds the same package: PLIST, DESCR, COMMENT and INSTALL agree', async () => {
  const pkgdir = path.join(REPO_ROOT, 'pkgsrc/security/pkgsrc-keyring');
  const plist = (await fs.readFile(path.join(pkgdir, 'PLIST'), 'utf8'))
    .split('\n')
    .filter((l) => l && !l.startsWith('@comment'));
  expect(plist).toEqual(
    execFileSync('tar', ['-tzf', tgz])
      .toString()
      .trim()
      .split('\n')
      .filter((n) => !n.startsWith('+')),
  );
  expect(await fs.readFile(path.join(pkgdir, 'DESCR'), 'utf8')).toBe(DESCRIPTION);
  expect(await fs.readFile(path.join(pkgdir, 'Makefile'), 'utf8')).toMatch(new RegExp(`^COMMENT=\\t${COMMENT}$`, 'm'));
  expect(await fs.readFile(path.join(pkgdir, 'INSTALL'), 'utf8')).toContain(INSTALL_FRAGMENT);
});

describe('+INSTALL POST-INSTALL, as pkg_add runs it', () => {
  /**
   * Unpacks the package into a prefix, as pkg_add would, and runs `+INSTALL PKGNAME POST-INSTALL` from its
   * metadata directory; with `clock`, under faketime(1), the system clock reading that (UTC).
   */
  async function install(file: string, prefix: string, withPkgkeys: boolean, clock?: string) {
    const unpacked = await extract(file, site.path(`unpacked-${path.basename(file)}-${path.basename(prefix)}`));
    await fs.cp(path.join(unpacked, 'share'), path.join(prefix, 'share'), { recursive: true });
    if (withPkgkeys) {
      await fs.mkdir(path.join(prefix, 'bin'), { recursive: true });
      await fs.writeFile(path.join(prefix, 'bin/pkgkeys'), `#!/bin/sh\nexec "${process.execPath}" "${BIN}" "$@"\n`, {
        mode: 0o755,
      });
    }
    const pkgname = path.basename(file, '.tgz');
    const script = ['sh', path.join(unpacked, '+INSTALL'), pkgname, 'POST-INSTALL'];
    const [program, ...args] = clock ? ['faketime', clock, ...script] : script;
    return spawnSync(program!, args, {
      cwd: unpacked,
      env: { PATH: process.env.PATH, TZ: 'UTC', PKG_PREFIX: prefix, PKGKEYS_ROOT: path.join(prefix, 'root') },
      encoding: 'utf8',
    });
  }

  test('hands the keyring to pkgkeys, which verifies and installs it', async () => {
    const client = await site.client('prefix/root');
    const run = await install(tgz, site.path('prefix'), true);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(await fs.readFile(path.join(client.live, 'keyring.gpg'))).toEqual(release.keyring);
    // The release inside a package outlives its statement: installed, and reported frozen until an update from a mirror.
    expect((await client.status({ at: new Date() })).stdout).toMatch(/KEYRING_FROZEN/);

    // An older keyring package never downgrades: pkgkeys refuses it, and the package still installs.
    const newer = await site.publish(2026041002);
    const newerTgz = await build(newer, 'newer');
    expect((await install(newerTgz, site.path('prefix'), true)).status).toBe(0);
    const installed = await client.snapshot();
    const older = await install(tgz, site.path('prefix'), true);
    expect(older.status).toBe(0);
    expect(older.stderr).toMatch(/ROLLBACK/);
    expect(older.stdout).toMatch(/pkgsrc-keyring-2026041001: pkgkeys kept the keyring it had/);
    expect(await client.snapshot()).toEqual(installed);
  }, 30_000);

  test('on a board whose clock reads 1970, pkgkeys refuses the release and says to set the clock; the package still installs', async () => {
    const client = await site.client('epoch/root');
    const run = await install(tgz, site.path('epoch'), true, '1970-01-02 00:00:00');
    expect(run.status).toBe(0);
    expect(run.stderr).toMatch(
      /^pkgkeys: CLOCK_BEHIND: the keyring release was signed .*this machine's clock reads 1970-01-02T00:0.* set the clock \(ntpdate/,
    );
    expect(run.stdout).toBe(
      'pkgsrc-keyring-2026041001: pkgkeys kept the keyring it had (see above); run pkgkeys update\n',
    );
    await expect(fs.readdir(client.live).catch(() => [])).resolves.not.toContain('current');
  }, 30_000);

  test('without pkgkeys it says where the keyring is and succeeds', async () => {
    const run = await install(tgz, site.path('bare'), false);
    expect(run.status).toBe(0);
    expect(run.stdout).toBe(
      `pkgsrc-keyring-2026041001: pkgkeys is not installed; the keyring is in ${site.path('bare')}/share/pkgsrc-keyring\n`,
    );
  });
});
