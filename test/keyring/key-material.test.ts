/**
 * Key material as people hand it over (lib/pgp/packets.ts toBinary): a key pasted below its
 * fingerprint or `gpg --list-keys` output, as web pages and mail show keys, is read as gpg and sq read
 * it, in anchors, keyrings and imports (never in a signed index, whose text must be exactly what was
 * signed); a secret key where a certificate belongs is refused saying so; and whatever cannot be read
 * is described in pkgkeys' words (what was expected, what was found, the file), never OpenPGP.js'.
 */
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { armor, toBinary } from '../../lib/pgp';
import { type CliResult, pkgkeys } from '../helpers/cli';
import { GpgHome } from '../helpers/gpg';
import { Repo, codeOf, expectRefusal } from '../helpers/repo';

const UPSTREAM_WORDS =
  /Error during parsing|Parsing \w+ failed|Packet not allowed|Unknown packet type|Misformed armored text|Unexpected end|Input array too short|Invalid enum/;

let repo: Repo;
let signed: string;
let summary: string;
beforeAll(async () => {
  repo = await Repo.create();
  summary = await repo.publish([{ pkgname: 'foo-1.0', content: Buffer.from('foo package') }]);
  signed = await fs.readFile((await repo.sign()).file, 'utf8');
  await repo.write('good.asc', signed);
});
afterAll(() => repo.cleanup());

/** `gpg --list-keys` output, as pasted above a key on a web page or in a mail. */
const listing = () =>
  `/home/builder/.gnupg/pubring.kbx\n-------------------------------\npub   ed25519 2026-01-01 [SC]\n      ${repo.master.fingerprint}\nuid           [ unknown] ${repo.master.userID}\n\n`;

/** verify-summary of the good index with the files given in place of the anchor and keyring. */
const verifyWith = (files: { anchor?: string; keyring?: string }): Promise<CliResult> =>
  repo.verify(repo.path('good.asc'), files);

function run(file: string, args: string[]): Promise<{ status: number; stdout: string }> {
  return new Promise((resolve) => {
    execFile(file, args, { encoding: 'utf8', timeout: 30_000 }, (error, stdout) =>
      resolve({ status: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout }),
    );
  });
}

describe('text before the armor', () => {
  it.each([
    ['gpg --list-keys output', () => listing()],
    ['a fingerprint line', () => `Fingerprint: ${repo.master.fingerprint.replace(/(.{4})/g, '$1 ').trim()}\n`],
    [
      'a line of prose and a line starting with dashes',
      () => 'The pkgsrc master key:\n-- do not trust keys from elsewhere\n',
    ],
  ])('is accepted before an anchor, as gpg and sq accept it: %s', async (_name, before) => {
    const anchor = await repo.write('pasted-anchor.asc', before() + repo.master.public);
    const result = await verifyWith({ anchor });
    expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 0, stderr: '' });
    expect(result.stdout).toBe(summary);
    const gpg = await GpgHome.create();
    try {
      expect((await gpg.gpg(['--import', anchor], { allowFailure: true })).status).toBe(0);
    } finally {
      await gpg.close();
    }
    const sq = await run('sq', ['inspect', anchor]);
    expect(sq.status).toBe(0);
    expect(sq.stdout).toContain(repo.master.fingerprint);
  });

  it('is accepted before a keyring file and by keyring import', async () => {
    const keyring = await repo.write(
      'pasted-keyring.asc',
      listing() + (await fs.readFile(repo.path('keyring.asc'), 'utf8')),
    );
    expect((await verifyWith({ keyring })).stdout).toBe(summary);
    await fs.mkdir(repo.path('imported'));
    const imported = await pkgkeys(['keyring', '--keyring', repo.path('imported'), 'import', keyring]);
    expect({ status: imported.status, stderr: imported.stderr }).toEqual({ status: 0, stderr: '' });
    expect((await verifyWith({ keyring: repo.path('imported') })).stdout).toBe(summary);
  });

  it('is accepted with CR LF line ends and trailing white space, as mail delivers keys', async () => {
    const mailed = (listing() + repo.master.public).replace(/\n/g, ' \r\n');
    const result = await verifyWith({ anchor: await repo.write('mailed-anchor.asc', mailed) });
    expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 0, stderr: '' });
  });

  it('is still refused before a signed index: only the signed text may be in the file', async () => {
    expectRefusal(await repo.verify(await repo.write('pasted-index.asc', listing() + signed)), 'INDEX_MALFORMED');
  });
});

describe('a secret key where a certificate belongs', () => {
  it('is refused as an anchor, saying it is a secret key and what to give instead', async () => {
    const result = await verifyWith({ anchor: await repo.write('secret-anchor.asc', repo.master.secretArmored) });
    expectRefusal(result, 'KEYRING_INVALID');
    expect(result.stderr).toContain(
      `${repo.path('secret-anchor.asc')}: this is a secret key; give its public certificate instead`,
    );
    expect(result.stderr).not.toMatch(UPSTREAM_WORDS);
  });

  it('is refused by keyring import, and nothing secret is written', async () => {
    await fs.mkdir(repo.path('secret-import'));
    const result = await pkgkeys([
      'keyring',
      '--keyring',
      repo.path('secret-import'),
      'import',
      repo.path('secret-anchor.asc'),
    ]);
    expectRefusal(result, 'BAD_INPUT', 2);
    expect(result.stderr).toContain('this is a secret key');
    expect(await fs.readdir(repo.path('secret-import'))).toEqual([]);
  });
});

describe('a public certificate where a secret key belongs', () => {
  it('is refused by sign-summary, saying what it found', async () => {
    const result = await repo.trySign({
      key: { ...repo.host, name: 'host-public', secretArmored: repo.host.public },
      out: 'never.asc',
    });
    expectRefusal(result.result, 'NOT_SECRET_KEY', 2);
    expect(result.result.stderr).toMatch(
      /host-public-secret\.asc: expected an OpenPGP secret key \("-----BEGIN PGP PRIVATE KEY BLOCK-----", or binary\), found a public certificate/,
    );
    expect(result.result.stderr).not.toMatch(UPSTREAM_WORDS);
  });
});

describe("what cannot be read is described in pkgkeys' words", () => {
  const cases: Array<[string, () => Promise<string | Buffer>, RegExp]> = [
    [
      'a text file without armor',
      async () => 'pub ed25519 2026-01-01\n',
      /: expected OpenPGP key material, binary or ASCII-armored .*found text without a complete armored block \(first line "pub ed25519 2026-01-01"\)/,
    ],
    [
      'binary key material cut short',
      async () => Buffer.from(await toBinary(repo.master.public, 'k')).subarray(0, 100),
      /: expected OpenPGP packets, but a (User ID|signature) packet at byte \d+ is cut short/,
    ],
    [
      'bytes that are not OpenPGP',
      async () => Buffer.from([0xc6, 0x01, 0x04, 0x00, 0x41]),
      /: expected OpenPGP packets, but the bytes at byte 3 are not an OpenPGP packet header/,
    ],
    [
      'a damaged public key packet',
      async () => {
        const binary = Buffer.from(await toBinary(repo.master.public, 'k'));
        binary[2 + 6] = 0xff; // the curve OID's length in the public key packet (RFC 9580 §5.5.2): longer than the packet
        return armor('publicKey', binary);
      },
      /: expected OpenPGP certificates, but a public key packet at byte 0 \(packet 1\) is damaged$/m,
    ],
    [
      'a key of a version pkgkeys does not read',
      async () => {
        const binary = Buffer.from(await toBinary(repo.master.public, 'k'));
        binary[2] = 5; // the version octet of the public key packet
        return armor('publicKey', binary);
      },
      /: expected OpenPGP certificates, but a public key packet at byte 0 \(packet 1\) is of a version or algorithm pkgkeys does not read$/m,
    ],
    [
      'an empty file',
      async () => '',
      /: expected the public certificate of a trust anchor, found no certificate pkgkeys can read/,
    ],
    [
      'a signature file',
      async () => signed.slice(signed.indexOf('-----BEGIN PGP SIGNATURE-----')),
      /: expected OpenPGP certificates, but the packets are not in an order that makes them \(found signature\)/,
    ],
    [
      'an encrypted message',
      async () =>
        `-----BEGIN PGP MESSAGE-----\n\n${Buffer.from([0xc1, 0x02, 0x03, 0x00]).toString('base64')}\n-----END PGP MESSAGE-----\n`,
      /: expected certificates or signatures, found an encrypted session key packet at byte 0: not key material/,
    ],
  ];

  it.each(cases)('%s given as the anchor', async (_name, make, message) => {
    const file = await repo.write('unreadable-anchor.asc', await make());
    const result = await verifyWith({ anchor: file });
    expect({ status: result.status, code: codeOf(result) }).toEqual({ status: 1, code: 'KEYRING_INVALID' });
    expect(result.stderr).toContain(file);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).not.toMatch(UPSTREAM_WORDS);
  });
});
