/**
 * Interop, one direction: what pkgkeys makes (lib/pgp through test/helpers/world.ts, and the real CLI)
 * is read by GnuPG 2.2 as pkgkeys means it: certifications verify (`sig:!`), carry the scope notation
 * and the expiry, trust signatures keep their depth and amount (and gpg's own trust model follows
 * them), and key and certification revocations take effect.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { toBinary } from '../../lib/pgp';
import { type ColonRecord, GpgHome, keyIDOf, unix } from '../helpers/gpg';
import { cleanup, pkgkeys, tempDir } from '../helpers/cli';
import { type TestKey, World, day } from '../helpers/world';

const SCOPE_X86 = 'NetBSD/x86_64/10.*/All';
const SCOPE_ARM = 'NetBSD/aarch64/10.*/All';

/** The `sig`/`rev` records made by `issuer` (field 5 is the key ID). */
const byIssuer = (records: ColonRecord[], type: 'sig' | 'rev', issuer: TestKey) =>
  records.filter((r) => r[0] === type && r[4] === keyIDOf(issuer.fingerprint));

/** The `--list-packets` paragraph of each signature packet made by `issuer`. */
function signaturePackets(listing: string, issuer: TestKey): string[] {
  return listing
    .split(/^# off=/m)
    .filter((p) => p.includes(':signature packet:') && p.includes(`keyid ${keyIDOf(issuer.fingerprint)}`));
}

/**
 * gpg 2.2 cannot read ASCII armor without a CRC24 line when the data is a multiple of 3 bytes long
 * (https://dev.gnupg.org/T7071): the armor is tested on its own below, and the tests of the packets hand
 * gpg the binary form (dearmored by pkgkeys itself), so that they do not depend on the data's length.
 */
const binary = async (armored: string) => Buffer.from(await toBinary(armored, 'pkgkeys output'));

describe('gpg reads certifications made by pkgkeys', () => {
  let home: GpgHome;
  const world = new World();
  let master: TestKey;
  const importMade = async (armored: string) => home.import(await binary(armored));

  beforeAll(async () => {
    home = await GpgHome.create();
    master = await world.key('master');
    await home.import(master.public);
  });

  afterAll(async () => {
    await home?.close();
  });

  test('a scoped, expiring certification of an RSA host key is valid for gpg, with its notations and expiry', async () => {
    const host = await world.key('host', { type: 'rsa3072' });
    const certified = await world.certify(master, host, {
      scopes: [SCOPE_X86, SCOPE_ARM],
      at: day(1),
      expires: day(366),
    });
    await importMade(certified);

    const records = await home.checkSigs(host.fingerprint, { at: day(30) });
    const certs = byIssuer(records, 'sig', master);
    expect(certs).toHaveLength(1);
    const [sig] = certs as [ColonRecord];
    expect(sig[1]).toBe('!'); // the signature verifies
    expect(sig[3]).toBe('22'); // EdDSA
    expect(sig[5]).toBe(String(unix(day(1))));
    expect(sig[6]).toBe(String(unix(day(366)))); // signature expiration time
    expect(sig[7]).toBe(''); // not a trust signature
    expect(sig[9]).toBe(master.userID);
    expect(sig[10]).toBe('10x');
    expect(sig[12]).toBe(master.fingerprint);
    expect(sig[15]).toBe('10'); // SHA-512

    const packets = signaturePackets(await home.listPackets(certified), master);
    expect(packets).toHaveLength(1);
    const [packet] = packets as [string];
    expect(packet).toContain('sigclass 0x10');
    expect(packet).toContain(`(notation: pkgsrc-scope@pkgsrc.org=${SCOPE_X86})`);
    expect(packet).toContain(`(notation: pkgsrc-scope@pkgsrc.org=${SCOPE_ARM})`);
    expect(packet).toMatch(/hashed subpkt 3 len 4 \(sig expires after 1y0d0h0m\)/);
    expect(packet).not.toContain('trust signature');
    // gpg's own notation view agrees
    const shown = (
      await home.gpg(['--list-sigs', '--list-options', 'show-notations,show-sig-expire', host.fingerprint], {
        at: day(30),
      })
    ).stdout.toString();
    expect(shown).toContain(`Signature notation: pkgsrc-scope@pkgsrc.org=${SCOPE_X86}`);
  });

  test('a delegation (trust signature, depth 1) is read by gpg as depth 1, value 120, and gpg follows it', async () => {
    const inter = await world.key('inter');
    const leaf = await world.key('leaf');
    const plain = await world.key('plain');
    const leaf2 = await world.key('leaf2');
    const delegated = await world.certify(master, inter, {
      scopes: ['NetBSD/**'],
      delegate: 1,
      at: day(1),
      expires: day(731),
    });
    const leafCert = await world.certify(inter, leaf, { scopes: [SCOPE_X86], at: day(2) });
    const plainCert = await world.certify(master, plain, { scopes: ['NetBSD/**'], at: day(1) });
    const leaf2Cert = await world.certify(plain, leaf2, { scopes: [SCOPE_X86], at: day(2) });
    for (const m of [inter.public, leaf.public, plain.public, leaf2.public, delegated, leafCert, plainCert, leaf2Cert])
      await importMade(m);

    const [sig, ...more] = byIssuer(await home.checkSigs(inter.fingerprint, { at: day(30) }), 'sig', master);
    expect(more).toHaveLength(0);
    expect(sig![1]).toBe('!');
    expect(sig![6]).toBe(String(unix(day(731))));
    expect(sig![7]).toBe('1 120'); // trust depth and amount
    expect(sig![8]).toBe(''); // no regular expression

    const [packet, ...others] = signaturePackets(await home.listPackets(delegated), master);
    expect(others).toHaveLength(0);
    expect(packet).toContain('hashed subpkt 5 len 2 (trust signature of depth 1, value 120)');
    expect(packet).toContain('(notation: pkgsrc-scope@pkgsrc.org=NetBSD/**)');
    expect(packet).toContain('sig expires after');

    // gpg's web of trust, with only the master ultimately trusted: the trust signature makes the
    // intermediate an introducer (leaf fully valid); a plain certification does not (leaf2 unknown).
    const trust = ['--trust-model', 'pgp', '--trusted-key', keyIDOf(master.fingerprint)];
    await home.gpg([...trust, '--check-trustdb'], { at: day(30) });
    const validity = async (k: TestKey) =>
      (await home.gpg([...trust, '--with-colons', '--list-keys', k.fingerprint], { at: day(30) })).stdout
        .toString()
        .split('\n')
        .find((l) => l.startsWith('pub:'))!
        .split(':')[1];
    expect(await validity(inter)).toBe('f');
    expect(await validity(leaf)).toBe('f');
    expect(await validity(plain)).toBe('f');
    expect(await validity(leaf2)).toBe('q');
  });

  test('a key revocation made by pkgkeys revokes the key for gpg', async () => {
    const gone = await world.key('gone');
    await importMade(await world.certify(master, gone, { scopes: [SCOPE_X86], at: day(1) }));
    const before = await home.checkSigs(gone.fingerprint, { at: day(30) });
    expect(before.find((r) => r[0] === 'pub')![1]).not.toBe('r');

    await importMade(await world.revokeKey(gone, 'compromised', day(10)));
    const records = await home.checkSigs(gone.fingerprint, { at: day(30) });
    expect(records.find((r) => r[0] === 'pub')![1]).toBe('r');
    const revs = records.filter((r) => r[0] === 'rev' && r[4] === keyIDOf(gone.fingerprint));
    expect(revs).toHaveLength(1);
    expect(revs[0]![1]).toBe('!');
    expect(revs[0]![5]).toBe(String(unix(day(10))));
    expect(revs[0]![10]).toBe('20x,02'); // key revocation, reason "compromised"
    expect(revs[0]![20]).toBe('test\\x3a compromised'); // gpg escapes ':' in colon listings
  });

  test('a certification revocation made by pkgkeys revokes the certification for gpg', async () => {
    const host = await world.key('withdrawn');
    await importMade(await world.certify(master, host, { scopes: [SCOPE_X86], at: day(1) }));
    expect(byIssuer(await home.checkSigs(host.fingerprint, { at: day(30) }), 'rev', master)).toHaveLength(0);

    await world.revokeCertification(master, host, day(5));
    const revocation = world.material[world.material.length - 1]!;
    await importMade(revocation);
    const records = await home.checkSigs(host.fingerprint, { at: day(30) });
    const revs = byIssuer(records, 'rev', master);
    expect(revs).toHaveLength(1);
    expect(revs[0]![1]).toBe('!');
    expect(revs[0]![5]).toBe(String(unix(day(5))));
    expect(revs[0]![10]).toBe('30x,00'); // certification revocation, no reason
    expect(revs[0]![12]).toBe(master.fingerprint);
    // the revoked certification is still there, but no longer counts for gpg's trust model
    expect(byIssuer(records, 'sig', master)[0]![1]).toBe('!');
    const trust = ['--trust-model', 'pgp', '--trusted-key', keyIDOf(master.fingerprint)];
    await home.gpg([...trust, '--check-trustdb'], { at: day(30) });
    const listed = (
      await home.gpg([...trust, '--with-colons', '--list-keys', host.fingerprint], { at: day(30) })
    ).stdout.toString();
    expect(
      listed
        .split('\n')
        .find((l) => l.startsWith('pub:'))!
        .split(':')[1],
    ).not.toBe('f');
  });

  test('gpg imports the ASCII armor pkgkeys writes, whatever the length of the data', async () => {
    // One armored certification for each length modulo 3 (the length varies with the EdDSA MPIs and the scope).
    const byResidue = new Map<number, string>();
    for (let i = 0; byResidue.size < 3 && i < 60; i++) {
      const target = await world.key(`armor${i}`);
      const armored = await world.certify(master, target, {
        scopes: [`NetBSD/x86_64/10.${'0'.repeat(1 + (i % 3))}/All`],
        at: day(1),
      });
      byResidue.set((await binary(armored)).length % 3, armored);
    }
    expect([...byResidue.keys()].sort()).toEqual([0, 1, 2]);
    const results: Record<string, string> = {};
    for (const [residue, armored] of byResidue) {
      const r = await home.gpg(['--import'], { input: armored, allowFailure: true });
      results[`length % 3 == ${residue}`] =
        r.status === 0
          ? 'imported'
          : `gpg exit ${r.status}: ${r.stderr
              .split('\n')
              .filter((l) => l.startsWith('gpg: ') && !l.includes('WARNING'))
              .slice(-2)
              .join(' | ')}`;
    }
    expect(results).toEqual({
      'length % 3 == 0': 'imported',
      'length % 3 == 1': 'imported',
      'length % 3 == 2': 'imported',
    });
  });
});

describe('gpg reads a certification made with the pkgkeys CLI', () => {
  let home: GpgHome;
  let dir: string;

  beforeAll(async () => {
    home = await GpgHome.create();
    dir = await tempDir('pkgkeys-interop-cli-');
  });

  afterAll(async () => {
    await home?.close();
    if (dir) await cleanup(dir);
  });

  test('master init, key init, certify --scope --out F: gpg --import F, and --check-sigs shows a valid, scoped, expiring certification', async () => {
    const env = { PKGKEYS_PASSPHRASE: 'x' };
    const now = ['--now', '2026-01-01T00:00:00Z'];
    const masterDir = path.join(dir, 'master');
    const hostDir = path.join(dir, 'host');
    await fs.mkdir(masterDir);
    await fs.mkdir(hostDir);

    const m = await pkgkeys(
      [...now, 'master', 'init', '--uid', 'pkgsrc master <master@pkgsrc.test>', '--out', masterDir],
      env,
    );
    expect(m).toMatchObject({ status: 0, stderr: '' });
    const masterFpr = /master key ([0-9A-F]{40})/.exec(m.stdout)![1]!;
    const k = await pkgkeys(
      [
        ...now,
        'key',
        'init',
        '--no-passphrase',
        '--algo',
        'ed25519',
        '--uid',
        'build host <b1@pkgsrc.test>',
        '--out',
        hostDir,
      ],
      env,
    );
    expect(k.status).toBe(0);
    const hostFpr = /signing key ([0-9A-F]{40})/.exec(k.stdout)![1]!;
    await home.gpg(['--import', path.join(masterDir, 'master-public.asc')]);

    // Certify until there is an output file for each length modulo 3: gpg 2.2 reads armor without a
    // CRC24 line only when the data length is not a multiple of 3 (dev.gnupg.org/T7071).
    const scopes = [SCOPE_X86, 'NetBSD/x86_64/10.0*/All', 'NetBSD/x86_64/10.00*/All'];
    const outputs = new Map<number, { file: string; scope: string }>();
    for (let i = 0; outputs.size < 3 && i < 12; i++) {
      const scope = scopes[i % 3]!;
      const file = path.join(dir, `certified-${i}.asc`);
      const c = await pkgkeys(
        [
          ...now,
          'certify',
          '--signer',
          path.join(masterDir, 'master-secret.asc'),
          '--scope',
          scope,
          '--expires',
          '1y',
          '--out',
          file,
          path.join(hostDir, 'signing-public.asc'),
        ],
        env,
      );
      expect(c.status).toBe(0);
      expect(c.stdout).toBe('');
      expect(c.stderr).toContain(`certified ${hostFpr} for ${scope}, until 2027-01-01T00:00:00Z`);
      const residue = (await binary(await fs.readFile(file, 'utf8'))).length % 3;
      if (!outputs.has(residue)) outputs.set(residue, { file, scope });
    }
    expect([...outputs.keys()].sort()).toEqual([0, 1, 2]);

    const imports: Record<string, string> = {};
    for (const [residue, { file }] of [...outputs].sort()) {
      const r = await home.gpg(['--import', file], { allowFailure: true });
      imports[`length % 3 == ${residue}`] =
        r.status === 0
          ? 'imported'
          : `gpg --import failed: ${
              r.stderr
                .split('\n')
                .filter((l) => /invalid|failed/.test(l))
                .slice(-1)[0]
            }`;
    }

    // What gpg imported: every certification by the master verifies, with the CLI's dates.
    const records = await home.checkSigs(hostFpr, { at: new Date('2026-02-01T00:00:00Z') });
    const certs = records.filter((r) => r[0] === 'sig' && r[4] === keyIDOf(masterFpr));
    expect(certs.length).toBeGreaterThanOrEqual(2);
    for (const cert of certs) {
      expect(cert[1]).toBe('!');
      expect(cert[5]).toBe(String(unix(new Date('2026-01-01T00:00:00Z'))));
      expect(cert[6]).toBe(String(unix(new Date('2027-01-01T00:00:00Z')))); // --expires 1y = 365 days
      expect(cert[9]).toBe('pkgsrc master <master@pkgsrc.test>');
      expect(cert[12]).toBe(masterFpr);
    }
    // the host's own self-signature is valid too
    expect(records.filter((r) => r[0] === 'sig' && r[4] === keyIDOf(hostFpr)).map((r) => r[1])).toEqual(['!']);

    const readable = outputs.get(1)!;
    const listing = await home.listPackets(await binary(await fs.readFile(readable.file, 'utf8')));
    expect(listing).toContain(`(notation: pkgsrc-scope@pkgsrc.org=${readable.scope})`);
    expect(listing).toContain('(sig expires after 1y0d0h0m)');
    expect(listing).not.toContain('secret key packet'); // the secret key stays in the master's directory

    expect(imports).toEqual({
      'length % 3 == 0': 'imported',
      'length % 3 == 1': 'imported',
      'length % 3 == 2': 'imported',
    });
  });
});
