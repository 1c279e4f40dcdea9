/**
 * Interop, the other direction: keys, certifications, trust signatures and revocations made by GnuPG
 * 2.2 (with frozen clocks in 2019-2026) are judged by pkgkeys as DESIGN.md §2-§5 says, both through the
 * engine (lib/pgp → lib/trust/chain) and through `pkgkeys keyring explain`. Each describe block has its
 * own GNUPGHOME.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { Code } from '../../lib/errors';
import type { Certificate } from '../../lib/model';
import { inspectAll, mergeTrees, readTrees } from '../../lib/pgp';
import { TrustGraph, type Verdict, authorize } from '../../lib/trust/chain';
import { DEFAULT_POLICY } from '../../lib/trust/policy';
import { pkgkeys } from '../helpers/cli';
import { GpgHome } from '../helpers/gpg';
import { checkRepository } from '../../lib/trust/scope';

const at = (iso: string) => new Date(`${iso}T00:00:00Z`);
const KEYS = at('2025-01-01'); // key creation
const CERT = at('2025-02-01'); // certifications and trust signatures
const REVSIG = at('2025-03-01'); // revocation of a certification
const BEFORE = at('2025-04-01'); // a signature made before the revocations
const REVOKED = at('2025-05-01'); // key and subkey revocations
const JUDGED = at('2025-06-01'); // when most questions are asked (after the revocations)

const REPO = checkRepository('NetBSD/x86_64/10.0/All');
const OTHER_REPO = checkRepository('NetBSD/aarch64/10.0/All');
const X86 = 'NetBSD/x86_64/10.*/All';

/** A fresh GNUPGHOME for the enclosing describe block, closed (agent killed, directory removed) after it. */
function gpgHome(): () => GpgHome {
  let home: GpgHome | undefined;
  beforeAll(async () => {
    home = await GpgHome.create();
  });
  afterAll(async () => {
    await home?.close();
  });
  return () => home!;
}

/** gpg exports: the anchor (master) and a keyring with the other keys, as bytes and as files. */
interface Exported {
  anchor: Buffer;
  keyring: Buffer;
  anchorFile: string;
  keyringFile: string;
}

let exportCount = 0;
async function exportFiles(
  home: GpgHome,
  anchor: string,
  keys: string[],
  options: { armor?: boolean } = {},
): Promise<Exported> {
  const get = (...who: string[]) =>
    options.armor ? home.exportArmored(...who).then((t) => Buffer.from(t)) : home.export(...who);
  const dir = path.join(home.dir, 'exports');
  await fs.mkdir(dir, { recursive: true });
  const n = exportCount++;
  const result = {
    anchor: await get(anchor),
    keyring: await get(...keys),
    anchorFile: path.join(dir, `anchor-${n}.${options.armor ? 'asc' : 'pgp'}`),
    keyringFile: path.join(dir, `keyring-${n}.${options.armor ? 'asc' : 'pgp'}`),
  };
  await fs.writeFile(result.anchorFile, result.anchor);
  await fs.writeFile(result.keyringFile, result.keyring);
  return result;
}

async function certificates(files: Exported): Promise<{ certs: Certificate[]; anchors: string[] }> {
  const anchorTrees = await readTrees(files.anchor, 'gpg anchor export');
  const trees = [...anchorTrees, ...(await readTrees(files.keyring, 'gpg keyring export'))];
  return { certs: await inspectAll(mergeTrees(trees)), anchors: anchorTrees.map((t) => t.fingerprint) };
}

async function certificate(files: Exported, fingerprint: string): Promise<Certificate> {
  const found = (await certificates(files)).certs.find((c) => c.fingerprint === fingerprint);
  if (!found) throw new Error(`no certificate ${fingerprint} in the export`);
  return found;
}

/** The engine's answer: may `key` sign for `repository`, a signature made at `signedAt`, asked at `now`? */
async function judge(
  files: Exported,
  key: string,
  q: { repository?: string; signedAt: Date; now?: Date },
): Promise<Verdict> {
  const { certs, anchors } = await certificates(files);
  return authorize(new TrustGraph(certs, anchors), {
    key,
    repository: checkRepository(q.repository ?? REPO),
    signedAt: q.signedAt,
    now: q.now ?? q.signedAt,
    policy: DEFAULT_POLICY,
  });
}

const outcome = (v: Verdict) => (v.trusted ? 'trusted' : v.code);

/** `pkgkeys keyring explain` on the exported files: exit status and the code of the step that failed. */
async function explain(files: Exported, key: string, q: { repository?: string; at?: Date } = {}) {
  const r = await pkgkeys([
    'keyring',
    'explain',
    key,
    '--keyring',
    files.keyringFile,
    '--anchor',
    files.anchorFile,
    '--repository',
    q.repository ?? REPO,
    ...(q.at ? ['--at', q.at.toISOString()] : []),
  ]);
  const fails = [...r.stdout.matchAll(/^ {2}FAIL (\S+)/gm)].map((m) => m[1]);
  const last = r.stdout.trimEnd().split('\n').pop();
  return { status: r.status, fails, last, stderr: r.stderr };
}

const cliTrusted = { status: 0, fails: [], last: 'trusted', stderr: '' };
const cliRefused = (code: Code) => ({ status: 1, fails: [code], last: `not trusted: ${code}`, stderr: '' });

// -----------------------------------------------------------------------------------------------------

describe('gpg --quick-sign-key with a scope notation and --default-cert-expire', () => {
  const home = gpgHome();
  let master: string;
  let host: string;
  let files: Exported;

  beforeAll(async () => {
    master = await home().genKey('Master <master@example.org>', 'ed25519', KEYS);
    host = await home().genKey('Host <host@example.org>', 'ed25519', KEYS);
    await home().certify(master, host, {
      at: CERT,
      scopes: [X86],
      expire: '1y',
      extra: ['--cert-notation', 'pkgsrc-note@pkgsrc.org=not a scope'],
    });
    files = await exportFiles(home(), master, [host], { armor: true });
  });

  test('pkgkeys reads the certification: issuer, scope (only the scope notation), expiry', async () => {
    const cert = await certificate(files, host);
    expect(cert.userIDs).toHaveLength(1);
    expect(cert.userIDs[0]!.certifications).toMatchObject([
      {
        issuer: master,
        subject: host,
        userID: 'Host <host@example.org>',
        created: CERT,
        expires: at('2026-02-01'),
        scopes: [X86],
        trust: null,
        problem: null,
      },
    ]);
  });

  test('engine: trusted for NetBSD/x86_64/10.0/All, OUT_OF_SCOPE for aarch64, CERT_EXPIRED after the expiry', async () => {
    const verdict = await judge(files, host, { signedAt: JUDGED });
    expect(verdict).toMatchObject({ trusted: true, primary: host, granted: [X86] });
    expect(outcome(await judge(files, host, { repository: OTHER_REPO, signedAt: JUDGED }))).toBe('OUT_OF_SCOPE');
    expect(outcome(await judge(files, host, { signedAt: at('2026-03-01') }))).toBe('CERT_EXPIRED');
    // the expiry is judged at `now`, whenever the signature was made
    expect(outcome(await judge(files, host, { signedAt: JUDGED, now: at('2026-02-02') }))).toBe('CERT_EXPIRED');
  });

  test('CLI: keyring explain says trusted (exit 0), OUT_OF_SCOPE and CERT_EXPIRED (exit 1)', async () => {
    expect(await explain(files, host, { at: JUDGED })).toEqual(cliTrusted);
    expect(await explain(files, host, { repository: OTHER_REPO, at: JUDGED })).toEqual(cliRefused('OUT_OF_SCOPE'));
    expect(await explain(files, host, { at: at('2026-03-01') })).toEqual(cliRefused('CERT_EXPIRED'));
  });
});

describe('gpg certification without the scope notation', () => {
  const home = gpgHome();
  let host: string;
  let files: Exported;

  beforeAll(async () => {
    const master = await home().genKey('Master <master@example.org>', 'ed25519', KEYS);
    host = await home().genKey('Host <host@example.org>', 'ed25519', KEYS);
    await home().certify(master, host, { at: CERT, expire: '10y' });
    files = await exportFiles(home(), master, [host]);
  });

  test('grants no repository: OUT_OF_SCOPE (engine and CLI)', async () => {
    expect((await certificate(files, host)).userIDs[0]!.certifications).toMatchObject([{ scopes: [], problem: null }]);
    const verdict = await judge(files, host, { signedAt: JUDGED });
    expect(outcome(verdict)).toBe('OUT_OF_SCOPE');
    expect(verdict.trusted ? '' : verdict.reason).toContain('carries no pkgsrc-scope@pkgsrc.org notation');
    expect(await explain(files, host, { at: JUDGED })).toEqual(cliRefused('OUT_OF_SCOPE'));
  });
});

describe('gpg tsign (trust signature depth 1, full trust) on an intermediate', () => {
  const home = gpgHome();
  let master: string;
  let inter: string;
  let leaf: string;
  let restricted: string;
  let leafOutside: string;
  let leafInside: string;
  let files: Exported;

  beforeAll(async () => {
    const h = home();
    master = await h.genKey('Master <master@example.org>', 'ed25519', KEYS);
    inter = await h.genKey('Intermediate <dev@pkgsrc.test>', 'ed25519', KEYS);
    leaf = await h.genKey('Leaf <leaf@pkgsrc.test>', 'ed25519', KEYS);
    restricted = await h.genKey('Restricted <restricted@pkgsrc.test>', 'ed25519', KEYS);
    leafOutside = await h.genKey('Leaf Outside <leaf-out@pkgsrc.test>', 'ed25519', KEYS);
    leafInside = await h.genKey('Leaf Inside <leaf-in@example.org>', 'ed25519', KEYS);
    expect(await h.tsign(master, inter, { at: CERT, scopes: [X86] })).toEqual([
      'keyedit.prompt=tsign',
      'trustsig_prompt.trust_value=2',
      'trustsig_prompt.trust_depth=1',
      'trustsig_prompt.trust_regexp=',
      'sign_uid.okay=y',
      'keyedit.prompt=save',
    ]);
    await h.tsign(master, restricted, { at: CERT, scopes: [X86], domain: 'example.org' });
    const next = at('2025-02-02');
    await h.certify(inter, leaf, { at: next, scopes: [X86], expire: '1y' });
    await h.certify(restricted, leafOutside, { at: next, scopes: [X86], expire: '1y' });
    await h.certify(restricted, leafInside, { at: next, scopes: [X86], expire: '1y' });
    files = await exportFiles(home(), master, [inter, leaf, restricted, leafOutside, leafInside]);
  });

  test('pkgkeys reads gpg trust signatures: depth 1, amount 120, and the domain regex from subpacket 6', async () => {
    expect((await certificate(files, inter)).userIDs[0]!.certifications).toMatchObject([
      { issuer: master, scopes: [X86], trust: { depth: 1, amount: 120, regex: null }, problem: null },
    ]);
    expect((await certificate(files, restricted)).userIDs[0]!.certifications).toMatchObject([
      {
        issuer: master,
        scopes: [X86],
        trust: { depth: 1, amount: 120, regex: '<[^>]+[@.]example\\.org>$' },
        problem: null,
      },
    ]);
  });

  test('engine: a key certified by the intermediate is trusted through the trust signature', async () => {
    const verdict = await judge(files, leaf, { signedAt: JUDGED });
    expect(verdict).toMatchObject({ trusted: true, primary: leaf, granted: [X86] });
    expect(verdict.steps.map((s) => s.text).join('\n')).toContain(`${master} trust signature (depth 1, amount 120)`);
    expect(outcome(await judge(files, leaf, { repository: OTHER_REPO, signedAt: JUDGED }))).toBe('OUT_OF_SCOPE');
  });

  test('engine: the tsign domain restriction is honoured: OUT_OF_SCOPE outside it, trusted inside', async () => {
    const outside = await judge(files, leafOutside, { signedAt: JUDGED });
    expect(outcome(outside)).toBe('OUT_OF_SCOPE');
    expect(outside.trusted ? '' : outside.reason).toContain('"Leaf Outside <leaf-out@pkgsrc.test>" does not match');
    expect(outcome(await judge(files, leafInside, { signedAt: JUDGED }))).toBe('trusted');
  });

  test('CLI: explain agrees (trusted, OUT_OF_SCOPE, trusted)', async () => {
    expect(await explain(files, leaf, { at: JUDGED })).toEqual(cliTrusted);
    expect(await explain(files, leafOutside, { at: JUDGED })).toEqual(cliRefused('OUT_OF_SCOPE'));
    expect(await explain(files, leafInside, { at: JUDGED })).toEqual(cliTrusted);
  });
});

describe('gpg plain certification of an intermediate (no tsign)', () => {
  const home = gpgHome();
  let inter: string;
  let leaf: string;
  let files: Exported;

  beforeAll(async () => {
    const h = home();
    const master = await h.genKey('Master <master@example.org>', 'ed25519', KEYS);
    inter = await h.genKey('Intermediate <dev@pkgsrc.test>', 'ed25519', KEYS);
    leaf = await h.genKey('Leaf <leaf@pkgsrc.test>', 'ed25519', KEYS);
    await h.certify(master, inter, { at: CERT, scopes: [X86], expire: '10y' });
    await h.certify(inter, leaf, { at: at('2025-02-02'), scopes: [X86], expire: '10y' });
    files = await exportFiles(h, master, [inter, leaf]);
  });

  test('gives the intermediate no power to certify: NOT_DELEGATED (engine and CLI)', async () => {
    expect(outcome(await judge(files, leaf, { signedAt: JUDGED }))).toBe('NOT_DELEGATED');
    expect(await explain(files, leaf, { at: JUDGED })).toEqual(cliRefused('NOT_DELEGATED'));
    // the intermediate itself may sign: it is certified directly
    expect(outcome(await judge(files, inter, { signedAt: JUDGED }))).toBe('trusted');
  });
});

describe('gpg revsig of the master certification', () => {
  const home = gpgHome();
  let master: string;
  let host: string;
  let before: Exported;
  let after: Exported;

  beforeAll(async () => {
    const h = home();
    master = await h.genKey('Master <master@example.org>', 'ed25519', KEYS);
    host = await h.genKey('Host <host@example.org>', 'ed25519', KEYS);
    await h.certify(master, host, { at: CERT, scopes: [X86], expire: '10y' });
    before = await exportFiles(h, master, [host]);
    // The host's secret key is in this home, so gpg first offers its own self-signature: keep it.
    await h.revsig(master, host, {
      at: REVSIG,
      offered: [false, true],
      reasonCode: '4',
      text: 'Certification withdrawn',
    });
    after = await exportFiles(h, master, [host]);
  });

  test('gpg wrote one certification revocation (0x30) by the master', async () => {
    const packets = (await home().listPackets(after.keyring))
      .split(/^# off=/m)
      .filter((p) => p.includes('sigclass 0x30'));
    expect(packets).toHaveLength(1);
    expect(packets[0]).toContain(`keyid ${master.slice(-16)}`);
    expect(packets[0]).toContain('(revocation reason 0x20 (Certification withdrawn))');
  });

  test('engine: CERT_REVOKED after the revocation; trusted before it, and without it', async () => {
    const verdict = await judge(after, host, { signedAt: JUDGED });
    expect(outcome(verdict)).toBe('CERT_REVOKED');
    expect(verdict.trusted ? '' : verdict.reason).toContain(
      'was revoked 2025-03-01T00:00:00Z (user-id-invalid: Certification withdrawn)',
    );
    expect(outcome(await judge(after, host, { signedAt: at('2025-02-15') }))).toBe('trusted');
    expect(outcome(await judge(before, host, { signedAt: JUDGED }))).toBe('trusted');
  });

  test('CLI: CERT_REVOKED', async () => {
    expect(await explain(after, host, { at: JUDGED })).toEqual(cliRefused('CERT_REVOKED'));
    expect(await explain(before, host, { at: JUDGED })).toEqual(cliTrusted);
  });
});

describe('gpg --gen-revoke of a signing key, imported', () => {
  const home = gpgHome();
  let compromised: string;
  let superseded: string;
  let files: Exported;

  beforeAll(async () => {
    const h = home();
    const master = await h.genKey('Master <master@example.org>', 'ed25519', KEYS);
    compromised = await h.genKey('Leaked <leaked@example.org>', 'ed25519', KEYS);
    superseded = await h.genKey('Replaced <replaced@example.org>', 'ed25519', KEYS);
    await h.certify(master, compromised, { at: CERT, scopes: [X86], expire: '10y' });
    await h.certify(master, superseded, { at: CERT, scopes: [X86], expire: '10y' });
    const revC = await h.genRevoke(compromised, 'compromised', { at: REVOKED, text: 'Key material leaked' });
    const revS = await h.genRevoke(superseded, 'superseded', { at: REVOKED, text: 'Replaced by a new host key' });
    expect(await h.listPackets(revC)).toContain('(revocation reason 0x02 (Key material leaked))');
    expect(await h.listPackets(revS)).toContain('(revocation reason 0x01 (Replaced by a new host key))');
    await h.import(revC);
    await h.import(revS);
    files = await exportFiles(h, master, [compromised, superseded], { armor: true });
  });

  test('pkgkeys reads the reasons: compromised is hard, superseded soft', async () => {
    expect((await certificate(files, compromised)).revocations).toMatchObject([
      { created: REVOKED, reason: 'compromised', hard: true, text: 'Key material leaked' },
    ]);
    expect((await certificate(files, superseded)).revocations).toMatchObject([
      { created: REVOKED, reason: 'superseded', hard: false, text: 'Replaced by a new host key' },
    ]);
  });

  test('engine: compromised → KEY_REVOKED even for a signature made before the revocation', async () => {
    expect(outcome(await judge(files, compromised, { signedAt: BEFORE, now: JUDGED }))).toBe('KEY_REVOKED');
    expect(outcome(await judge(files, compromised, { signedAt: JUDGED }))).toBe('KEY_REVOKED');
  });

  test('engine: superseded → trusted for a signature made before the revocation, KEY_REVOKED after', async () => {
    expect(outcome(await judge(files, superseded, { signedAt: BEFORE, now: JUDGED }))).toBe('trusted');
    expect(outcome(await judge(files, superseded, { signedAt: JUDGED }))).toBe('KEY_REVOKED');
  });

  test('CLI: explain --at before and after the revocations', async () => {
    expect(await explain(files, compromised, { at: BEFORE })).toEqual(cliRefused('KEY_REVOKED'));
    expect(await explain(files, compromised, { at: JUDGED })).toEqual(cliRefused('KEY_REVOKED'));
    expect(await explain(files, superseded, { at: BEFORE })).toEqual(cliTrusted);
    expect(await explain(files, superseded, { at: JUDGED })).toEqual(cliRefused('KEY_REVOKED'));
  });
});

describe("gpg 'key 1' revkey of an RSA signing subkey", () => {
  const home = gpgHome();
  let host: string;
  let subkey: string;
  let before: Exported;
  let after: Exported;

  beforeAll(async () => {
    const h = home();
    const master = await h.genKey('Master <master@example.org>', 'ed25519', KEYS);
    host = await h.genKey('Host <host@example.org>', 'ed25519', KEYS);
    subkey = await h.addSigningSubkey(host, 'rsa2048', at('2025-01-02'));
    await h.certify(master, host, { at: CERT, scopes: [X86], expire: '10y' });
    before = await exportFiles(h, master, [host]);
    await h.revokeSubkey(host, 1, { at: REVOKED, menuReason: '0', text: 'Signing subkey retired' });
    after = await exportFiles(h, master, [host]);
  });

  test('gpg revoked the subkey (0x28), not the primary key', async () => {
    const listing = await home().listPackets(after.keyring);
    expect(listing).toContain('sigclass 0x28');
    expect(listing).toContain('(revocation reason 0x00 (Signing subkey retired))');
    expect(listing).not.toContain('sigclass 0x20');
    const model = await certificate(after, host);
    expect(model.revocations).toEqual([]);
    expect(model.subkeys).toMatchObject([
      {
        fingerprint: subkey,
        algorithm: { name: 'rsa', bits: 2048 },
        binding: { back: { hash: 'sha512', problem: null }, flags: 0x02 },
        revocations: [{ created: REVOKED, reason: 'unspecified', hard: true }],
      },
    ]);
  });

  test('engine: the subkey is trusted before the revocation (earlier export), SUBKEY_REVOKED after', async () => {
    expect(await judge(before, subkey, { signedAt: BEFORE, now: JUDGED })).toMatchObject({
      trusted: true,
      key: subkey,
      primary: host,
    });
    expect(outcome(await judge(after, subkey, { signedAt: BEFORE, now: JUDGED }))).toBe('SUBKEY_REVOKED');
    // the primary key itself is not revoked
    expect(outcome(await judge(after, host, { signedAt: JUDGED }))).toBe('trusted');
  });

  test('CLI: explain on the subkey fingerprint', async () => {
    expect(await explain(before, subkey, { at: JUDGED })).toEqual(cliTrusted);
    expect(await explain(after, subkey, { at: JUDGED })).toEqual(cliRefused('SUBKEY_REVOKED'));
  });
});

describe('gpg SHA-1 certification (--cert-digest-algo SHA1) by an RSA-2048 master', () => {
  const home = gpgHome();
  let legacy: string;
  let modern: string;
  let files: Exported;

  beforeAll(async () => {
    const h = home();
    const master = await h.genKey('RSA Master <rsa-master@example.org>', 'rsa2048', KEYS);
    legacy = await h.genKey('Legacy <legacy@example.org>', 'ed25519', KEYS);
    modern = await h.genKey('Modern <modern@example.org>', 'ed25519', KEYS);
    await h.certify(master, legacy, {
      at: CERT,
      scopes: [X86],
      expire: '10y',
      extra: ['--cert-digest-algo', 'SHA1', '--allow-weak-key-signatures'],
    });
    await h.certify(master, modern, { at: CERT, scopes: [X86], expire: '10y' });
    files = await exportFiles(h, master, [legacy, modern]);
  });

  test('the certification is SHA-1 (and verifies): WEAK_ALGORITHM; the same master with SHA-2 is trusted', async () => {
    expect((await certificate(files, legacy)).userIDs[0]!.certifications).toMatchObject([
      { hash: 'sha1', scopes: [X86], problem: null },
    ]);
    const verdict = await judge(files, legacy, { signedAt: JUDGED });
    expect(outcome(verdict)).toBe('WEAK_ALGORITHM');
    expect(verdict.trusted ? '' : verdict.reason).toContain('uses SHA1');
    expect(outcome(await judge(files, modern, { signedAt: JUDGED }))).toBe('trusted');
  });

  test('CLI: WEAK_ALGORITHM', async () => {
    expect(await explain(files, legacy, { at: JUDGED })).toEqual(cliRefused('WEAK_ALGORITHM'));
    expect(await explain(files, modern, { at: JUDGED })).toEqual(cliTrusted);
  });
});

describe('gpg certification that expired long ago (keys of 2019, certified 2020-01-01 for 1y)', () => {
  const home = gpgHome();
  let target: string;
  let files: Exported;

  beforeAll(async () => {
    const h = home();
    const master = await h.genKey('Old Master <old-master@example.org>', 'ed25519', at('2019-01-01'));
    target = await h.genKey('Expired Target <expired@example.org>', 'ed25519', at('2019-01-01'));
    await h.certify(master, target, { at: at('2020-01-01'), scopes: [X86], expire: '1y' });
    files = await exportFiles(h, master, [target]);
  });

  test('CERT_EXPIRED now; trusted while it was valid', async () => {
    // 1y is 365 days, and 2020 is a leap year
    expect((await certificate(files, target)).userIDs[0]!.certifications).toMatchObject([
      { created: at('2020-01-01'), expires: at('2020-12-31') },
    ]);
    expect(outcome(await judge(files, target, { signedAt: new Date() }))).toBe('CERT_EXPIRED');
    expect(outcome(await judge(files, target, { signedAt: at('2020-06-01') }))).toBe('trusted');
  });

  test('CLI: explain without --at (the clock) says CERT_EXPIRED', async () => {
    expect(await explain(files, target)).toEqual(cliRefused('CERT_EXPIRED'));
    expect(await explain(files, target, { at: at('2020-06-01') })).toEqual(cliTrusted);
  });
});

describe('a master revoked with gpg --gen-revoke, used as the anchor', () => {
  const home = gpgHome();
  let host: string;
  let before: Exported;
  let after: Exported;

  beforeAll(async () => {
    const h = home();
    const master = await h.genKey('Master <master@example.org>', 'ed25519', KEYS);
    host = await h.genKey('Host <host@example.org>', 'ed25519', KEYS);
    await h.certify(master, host, { at: CERT, scopes: [X86], expire: '10y' });
    before = await exportFiles(h, master, [host]);
    await h.import(await h.genRevoke(master, 'compromised', { at: REVOKED, text: 'Master key lost' }));
    after = await exportFiles(h, master, [host]);
  });

  test('engine: ANCHOR_REVOKED; trusted with the anchor as it was before', async () => {
    const verdict = await judge(after, host, { signedAt: JUDGED });
    expect(outcome(verdict)).toBe('ANCHOR_REVOKED');
    expect(verdict.trusted ? '' : verdict.reason).toContain('(compromised: Master key lost)');
    expect(outcome(await judge(before, host, { signedAt: JUDGED }))).toBe('trusted');
  });

  test('CLI: ANCHOR_REVOKED', async () => {
    expect(await explain(after, host, { at: JUDGED })).toEqual(cliRefused('ANCHOR_REVOKED'));
    expect(await explain(before, host, { at: JUDGED })).toEqual(cliTrusted);
  });
});
