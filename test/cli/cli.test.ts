import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { cleanup, pkgkeys, tempDir } from '../helpers/cli';

const NOW = ['--now', '2026-01-01T00:00:00Z'];
const PASS = { PKGKEYS_PASSPHRASE: 'correct horse' };
let dir: string;
beforeEach(async () => (dir = await tempDir()));
afterEach(() => cleanup(dir));

describe('pkgkeys command line', () => {
  it.each([[[]], [['master']], [['key']], [['revoke']], [['keyring']]])(
    '%j without a subcommand is a usage error (exit 2)',
    async (args) => {
      const result = await pkgkeys(args);
      expect(result.status).toBe(2);
      expect(result.stderr).toContain('USAGE');
    },
  );

  it.each([
    ['--help'],
    ['master', 'init', '--help'],
    ['key', 'init', '--help'],
    ['certify', '--help'],
    ['revoke', 'key', '--help'],
    ['revoke', 'subkey', '--help'],
    ['revoke', 'certification', '--help'],
    ['keyring', 'import', '--help'],
    ['keyring', 'export', '--help'],
    ['keyring', 'check', '--help'],
    ['keyring', 'list', '--help'],
    ['keyring', 'explain', '--help'],
  ])('%s %s %s prints help and exits 0', async (...args) => {
    const result = await pkgkeys(args);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/Options:/);
  });

  it('refuses a User ID without a mail address', async () => {
    const result = await pkgkeys([...NOW, 'key', 'init', '--uid', 'just a name', '--out', dir, '--no-passphrase']);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('Name <user@example.org>');
  });

  it.each([
    ['verify-summary', 'absent.asc'],
    ['verify-packages', 'absent.asc', 'All'],
    ['verify-package', 'absent.tgz'],
    ['sign-summary', 'absent', '--key', 'absent.asc'],
    ['publish', 'repo', '--key', 'absent.asc'],
    ['keyring', 'explain', 'ABCDEF0123456789', '--anchor', 'absent.asc'],
  ])(
    '%s: a --repository that is no repository identifier is a usage error before anything is read',
    async (...args) => {
      const inDir = (a: string) => (a.startsWith('absent') || a === 'repo' || a === 'All' ? path.join(dir, a) : a);
      const result = await pkgkeys([...NOW, ...args.map(inDir), '--repository', 'NetBSD/../etc'], {
        PKGKEYS_ROOT: dir,
      });
      expect(result.status).toBe(2);
      expect(result.stderr).toContain('"NetBSD/../etc" is not a repository identifier');
    },
  );

  it('refuses unknown options and commands (strict)', async () => {
    expect((await pkgkeys(['keyring', 'list', '--frobnicate'])).status).toBe(2);
    expect((await pkgkeys(['frobnicate'])).status).toBe(2);
  });

  it('never takes a passphrase from argv, and says where it does take one from', async () => {
    const result = await pkgkeys([...NOW, 'master', 'init', '--uid', 'm <m@pkgsrc.test>', '--out', dir]);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('NO_PASSPHRASE');
    expect(result.stderr).toContain('--passphrase-file');
    expect(
      (await pkgkeys([...NOW, 'master', 'init', '--uid', 'm <m@pkgsrc.test>', '--out', dir, '--passphrase', 'x']))
        .status,
    ).toBe(2);
  });

  it('creates the master key: secret and revocation readable by the owner only, never overwritten', async () => {
    const passFile = path.join(dir, 'pass');
    await fs.writeFile(passFile, 'from a file\n');
    const out = path.join(dir, 'master');
    const result = await pkgkeys([
      '--json',
      ...NOW,
      'master',
      'init',
      '--uid',
      'pkgsrc master <m@pkgsrc.test>',
      '--out',
      out,
      '--passphrase-file',
      passFile,
    ]);
    expect(result.status).toBe(0);
    const made = JSON.parse(result.stdout);
    expect(made.fingerprint).toMatch(/^[0-9A-F]{40}$/);
    expect((await fs.stat(made.secret)).mode & 0o777).toBe(0o600);
    expect((await fs.stat(made.revocation)).mode & 0o777).toBe(0o600);
    expect(await fs.readFile(made.secret, 'utf8')).toContain('BEGIN PGP PRIVATE KEY BLOCK');
    const again = await pkgkeys([...NOW, 'master', 'init', '--uid', 'x <x@pkgsrc.test>', '--out', out], PASS);
    expect(again.status).toBe(3);
    expect(again.stderr).toContain('EXISTS');

    // The wrong passphrase does not unlock it. (Host keys here are Ed25519: the algorithm does not matter, and RSA takes seconds.)
    const host = await pkgkeys([
      '--json',
      ...NOW,
      'key',
      'init',
      '--uid',
      'h <h@pkgsrc.test>',
      '--out',
      path.join(dir, 'host'),
      '--no-passphrase',
      '--algo',
      'ed25519',
    ]);
    const certify = await pkgkeys(
      [...NOW, 'certify', '--signer', made.secret, '--scope', 'NetBSD/**', JSON.parse(host.stdout).public],
      { PKGKEYS_PASSPHRASE: 'wrong' },
    );
    expect(certify.status).toBe(2);
    expect(certify.stderr).toContain('BAD_PASSPHRASE');
  });

  it('certifies with a default expiry of two years, warns about --expires never, refuses a bad scope', async () => {
    await pkgkeys([...NOW, 'master', 'init', '--uid', 'm <m@pkgsrc.test>', '--out', dir], PASS);
    await pkgkeys([
      ...NOW,
      'key',
      'init',
      '--uid',
      'h <h@pkgsrc.test>',
      '--out',
      dir,
      '--no-passphrase',
      '--algo',
      'ed25519',
    ]);
    const signer = path.join(dir, 'master-secret.asc');
    const cert = path.join(dir, 'signing-public.asc');
    const result = await pkgkeys(
      [
        '--json',
        ...NOW,
        'certify',
        '--signer',
        signer,
        '--scope',
        'NetBSD/x86_64/*/All',
        '--scope',
        'NetBSD/aarch64/**',
        cert,
      ],
      PASS,
    );
    expect(result.status).toBe(0);
    const made = JSON.parse(result.stdout);
    expect(made.expires).toBe('2028-01-01T00:00:00Z');
    expect(made.scopes).toEqual(['NetBSD/x86_64/*/All', 'NetBSD/aarch64/**']);
    const never = await pkgkeys(
      [...NOW, 'certify', '--signer', signer, '--scope', 'NetBSD/**', '--expires', 'never', cert],
      PASS,
    );
    expect(never.status).toBe(0);
    expect(never.stderr).toContain('warning');
    expect(never.stdout).toContain('BEGIN PGP PUBLIC KEY BLOCK');
    for (const scope of ['../etc', 'NetBSD//x', 'a/**b', '']) {
      const bad = await pkgkeys([...NOW, 'certify', '--signer', signer, '--scope', scope, cert], PASS);
      expect([scope, bad.status]).toEqual([scope, 2]);
    }
  });

  it('key init defaults to RSA-3072 and warns that pkg_add cannot verify Ed25519', async () => {
    // The one RSA key this file makes: the default is what is tested.
    const rsa = await pkgkeys([
      '--json',
      ...NOW,
      'key',
      'init',
      '--uid',
      'h <h@pkgsrc.test>',
      '--out',
      path.join(dir, 'rsa'),
      '--no-passphrase',
    ]);
    const list = await pkgkeys(['--json', 'keyring', '--keyring', JSON.parse(rsa.stdout).public, 'list']);
    expect(JSON.parse(list.stdout)[0].algorithm).toBe('rsa3072');
    const ed = await pkgkeys([
      ...NOW,
      'key',
      'init',
      '--uid',
      'h <h@pkgsrc.test>',
      '--out',
      path.join(dir, 'ed'),
      '--no-passphrase',
      '--algo',
      'ed25519',
    ]);
    expect(ed.status).toBe(0);
    expect(ed.stderr).toContain("pkg_add's built-in verifier cannot check");
  });

  it('refuses a certificate where a secret key is expected (NOT_SECRET_KEY), naming the file', async () => {
    const host = JSON.parse(
      (
        await pkgkeys([
          '--json',
          ...NOW,
          'key',
          'init',
          '--uid',
          'h <h@pkgsrc.test>',
          '--out',
          dir,
          '--no-passphrase',
          '--algo',
          'ed25519',
        ])
      ).stdout,
    );
    const result = await pkgkeys([...NOW, 'certify', '--signer', host.public, '--scope', 'NetBSD/**', host.public]);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(
      new RegExp(
        `^pkgkeys: NOT_SECRET_KEY: ${host.public.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: expected an OpenPGP secret key .*, found a public certificate`,
      ),
    );
  });

  it('reports errors as JSON with --json', async () => {
    const result = await pkgkeys(['--json', 'keyring', '--keyring', path.join(dir, 'missing'), 'list']);
    expect(result.status).toBe(3);
    expect(JSON.parse(result.stdout)).toMatchObject({ ok: false, code: 'IO_ERROR' });
  });
});

describe('the revocation certificate of master init', () => {
  it('imports into the keyring and revokes the master: every key under it is refused', async () => {
    const out = path.join(dir, 'master');
    const master = JSON.parse(
      (await pkgkeys(['--json', ...NOW, 'master', 'init', '--uid', 'm <m@pkgsrc.test>', '--out', out], PASS)).stdout,
    );
    const host = JSON.parse(
      (
        await pkgkeys([
          '--json',
          ...NOW,
          'key',
          'init',
          '--uid',
          'h <h@pkgsrc.test>',
          '--out',
          path.join(dir, 'host'),
          '--no-passphrase',
          '--algo',
          'ed25519',
        ])
      ).stdout,
    );
    const certified = path.join(dir, 'certified.asc');
    await pkgkeys(
      [...NOW, 'certify', '--signer', master.secret, '--scope', 'NetBSD/**', '--out', certified, host.public],
      PASS,
    );
    const keyring = path.join(dir, 'keyring');
    expect((await pkgkeys(['keyring', '--keyring', keyring, 'import', master.public, certified])).status).toBe(0);
    const explain = () =>
      pkgkeys([
        'keyring',
        '--keyring',
        keyring,
        'explain',
        host.fingerprint,
        '--anchor',
        master.public,
        '--repository',
        'NetBSD/x86_64/10.0/All',
        '--at',
        '2026-02-01',
      ]);
    expect((await explain()).status).toBe(0);
    const imported = await pkgkeys(['keyring', '--keyring', keyring, 'import', master.revocation]);
    expect(imported.stdout).toContain(`${master.fingerprint}/revocation/${master.fingerprint}.asc`);
    const refused = await explain();
    expect(refused.status).toBe(1);
    expect(refused.stdout).toContain('FAIL ANCHOR_REVOKED');
  });

  it('is refused where a certificate is expected', async () => {
    const master = JSON.parse(
      (await pkgkeys(['--json', ...NOW, 'master', 'init', '--uid', 'm <m@pkgsrc.test>', '--out', dir], PASS)).stdout,
    );
    const result = await pkgkeys(
      [...NOW, 'certify', '--signer', master.secret, '--scope', 'NetBSD/**', master.revocation],
      PASS,
    );
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('revocation certificate, where a certificate was expected');
  });
});
