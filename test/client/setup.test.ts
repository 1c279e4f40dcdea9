/** `pkgkeys setup`: pkgkeys.conf from pkgin's repositories.conf, and the lines to add elsewhere. */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { cleanup, pkgkeys, tempDir } from '../helpers/cli';

let root: string;
const conf = () => path.join(root, 'etc/pkgkeys/pkgkeys.conf');
const pkginConf = () => path.join(root, 'usr/pkg/etc/pkgin/repositories.conf');
const setup = (args: string[] = []) =>
  pkgkeys(['setup', '--arch', 'x86_64', '--osrelease', '10.0', ...args], { PKGKEYS_ROOT: root });

beforeEach(async () => {
  root = await tempDir('pkgkeys-setup-');
  await fs.mkdir(path.dirname(pkginConf()), { recursive: true });
  await fs.writeFile(
    pkginConf(),
    [
      '# $NetBSD: repositories.conf$',
      '',
      'https://cdn.NetBSD.org/pub/pkgsrc/packages/NetBSD/$arch/$osrelease/All',
      'http://mirror.example/pub/pkgsrc/packages/NetBSD/$arch/$osrelease-extra/All',
      '',
    ].join('\n'),
  );
});
afterEach(() => cleanup(root));

test('writes one repository line per pkgin repository, identifiers from the URLs, and prints pkg_install.conf and cron lines', async () => {
  const result = await setup();
  expect(result.status).toBe(0);
  const written = await fs.readFile(conf(), 'utf8');
  expect(written.split('\n').filter((l) => l.startsWith('repository '))).toEqual([
    'repository NetBSD/x86_64/10.0/All https://cdn.netbsd.org/pub/pkgsrc/packages/NetBSD/x86_64/10.0/All',
    'repository NetBSD/x86_64/10.0-extra/All http://mirror.example/pub/pkgsrc/packages/NetBSD/x86_64/10.0-extra/All',
  ]);
  const live = path.join(root, 'var/db/pkgkeys');
  expect(result.stdout).toContain(`GPG_KEYRING_VERIFY=${live}/verify.gpg\n`);
  expect(result.stdout).toContain(`GPG_KEYRING_PKGVULN=${live}/pkgvuln.gpg\n`);
  expect(result.stdout).toMatch(/^ {2}\d+ \S+ \* \* \* \/usr\/pkg\/bin\/pkgkeys update --random-delay 3600 --quiet$/m);
  expect(result.stdout).toMatch(/pkgkeys pkgin -y upgrade$/m);
});

test('settings other than the repositories survive a second run; --dry-run writes nothing', async () => {
  await fs.mkdir(path.dirname(conf()), { recursive: true });
  await fs.writeFile(
    conf(),
    'repository old/All http://old.example/packages/old/All\nclock-skew 42\nkeyring-url https://keys.example/pkgsrc/\n',
  );
  expect((await setup()).status).toBe(0);
  const written = await fs.readFile(conf(), 'utf8');
  expect(written).toMatch(/^clock-skew 42$/m);
  expect(written).toMatch(/^keyring-url https:\/\/keys.example\/pkgsrc\/$/m);
  expect(written).not.toMatch(/old\/All/);

  await fs.writeFile(pkginConf(), 'https://cdn.NetBSD.org/pub/pkgsrc/packages/NetBSD/$arch/9.3/All\n');
  const dry = await setup(['--dry-run']);
  expect(dry.stdout).toMatch(/^repository NetBSD\/x86_64\/9.3\/All /m);
  expect(await fs.readFile(conf(), 'utf8')).toBe(written);
});

test('a URL with no packages/ directory needs --identifier; without it nothing is written', async () => {
  await fs.writeFile(pkginConf(), 'file:///srv/pkgsrc/All\n');
  const refused = await setup();
  expect({ status: refused.status, stderr: refused.stderr }).toEqual({
    status: 2,
    stderr: expect.stringMatching(/^pkgkeys: BAD_CONFIG: .*--identifier file:\/\/\/srv\/pkgsrc\/All=IDENTIFIER/),
  });
  await expect(fs.stat(conf())).rejects.toThrow(/ENOENT/);
  expect((await setup(['--identifier', 'file:///srv/pkgsrc/All/=local/x86_64/All'])).status).toBe(0);
  expect(await fs.readFile(conf(), 'utf8')).toMatch(/^repository local\/x86_64\/All file:\/\/\/srv\/pkgsrc\/All$/m);
});

test('no repositories.conf: a clear configuration error', async () => {
  await fs.rm(pkginConf());
  const result = await setup();
  expect(result.status).toBe(2);
  expect(result.stderr).toMatch(/BAD_CONFIG: .*repositories.conf does not exist: install and configure pkgin first/);
});

test('a --config that names no file is an error for every command but setup, which creates it', async () => {
  const named = path.join(root, 'elsewhere.conf');
  const check = await pkgkeys(['--config', named, 'check-repo'], { PKGKEYS_ROOT: root });
  expect({ status: check.status, stderr: check.stderr }).toEqual({
    status: 2,
    stderr: `pkgkeys: BAD_CONFIG: ${named} does not exist\n`,
  });
  // "pkgin" as an option's value is not the pkgin command.
  await fs.copyFile(pkginConf(), path.join(root, 'pkgin'));
  expect((await setup(['--config', named, '--repositories', path.join(root, 'pkgin')])).status).toBe(0);
  expect(await fs.readFile(named, 'utf8')).toMatch(/^repository NetBSD\/x86_64\/10.0\/All /m);
});
