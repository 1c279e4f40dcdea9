import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { PackageSpec, buildPackage, contentsOf } from '../../lib/pkgsrc/package';
import { caught } from '../helpers/caught';

// Over 100 bytes, so it needs the ustar prefix field; empty, so it has no data blocks.
const LONG = `share/pkgsrc-keyring/${'deep/'.repeat(20)}empty-marker`;

const SPEC: PackageSpec = {
  pkgname: 'pkgsrc-keyring-2026112301',
  comment: 'OpenPGP keys that sign pkgsrc binary packages',
  description: 'The keyring pkg_add checks signed packages against.\n\nHomepage:\nhttps://example.org/pkgkeys\n',
  prefix: '/usr/pkg',
  buildInfo: {
    PKGTOOLS_VERSION: '20240307',
    OS_VERSION: '10.0',
    MACHINE_ARCH: 'x86_64',
    OPSYS: 'NetBSD',
    CATEGORIES: 'security',
    PKGPATH: 'security/pkgsrc-keyring',
  },
  install: '#!/bin/sh\ncase "$2" in POST-INSTALL) echo "installed $1 in $PKG_PREFIX" ;; esac\n',
  deinstall: '#!/bin/sh\nexit 0\n',
  files: [
    { path: 'share/pkgsrc-keyring/keyring.gpg', data: randomBytes(3000) },
    { path: 'share/pkgsrc-keyring/block', data: Buffer.alloc(512, 0x2a), mode: 0o644 }, // exactly one block
    { path: 'sbin/pkgsrc-keyring-update', data: Buffer.from('#!/bin/sh\nexit 0\n'), mode: 0o555 },
    { path: LONG, data: new Uint8Array(0) },
  ],
  mtime: new Date('2025-11-23T12:34:56.789Z'),
};

const METADATA = ['+CONTENTS', '+COMMENT', '+DESC', '+INSTALL', '+DEINSTALL', '+BUILD_INFO', '+SIZE_PKG', '+SIZE_ALL'];
const MEMBERS = [...METADATA, ...SPEC.files.map((file) => file.path)];
const MODES: Record<string, number> = { '+CONTENTS': 0o644, '+INSTALL': 0o555, '+DEINSTALL': 0o555 };
const modeOf = (name: string) => MODES[name] ?? SPEC.files.find((file) => file.path === name)?.mode ?? 0o444;

const md5 = (data: Uint8Array) => createHash('md5').update(data).digest('hex');

function run(command: string, args: string[], cwd?: string): string {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', env: { ...process.env, TZ: 'UTC', LC_ALL: 'C' } });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed: ${result.stderr}`);
  expect(result.stderr).toBe(''); // no warnings either: a bad checksum or header shows there
  return result.stdout;
}

// libarchive's bsdtar reads the way pkg_add does (pkg_install links libarchive); Debian: libarchive-tools.
// .ci/run installs both; a missing reader fails the tests rather than skipping them.
const READERS = [
  ['GNU tar', 'tar'],
  ['bsdtar', 'bsdtar'],
];

let tmp: string;
let packageFile: string;
const built = buildPackage(SPEC);

beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'pkgkeys-package-'));
  packageFile = path.join(tmp, `${SPEC.pkgname}.tgz`);
  await fs.writeFile(packageFile, built);
});

afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

describe.each(READERS)('read back with %s', (_reader, command) => {
  let root: string;

  beforeAll(async () => {
    root = await fs.mkdtemp(path.join(tmp, `${command}-`));
    run(command, ['-xpzf', packageFile, '-C', root]);
  });

  it('lists +CONTENTS first, the other metadata in pkg_create order, then the payload in +CONTENTS order', () => {
    expect(run(command, ['-tzf', packageFile]).split('\n').filter(Boolean)).toEqual(MEMBERS);
  });

  it('extracts the payload byte for byte, with its modes', async () => {
    for (const file of SPEC.files) {
      const extracted = path.join(root, file.path);
      expect((await fs.readFile(extracted)).equals(file.data)).toBe(true);
      expect((await fs.stat(extracted)).mode & 0o7777).toBe(file.mode ?? 0o444);
    }
  });

  it('extracts the metadata files with the text and modes pkg_create gives them', async () => {
    const expected: Record<string, string> = {
      '+CONTENTS': contentsOf(SPEC),
      '+COMMENT': `${SPEC.comment}\n`,
      '+DESC': SPEC.description,
      '+INSTALL': SPEC.install!,
      '+DEINSTALL': SPEC.deinstall!,
    };
    for (const [name, text] of Object.entries(expected))
      expect(await fs.readFile(path.join(root, name), 'utf8')).toBe(text);
    for (const name of METADATA) expect((await fs.stat(path.join(root, name))).mode & 0o7777).toBe(modeOf(name));
  });

  it('has @comment MD5: lines that md5sum agrees with', async () => {
    const contents = (await fs.readFile(path.join(root, '+CONTENTS'), 'utf8')).split('\n');
    for (const file of SPEC.files) {
      const [sum] = run('md5sum', [file.path], root).split(' ');
      expect(contents[contents.indexOf(file.path) + 1]).toBe(`@comment MD5:${sum}`);
    }
  });

  it("has +SIZE_PKG and +SIZE_ALL equal to the extracted files' sizes, as one decimal line", async () => {
    let total = 0;
    for (const file of SPEC.files) total += (await fs.stat(path.join(root, file.path))).size;
    expect(total).toBe(3000 + 512 + 17);
    expect(await fs.readFile(path.join(root, '+SIZE_PKG'), 'utf8')).toBe(`${total}\n`);
    expect(await fs.readFile(path.join(root, '+SIZE_ALL'), 'utf8')).toBe(`${total}\n`);
  });
});

describe('GNU tar verbose listing', () => {
  it('shows every member as a regular file of root:wheel (uid and gid 0) with its size and the given mtime', () => {
    const sizes: Record<string, number> = {};
    for (const file of SPEC.files) sizes[file.path] = file.data.length;
    for (const [owner, args] of [
      ['root/wheel', ['-tvzf']],
      ['0/0', ['--numeric-owner', '-tvzf']],
    ] as const) {
      const lines = run('tar', [...args, packageFile])
        .split('\n')
        .filter(Boolean);
      expect(lines).toHaveLength(MEMBERS.length);
      lines.forEach((line, i) => {
        const [perms, who, size, date, time, name] = line.split(/ +/);
        expect(name).toBe(MEMBERS[i]);
        expect(perms).toBe(`-${permissions(modeOf(name))}`);
        expect(who).toBe(owner);
        if (name in sizes) expect(Number(size)).toBe(sizes[name]);
        expect(`${date} ${time}`).toBe('2025-11-23 12:34');
      });
    }
  });
});

function permissions(mode: number): string {
  return [6, 3, 0]
    .map((shift) => ['r', 'w', 'x'].map((letter, bit) => ((mode >> shift) & (4 >> bit) ? letter : '-')).join(''))
    .join('');
}

describe('+CONTENTS', () => {
  const lines = contentsOf(SPEC).split('\n');

  it("is what pkgsrc pkg_create writes: @cwd, @name, each file and its MD5, then @cwd and the @ignore'd metadata", () => {
    expect(lines).toEqual([
      '@cwd /usr/pkg',
      '@name pkgsrc-keyring-2026112301',
      ...SPEC.files.flatMap((file) => [file.path, `@comment MD5:${md5(file.data)}`]),
      '@cwd /usr/pkg',
      ...METADATA.slice(1).flatMap((name) => ['@ignore', name]),
      '',
    ]);
  });

  it('names the package and its prefix as pkg_add finds them (the first @name and @cwd)', () => {
    expect(lines.find((line) => line.startsWith('@name '))).toBe(`@name ${SPEC.pkgname}`);
    expect(lines.find((line) => line.startsWith('@cwd '))).toBe(`@cwd ${SPEC.prefix}`);
  });

  it('lists only the +files that are in the package', () => {
    const bare = contentsOf({ ...SPEC, install: undefined, deinstall: undefined });
    expect(bare).not.toMatch(/INSTALL/);
    expect(bare.split('\n').filter((line) => line.startsWith('+'))).toEqual([
      '+COMMENT',
      '+DESC',
      '+BUILD_INFO',
      '+SIZE_PKG',
      '+SIZE_ALL',
    ]);
  });
});

describe('+BUILD_INFO', () => {
  it('holds every variable once, as VAR=value lines sorted as sort(1) sorts them', async () => {
    const root = await fs.mkdtemp(path.join(tmp, 'info-'));
    run('tar', ['-xzf', packageFile, '-C', root, '+BUILD_INFO']);
    const text = await fs.readFile(path.join(root, '+BUILD_INFO'), 'utf8');
    expect(text).toBe(
      [
        'CATEGORIES=security',
        'MACHINE_ARCH=x86_64',
        'OPSYS=NetBSD',
        'OS_VERSION=10.0',
        'PKGPATH=security/pkgsrc-keyring',
        'PKGTOOLS_VERSION=20240307',
        '',
      ].join('\n'),
    );
    expect(spawnSync('sort', ['-c'], { input: text, env: { ...process.env, LC_ALL: 'C' } }).status).toBe(0);
  });
});

describe('reproducibility', () => {
  it('gives the same bytes for the same spec, and different ones for another mtime', () => {
    expect(buildPackage(SPEC).equals(built)).toBe(true);
    expect(buildPackage({ ...SPEC, mtime: new Date('2025-11-23T12:34:57Z') }).equals(built)).toBe(false);
  });

  it('writes a gzip header with no time and a fixed OS byte, around ustar headers', () => {
    expect([...built.subarray(0, 10)]).toEqual([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 2, 3]);
    const tar = gunzipSync(built);
    expect(tar.length % 512).toBe(0);
    expect(tar.subarray(257, 265).toString('latin1')).toBe('ustar\x0000');
    expect(tar.subarray(-1024).every((byte) => byte === 0)).toBe(true);
  });

  it('puts a name over 100 bytes in the ustar prefix field', () => {
    const tar = gunzipSync(built);
    let offset = 0;
    for (;;) {
      const name = field(tar, offset, 100);
      if (name === LONG.slice(LONG.length - name.length)) break;
      offset += 512 + Math.ceil(parseInt(field(tar, offset + 124, 12), 8) / 512) * 512;
    }
    expect(`${field(tar, offset + 345, 155)}/${field(tar, offset, 100)}`).toBe(LONG);
  });
});

const field = (block: Buffer, offset: number, width: number) =>
  block
    .subarray(offset, offset + width)
    .toString('latin1')
    .replace(/\0.*$/s, '');

describe('refusals', () => {
  const refused = async (spec: PackageSpec, message: RegExp) => {
    for (const build of [buildPackage, contentsOf]) {
      const error = await caught(() => build(spec));
      expect(error.code).toBe('BAD_INPUT');
      expect(error.message).toMatch(message);
    }
  };
  const withPath = (filePath: string): PackageSpec => ({
    ...SPEC,
    files: [{ path: filePath, data: Buffer.from('x') }],
  });

  it.each([
    '/etc/passwd',
    '../x',
    'share/../../x',
    'share//x',
    'share/x/',
    '',
    './x',
    'share/./x',
    'a\nb',
    '@exec rm -rf /',
    '+CONTENTS',
    'x ',
  ])('refuses the unsafe path %j', async (unsafe) => {
    await refused(
      withPath(unsafe),
      new RegExp(`^package path ${escape(JSON.stringify(unsafe))}: expected a path relative to the prefix`),
    );
  });

  it('refuses a path neither ustar field can hold, and accepts the longest that fits', async () => {
    await refused(withPath(`${'p'.repeat(156)}/x`), /too long for a ustar header/);
    await refused(withPath(`share/${'n'.repeat(101)}`), /too long for a ustar header/);
    const longest = `${'p'.repeat(155)}/${'n'.repeat(100)}`;
    const file = path.join(tmp, 'longest.tgz');
    await fs.writeFile(file, buildPackage(withPath(longest)));
    for (const [, command] of READERS) expect(run(command, ['-tzf', file]).split('\n').at(-2)).toBe(longest);
  });

  it('refuses a path listed twice, or a file that is also a directory', async () => {
    const x = { path: 'share/x', data: Buffer.from('x') };
    await refused({ ...SPEC, files: [x, x] }, /^package path "share\/x" is listed twice$/);
    await refused(
      { ...SPEC, files: [x, { path: 'share/x/y', data: Buffer.from('y') }] },
      /^package path "share\/x" is a file and also the directory of "share\/x\/y"$/,
    );
  });

  it('refuses modes outside the permission bits', async () => {
    await refused(
      { ...SPEC, files: [{ path: 'bin/x', data: Buffer.from('x'), mode: 0o4755 }] },
      /mode 0o4755: expected permission bits/,
    );
  });

  it.each(['OPSYS', 'OS_VERSION', 'MACHINE_ARCH', 'PKGTOOLS_VERSION'])(
    'refuses build info without %s',
    async (missing) => {
      const buildInfo = { ...SPEC.buildInfo };
      delete buildInfo[missing];
      await refused({ ...SPEC, buildInfo }, new RegExp(`^build info: ${missing} is missing`));
    },
  );

  it('refuses a PKGTOOLS_VERSION pkg_add would reject, and a multi-line value', async () => {
    await refused(
      { ...SPEC, buildInfo: { ...SPEC.buildInfo, PKGTOOLS_VERSION: '2024' } },
      /PKGTOOLS_VERSION "2024": expected 8 digits/,
    );
    await refused(
      { ...SPEC, buildInfo: { ...SPEC.buildInfo, OPSYS: 'NetBSD\nMACHINE_ARCH=vax' } },
      /^build info "OPSYS": expected/,
    );
  });

  it('refuses a bad pkgname, comment, description, prefix or mtime', async () => {
    await refused({ ...SPEC, pkgname: 'pkgsrc-keyring' }, /^pkgname "pkgsrc-keyring": expected name-version/);
    await refused({ ...SPEC, pkgname: 'a/b-1.0' }, /^pkgname/);
    await refused({ ...SPEC, comment: 'two\nlines' }, /^comment/);
    await refused({ ...SPEC, description: ' \n' }, /^description/);
    for (const prefix of ['usr/pkg', '/usr/pkg/', '/usr/../etc'])
      await refused({ ...SPEC, prefix }, /^prefix .*: expected an absolute path/);
    for (const mtime of [new Date(Number.NaN), new Date(-1000), new Date(8 ** 11 * 1000)])
      await refused({ ...SPEC, mtime }, /^mtime .*: expected a time a ustar header can hold/);
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
