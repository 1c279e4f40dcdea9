/**
 * Interop of the signed index, both ways: gpgv and `sq verify` accept what `pkgkeys sign-summary`
 * writes (RSA and Ed25519), with the packet layout pkg_add's verifier needs for RSA (DESIGN.md §4);
 * and pkgkeys accepts an index that gpg clearsigned with the repository notation and an expiry, and
 * refuses it without either.
 */
import { promises as fs } from 'node:fs';
import { certify } from '../../lib/pgp';
import { GpgHome, keyIDOf } from '../helpers/gpg';
import { peer } from '../helpers/peer';
import { REPO, Repo, SIGNED_AT, codeOf, expectRefusal } from '../helpers/repo';
import { day } from '../helpers/world';

// A missing gpgv or sq fails these tests: a refusal (a status other than 0) is what some of them expect.
const run = (file: string, args: string[]) => peer(file, args, { timeoutMs: 30_000 });

describe.each(['rsa3072', 'ed25519'] as const)('an index signed by pkgkeys with %s', (hostType) => {
  let repo: Repo;
  let gpg: GpgHome;
  let signed: string;
  let summary: string;
  beforeAll(async () => {
    repo = await Repo.create({ hostType });
    gpg = await GpgHome.create();
    summary = await repo.publish([
      { pkgname: 'foo-1.0', content: Buffer.from('foo') },
      { pkgname: 'bar-2.0', content: Buffer.from('bar') },
    ]);
    // Signed now (the real clock): gpgv and sq judge expiry by their own clocks.
    signed = (await repo.sign({ at: new Date() })).file;
    await fs.writeFile(repo.path('host.gpg'), (await gpg.gpg(['--dearmor'], { input: repo.host.public })).stdout);
  });
  afterAll(async () => {
    await gpg.close();
    await repo.cleanup();
  });

  it('verifies with gpgv, which reports the signer and the expiry', async () => {
    const result = await run('gpgv', ['--keyring', repo.path('host.gpg'), signed]);
    expect(result.status).toBe(0);
    expect(result.stderr).toContain(`Good signature from "${repo.host.userID}"`);
    expect(result.stderr).toMatch(/Signature expires/);
  });

  it('verifies with sq verify, which prints exactly the pkg_summary', async () => {
    const result = await run('sq', ['verify', '--signer-cert', repo.path('host-public.asc'), signed]);
    expect(result.status).toBe(0);
    expect(result.stdout).toBe(summary);
  });

  it('fails with both peers once the text is changed (the peers really check)', async () => {
    const text = await fs.readFile(signed, 'utf8');
    await fs.writeFile(repo.path('tampered.asc'), text.replace('foo-1.0', 'foo-6.6'));
    expect((await run('gpgv', ['--keyring', repo.path('host.gpg'), repo.path('tampered.asc')])).status).not.toBe(0);
    expect(
      (await run('sq', ['verify', '--signer-cert', repo.path('host-public.asc'), repo.path('tampered.asc')])).status,
    ).not.toBe(0);
  });

  it('has the layout pkg_add needs: v4 text signature, SHA-256, Issuer Key ID in the hashed area', async () => {
    const block = /-----BEGIN PGP SIGNATURE-----[\s\S]*-----END PGP SIGNATURE-----\n/.exec(
      await fs.readFile(signed, 'utf8'),
    )![0];
    const packets = (await gpg.gpg(['--list-packets'], { input: block })).stdout.toString('utf8');
    expect(packets).toMatch(/:signature packet: algo (1|22), keyid /);
    expect(packets).toMatch(/version 4, created \d+, md5len 0, sigclass 0x01/);
    expect(packets).toMatch(/digest algo 8,/);
    expect(packets).toContain(`hashed subpkt 16 len 8 (issuer key ID ${keyIDOf(repo.host.fingerprint)})`);
    expect(packets).toContain(`hashed subpkt 20 len 58 (notation: pkgsrc-repository@pkgsrc.org=${REPO})`);
    expect(packets).toMatch(/hashed subpkt 3 len 4 \(sig expires after 7d0h0m\)/);
    // Nothing in the unhashed area: an unhashed Issuer there is what pkg_add's fallback would misread.
    expect(packets).not.toMatch(/^\s+subpkt /m);
  });
});

describe('an index clearsigned by gpg', () => {
  let repo: Repo;
  let gpg: GpgHome;
  let fingerprint: string;
  let summary: string;
  beforeAll(async () => {
    repo = await Repo.create();
    gpg = await GpgHome.create();
    fingerprint = await gpg.genKey('GnuPG Host <gpghost@pkgsrc.test>', 'rsa3072', day(0));
    // The master certifies the gpg-made key for the repository, as it would any build host's.
    const certified = await certify(repo.master.secret, await gpg.exportArmored(fingerprint), {
      scopes: [REPO],
      expires: day(730),
      delegateDepth: null,
      userID: null,
      created: day(1),
    });
    repo.world.add(certified.armored);
    await repo.writeKeyring();
    summary = await repo.publish([{ pkgname: 'foo-1.0', content: Buffer.from('foo') }]);
  });
  afterAll(async () => {
    await gpg.close();
    await repo.cleanup();
  });

  async function gpgClearsign(name: string, options: string[]): Promise<string> {
    const { stdout } = await gpg.gpg(['--clearsign', '--digest-algo', 'SHA512', '-u', fingerprint, ...options], {
      at: SIGNED_AT,
      input: summary,
    });
    await fs.writeFile(repo.path(name), stdout);
    return repo.path(name);
  }

  it('is accepted with --sig-notation and --default-sig-expire, and gives back the pkg_summary', async () => {
    const file = await gpgClearsign('gpg.asc', [
      '--sig-notation',
      `pkgsrc-repository@pkgsrc.org=${REPO}`,
      '--default-sig-expire',
      '7d',
    ]);
    const result = await repo.verify(file);
    expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 0, stderr: '' });
    expect(result.stdout).toBe(summary);
  });

  it('is refused without the repository notation', async () => {
    expectRefusal(
      await repo.verify(await gpgClearsign('no-notation.asc', ['--default-sig-expire', '7d'])),
      'REPOSITORY_MISMATCH',
    );
  });

  it('is refused without an expiry', async () => {
    const result = await repo.verify(
      await gpgClearsign('no-expiry.asc', ['--sig-notation', `pkgsrc-repository@pkgsrc.org=${REPO}`]),
    );
    expectRefusal(result, 'INDEX_NO_EXPIRY');
    expect(codeOf(result)).toBe('INDEX_NO_EXPIRY');
  });
});
