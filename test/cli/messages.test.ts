/**
 * Messages that leave a user stuck, from trying pkgkeys as a new user would: a command without its
 * subcommand prints the subcommands, --version exists, `keyring check` on a file says it wants a
 * directory, and a key ID (what gpg shows) names a key wherever a fingerprint does.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { report } from '../../cli/main';
import { findKey } from '../../lib/keyref';
import { caught } from '../helpers/caught';
import { cleanup, pkgkeys, tempDir } from '../helpers/cli';
import { rawKey, subkeyFingerprints } from '../helpers/forge';
import { REPO, Repo, VERIFY_AT, codeOf, iso } from '../helpers/repo';

const keyIDOf = (fingerprint: string) => fingerprint.slice(-16);

test.each([
  [['keyring'], ['pkgkeys keyring import', 'pkgkeys keyring check', 'pkgkeys keyring explain']],
  [['revoke'], ['pkgkeys revoke key', 'pkgkeys revoke subkey', 'pkgkeys revoke certification']],
  [['keyring', 'explain'], ['pkgkeys keyring explain <fingerprint>']],
])('%j without what it needs: a usage error that prints its usage', async (args, shown) => {
  const result = await pkgkeys(args);
  expect(result.status).toBe(2);
  expect(result.stderr).toMatch(/^pkgkeys: USAGE: a subcommand or an argument is missing:/);
  expect(result.stderr).not.toContain('non-option');
  for (const line of shown) expect(result.stderr).toContain(line);
});

test('--version prints the version of package.json', async () => {
  const { version } = JSON.parse(await fs.readFile(path.join(__dirname, '../../package.json'), 'utf8')) as {
    version: string;
  };
  expect(await pkgkeys(['--version'])).toEqual({ status: 0, stdout: `${version}\n`, stderr: '' });
});

describe('with a keyring', () => {
  let repo: Repo;
  beforeAll(async () => void (repo = await Repo.create()), 30_000);
  afterAll(() => repo.cleanup());

  test('keyring check on a file: a usage error saying a directory is expected, not ENOTDIR', async () => {
    const result = await pkgkeys(['keyring', '--keyring', repo.path('keyring.asc'), 'check']);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/^pkgkeys: USAGE: .*keyring\.asc is a file, not a keyring directory/);
    expect(result.stderr).not.toContain('ENOTDIR');
  });

  const explain = (key: string) =>
    pkgkeys([
      'keyring',
      '--keyring',
      repo.path('keyring.asc'),
      'explain',
      key,
      '--anchor',
      repo.path('master.asc'),
      '--repository',
      REPO,
      '--at',
      iso(VERIFY_AT),
    ]);

  test('keyring explain takes a key ID, as gpg prints it, as well as the fingerprint', async () => {
    const byFingerprint = await explain(repo.host.fingerprint);
    expect(byFingerprint).toMatchObject({ status: 0, stdout: expect.stringMatching(/\ntrusted\n$/) });
    for (const id of [
      keyIDOf(repo.host.fingerprint),
      `0x${keyIDOf(repo.host.fingerprint).toLowerCase()}`,
      keyIDOf(repo.host.fingerprint)
        .replace(/(.{4})/g, '$1 ')
        .trim(),
    ]) {
      expect(await explain(id)).toEqual(byFingerprint);
    }
  });

  test('keyring explain: a key ID nobody has is UNKNOWN_KEY; a malformed one is a usage error', async () => {
    const unknown = await explain('0123456789ABCDEF');
    expect({ status: unknown.status, code: codeOf(unknown) }).toEqual({ status: 1, code: 'UNKNOWN_KEY' });
    const malformed = await explain('0123');
    expect({ status: malformed.status, code: codeOf(malformed) }).toEqual({ status: 2, code: 'USAGE' });
  });
});

test('a key ID two keys share is refused, naming both fingerprints', async () => {
  const keys = [
    { fingerprint: `${'A'.repeat(24)}0123456789ABCDEF`, keyID: '0123456789ABCDEF' },
    { fingerprint: `${'B'.repeat(24)}0123456789ABCDEF`, keyID: '0123456789ABCDEF' },
  ];
  const error = await caught(() => findKey(keys, '0123456789abcdef', 'the keyring'));
  expect(error.code).toBe('USAGE');
  expect(error.message).toContain(keys[0]!.fingerprint);
  expect(error.message).toContain(keys[1]!.fingerprint);
});

test("revoke subkey takes the subkey's key ID", async () => {
  const key = await rawKey('withsub', { signingSubkey: true });
  const [subkey] = await subkeyFingerprints(key);
  const dir = await tempDir('pkgkeys-revoke-');
  try {
    await fs.writeFile(path.join(dir, 'secret.asc'), key.secretArmored);
    const result = await pkgkeys([
      '--now',
      iso(VERIFY_AT),
      'revoke',
      'subkey',
      keyIDOf(subkey!),
      '--signer',
      path.join(dir, 'secret.asc'),
      '--reason',
      'retired',
      '--out',
      path.join(dir, 'out.asc'),
    ]);
    expect({ status: result.status, stderr: result.stderr }).toEqual({
      status: 0,
      stderr: `pkgkeys: ${key.fingerprint} revoked subkey ${subkey} (retired)\n`,
    });
  } finally {
    await cleanup(dir);
  }
});

test('an unexpected error (a bug) is one line with IO_ERROR, without a stack unless PKGKEYS_DEBUG is set', () => {
  const bug = new TypeError('cannot read properties of undefined');
  const seen = (env: Record<string, string | undefined>, json = false) => {
    let out = '';
    const status = report(
      bug,
      { stdout: (t) => void (out += String(t)), stderr: (t) => void (out += t), env, prompt: async () => null },
      json,
    );
    return { status, out };
  };
  const plain = seen({});
  expect(plain).toEqual({
    status: 3,
    out: 'pkgkeys: IO_ERROR: unexpected error (a bug in pkgkeys; PKGKEYS_DEBUG=1 shows where): cannot read properties of undefined\n',
  });
  expect(JSON.parse(seen({}, true).out)).toMatchObject({ ok: false, code: 'IO_ERROR' });
  expect(seen({ PKGKEYS_DEBUG: '1' }).out).toMatch(/\n\s+at /);
});
