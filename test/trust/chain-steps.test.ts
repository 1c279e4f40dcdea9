/**
 * Each step of the trust engine (lib/trust/chain.ts) on its own, one test per code it can answer. The
 * certificates are pkgkeys' model (lib/model.ts) written as data, as lib/pgp/inspect.ts would build
 * them from signatures that verified: no cryptography here, so a state no key could be brought into
 * (a self-signature with a problem, a subkey without a back-signature) is one field away.
 * test/trust/chain.test.ts asks the same engine about real keys; test/security/ about real attacks.
 */
import type { Code } from '../../lib/errors';
import type {
  Certificate,
  Certification,
  KeyAlgorithm,
  Revocation,
  SelfSignature,
  Subkey,
  TrustGrant,
} from '../../lib/model';
import {
  type Question,
  type Verdict,
  TrustGraph,
  authorize,
  authorizeAll,
  describe as describeKey,
} from '../../lib/trust/chain';
import { DEFAULT_POLICY } from '../../lib/trust/policy';
import { day } from '../helpers/world';
import { checkRepository } from '../../lib/trust/scope';

const REPO = checkRepository('NetBSD/x86_64/10.0/All');
const NOW = day(100);
const NO_PACKET = new Uint8Array(0);
const ED25519: KeyAlgorithm = { name: 'eddsa', bits: 255, curve: 'ed25519Legacy' };

let serial = 0;
const fingerprint = () => (++serial).toString(16).toUpperCase().padStart(40, 'A');

const selfSig = (o: Partial<SelfSignature> = {}): SelfSignature => ({
  packet: NO_PACKET,
  created: day(0),
  hash: 'sha512',
  keyExpires: null,
  flags: 0x03,
  problem: null,
  ...o,
});
const revocation = (issuer: string, at: Date, hard: boolean): Revocation => ({
  packet: NO_PACKET,
  issuer,
  created: at,
  reason: hard ? 'compromised' : 'superseded',
  text: '',
  hard,
});

/** A certificate with one self-signed User ID "NAME <NAME@pkgsrc.test>"; `self: null` leaves it without. */
function key(
  name: string,
  o: { algorithm?: KeyAlgorithm; created?: Date; self?: Partial<SelfSignature> | null } = {},
): Certificate {
  const fpr = fingerprint();
  return {
    packet: NO_PACKET,
    fingerprint: fpr,
    keyID: fpr.slice(-16),
    version: 4,
    algorithm: o.algorithm ?? ED25519,
    created: o.created ?? day(0),
    revocations: [],
    revokers: [],
    direct: null,
    subkeys: [],
    userIDs: [
      {
        packet: NO_PACKET,
        text: `${name} <${name}@pkgsrc.test>`,
        self: o.self === null ? null : selfSig(o.self),
        revocations: [],
        certifications: [],
        certificationRevocations: [],
      },
    ],
  };
}

/** `issuer` certifies `subject`'s User ID, for NetBSD/** from day 1 to day 730 unless told otherwise. */
function certify(
  issuer: Certificate,
  subject: Certificate,
  o: Partial<Omit<Certification, 'issuer' | 'subject'>> & { delegate?: Partial<TrustGrant> } = {},
): Certification {
  const { delegate, ...rest } = o;
  const uid = subject.userIDs[0]!;
  const made: Certification = {
    packet: NO_PACKET,
    issuer: issuer.fingerprint,
    subject: subject.fingerprint,
    userID: uid.text,
    created: day(1),
    expires: day(730),
    scopes: ['NetBSD/**'],
    trust: delegate ? { depth: 1, amount: 120, regex: null, ...delegate } : null,
    hash: 'sha512',
    problem: null,
    ...rest,
  };
  uid.certifications.push(made);
  return made;
}

type Binding = NonNullable<Subkey['binding']>;
const SOUND_BACK: Binding['back'] = { hash: 'sha512', problem: null };

/** A signing subkey, bound and back-signed unless `binding` says otherwise. */
function subkey(o: Partial<Omit<Subkey, 'binding'>> & { binding?: Partial<Binding> | null } = {}): Subkey {
  const fpr = fingerprint();
  const { binding, ...rest } = o;
  return {
    packet: NO_PACKET,
    fingerprint: fpr,
    keyID: fpr.slice(-16),
    algorithm: ED25519,
    created: day(0),
    revocations: [],
    binding: binding === null ? null : { ...selfSig({ flags: 0x02 }), back: SOUND_BACK, ...binding },
    ...rest,
  };
}

/** The engine's answer about `signer` (a key, or the fingerprint of one), as a code or 'trusted'. */
function answer(
  certificates: Certificate[],
  anchors: Certificate[],
  signer: Certificate | string,
  ask: Partial<Omit<Question, 'key'>> = {},
): Verdict {
  const graph = new TrustGraph(
    certificates,
    anchors.map((a) => a.fingerprint),
  );
  const now = ask.now ?? NOW;
  return authorize(graph, {
    key: typeof signer === 'string' ? signer : signer.fingerprint,
    repository: REPO,
    signedAt: now,
    now,
    policy: DEFAULT_POLICY,
    ...ask,
  });
}

/** Asserts the verdict's code ('trusted' for none), showing the reason when it differs. */
function expectAnswer(verdict: Verdict, code: Code | 'trusted'): void {
  expect(verdict.trusted ? 'trusted' : `${verdict.code}: ${verdict.reason}`).toMatch(new RegExp(`^${code}(: |$)`));
}

/** The usual world: a master (the anchor) and a host it certified for NetBSD/**. */
function direct(
  o: {
    master?: Parameters<typeof key>[1];
    host?: Parameters<typeof key>[1];
    cert?: Parameters<typeof certify>[2];
  } = {},
) {
  const master = key('master', o.master);
  const host = key('host', o.host);
  const cert = certify(master, host, o.cert);
  return { master, host, cert, all: [master, host] };
}

/** A master delegating to a developer (depth 1), who certifies a host. */
function delegated(o: { delegate?: Partial<TrustGrant>; developer?: Parameters<typeof key>[1] } = {}) {
  const master = key('master');
  const developer = key('developer', o.developer);
  const host = key('host');
  certify(master, developer, { delegate: o.delegate ?? {} });
  certify(developer, host, { created: day(2) });
  return { master, developer, host, all: [master, developer, host] };
}

describe('the question', () => {
  it('is answered "trusted" for a key the anchor certified, with the story and the scopes', () => {
    const { master, host, all } = direct();
    const verdict = answer(all, [master], host);
    expectAnswer(verdict, 'trusted');
    expect(
      verdict.trusted && { primary: verdict.primary, granted: verdict.granted, steps: verdict.steps.map((s) => s.ok) },
    ).toEqual({ primary: host.fingerprint, granted: ['NetBSD/**'], steps: [true, true, true] });
  });

  it('is answered for every key but the anchors by authorizeAll', () => {
    const { master, host, all } = direct();
    const stranger = key('stranger');
    const verdicts = authorizeAll(new TrustGraph([...all, stranger], [master.fingerprint]), {
      repository: REPO,
      signedAt: NOW,
      now: NOW,
      policy: DEFAULT_POLICY,
    });
    expect([...verdicts].map(([k, v]) => [k, v.trusted ? 'trusted' : v.code])).toEqual([
      [host.fingerprint, 'trusted'],
      [stranger.fingerprint, 'NO_PATH'],
    ]);
  });

  it('UNKNOWN_KEY: a fingerprint that is not in the keyring', () =>
    expectAnswer(answer(direct().all, [direct().master], 'F'.repeat(40)), 'UNKNOWN_KEY'));

  it('ANCHOR_NOT_SIGNER: an anchor asked as the signer', () => {
    const { master, all } = direct();
    expectAnswer(answer(all, [master], master), 'ANCHOR_NOT_SIGNER');
  });

  it('NO_PATH: a key nobody certified, or only a key that is no anchor', () => {
    const { master, all } = direct();
    const lonely = key('lonely');
    const stranger = key('stranger');
    const befriended = key('befriended');
    certify(stranger, befriended);
    expectAnswer(answer([...all, lonely, stranger, befriended], [master], lonely), 'NO_PATH');
    expectAnswer(answer([...all, lonely, stranger, befriended], [master], befriended), 'NO_PATH');
  });

  it('reports, of several failing paths, the one that got furthest, wherever it comes', () => {
    const { master, host, all } = direct({ master: { self: { keyExpires: day(50) } } });
    const second = key('second-anchor');
    certify(second, host, { scopes: ['pkgsrc/other/**'] });
    // Through the master, the anchor itself fails (step 1); through the second anchor, the certification's scope (step 2).
    expectAnswer(answer([...all, second], [master, second], host), 'OUT_OF_SCOPE');
  });
});

describe('the anchor', () => {
  it('WEAK_ALGORITHM: an RSA-1024 anchor', () => {
    const { master, host, all } = direct({ master: { algorithm: { name: 'rsa', bits: 1024 } } });
    expectAnswer(answer(all, [master], host), 'WEAK_ALGORITHM');
  });

  it('KEY_INVALID: an anchor without a valid self-signature, with one that has a problem, or one not allowed to certify', () => {
    for (const self of [null, { problem: 'unknown critical subpacket 99' }, { flags: 0x02 }]) {
      const { master, host, all } = direct({ master: { self } });
      expectAnswer(answer(all, [master], host), 'KEY_INVALID');
    }
  });

  it('WEAK_ALGORITHM: an anchor self-signed with SHA-1', () => {
    const { master, host, all } = direct({ master: { self: { hash: 'sha1' } } });
    expectAnswer(answer(all, [master], host), 'WEAK_ALGORITHM');
  });

  it('KEY_NOT_YET_VALID: an anchor created after the certification it would have made', () => {
    const { master, host, all } = direct({ master: { created: day(5) } });
    expectAnswer(answer(all, [master], host), 'KEY_NOT_YET_VALID');
  });

  it('ANCHOR_REVOKED: an anchor with a hard revocation, even one made after the certification', () => {
    const { master, host, all } = direct();
    master.revocations.push(revocation(master.fingerprint, day(50), true));
    expectAnswer(answer(all, [master], host), 'ANCHOR_REVOKED');
  });

  it('ANCHOR_EXPIRED: an anchor past its expiry', () => {
    const { master, host, all } = direct({ master: { self: { keyExpires: day(90) } } });
    expectAnswer(answer(all, [master], host, { now: day(89), signedAt: day(89) }), 'trusted');
    expectAnswer(answer(all, [master], host), 'ANCHOR_EXPIRED');
  });
});

describe('a certification', () => {
  it('CERT_INVALID: one whose signature has a problem', () => {
    const { master, host, all } = direct({ cert: { problem: 'unknown critical notation x@example.org' } });
    expectAnswer(answer(all, [master], host), 'CERT_INVALID');
  });

  it('WEAK_ALGORITHM: one made with SHA-1', () => {
    const { master, host, all } = direct({ cert: { hash: 'sha1' } });
    expectAnswer(answer(all, [master], host), 'WEAK_ALGORITHM');
  });

  it('CERT_NOT_YET_VALID: one dated beyond the allowed clock skew', () => {
    const { master, host, all } = direct({
      cert: { created: new Date(NOW.getTime() + (DEFAULT_POLICY.clockSkewSeconds + 1) * 1000) },
    });
    expectAnswer(answer(all, [master], host), 'CERT_NOT_YET_VALID');
    const skewed = direct({
      cert: { created: new Date(NOW.getTime() + (DEFAULT_POLICY.clockSkewSeconds - 1) * 1000) },
    });
    expectAnswer(answer(skewed.all, [skewed.master], skewed.host, { signedAt: day(101) }), 'trusted');
  });

  it('CERT_EXPIRED: one past its expiry', () => {
    const { master, host, all } = direct({ cert: { expires: day(90) } });
    expectAnswer(answer(all, [master], host), 'CERT_EXPIRED');
  });

  it('CERT_REVOKED: one its issuer revoked after making it, and not one revoked before a newer certification', () => {
    const { master, host, all, cert } = direct();
    host.userIDs[0]!.certificationRevocations.push(revocation(master.fingerprint, day(50), true));
    expectAnswer(answer(all, [master], host), 'CERT_REVOKED');
    cert.created = day(60);
    expectAnswer(answer(all, [master], host), 'trusted');
  });

  it('KEY_INVALID: one of a User ID its holder never self-signed', () => {
    const { master, host, all } = direct();
    host.userIDs.push({
      packet: NO_PACKET,
      text: 'unbound <unbound@pkgsrc.test>',
      self: null,
      revocations: [],
      certifications: [],
      certificationRevocations: [],
    });
    host.userIDs[0]!.certifications = [];
    certify(master, { ...host, userIDs: [host.userIDs[1]!] });
    expectAnswer(answer(all, [master], host), 'KEY_INVALID');
  });

  it('USER_ID_REVOKED: one of a User ID its holder revoked', () => {
    const { master, host, all } = direct();
    host.userIDs[0]!.revocations.push(revocation(host.fingerprint, day(50), false));
    host.direct = selfSig();
    expectAnswer(answer(all, [master], host), 'USER_ID_REVOKED');
  });

  it('OUT_OF_SCOPE: one without scopes, or for other repositories', () => {
    for (const scopes of [[], ['NetBSD/aarch64/**', 'pkg-vulnerabilities']]) {
      const { master, host, all } = direct({ cert: { scopes } });
      expectAnswer(answer(all, [master], host), 'OUT_OF_SCOPE');
    }
  });

  it('is judged for any repository when none is named, but still needs a scope', () => {
    const { master, host, all } = direct({ cert: { scopes: ['NetBSD/aarch64/**'] } });
    expectAnswer(answer(all, [master], host, { repository: null }), 'trusted');
    const bare = direct({ cert: { scopes: [] } });
    expectAnswer(answer(bare.all, [bare.master], bare.host, { repository: null }), 'OUT_OF_SCOPE');
  });
});

describe('a delegation', () => {
  it('is trusted through an intermediate the anchor delegated to (depth 1, full trust)', () => {
    const { master, host, all } = delegated();
    const verdict = answer(all, [master], host);
    expectAnswer(verdict, 'trusted');
    expect(verdict.steps.filter((s) => s.ok)).toHaveLength(5);
  });

  it('NOT_DELEGATED: a plain certification of the intermediate, or one with less than full trust', () => {
    const plain = delegated();
    plain.developer.userIDs[0]!.certifications[0]!.trust = null;
    expectAnswer(answer(plain.all, [plain.master], plain.host), 'NOT_DELEGATED');
    const partial = delegated({ delegate: { amount: 60 } });
    expectAnswer(answer(partial.all, [partial.master], partial.host), 'NOT_DELEGATED');
  });

  it('DEPTH_EXCEEDED: two intermediates where the policy allows one', () => {
    const { master, developer, host, all } = delegated({ delegate: { depth: 2 } });
    const second = key('second');
    certify(developer, second, { created: day(2), delegate: {} });
    host.userIDs[0]!.certifications = [];
    certify(second, host, { created: day(3) });
    expectAnswer(answer([...all, second], [master], host), 'DEPTH_EXCEEDED');
  });

  it('OUT_OF_SCOPE: a delegation whose regular expression the certified User ID does not match (or that cannot compile)', () => {
    for (const regex of ['<[^>]+[@.]example\\.org>$', '(unclosed']) {
      const { master, host, all } = delegated({ delegate: { regex } });
      expectAnswer(answer(all, [master], host), 'OUT_OF_SCOPE');
    }
    const inside = delegated({ delegate: { regex: '<[^>]+[@.]pkgsrc\\.test>$' } });
    expectAnswer(answer(inside.all, [inside.master], inside.host), 'trusted');
  });

  it('NOT_SIGNING_KEY: the intermediate itself asked as a signer', () => {
    const { master, developer, all } = delegated();
    expectAnswer(answer(all, [master], developer), 'NOT_SIGNING_KEY');
  });

  it('OUT_OF_SCOPE: a certification outside what the delegation above grants, whether or not a repository is named', () => {
    const { master, developer, host, all } = delegated();
    developer.userIDs[0]!.certifications[0]!.scopes = ['NetBSD/aarch64/**'];
    host.userIDs[0]!.certifications[0]!.scopes = ['NetBSD/x86_64/**'];
    const error = answer(all, [master], host, { repository: null });
    expectAnswer(error, 'OUT_OF_SCOPE');
    expect(!error.trusted && error.reason).toContain(
      'none of it within NetBSD/aarch64/**, what the chain above grants',
    );
  });

  it('KEY_REVOKED and KEY_EXPIRED: an intermediate revoked, or past its expiry', () => {
    const revoked = delegated();
    revoked.developer.revocations.push(revocation(revoked.developer.fingerprint, day(50), true));
    expectAnswer(answer(revoked.all, [revoked.master], revoked.host), 'KEY_REVOKED');
    const expired = delegated({ developer: { self: { keyExpires: day(90) } } });
    expectAnswer(answer(expired.all, [expired.master], expired.host), 'KEY_EXPIRED');
  });
});

describe('the signing key', () => {
  it('WEAK_ALGORITHM: an algorithm the policy refuses (DSA), or RSA below 2048 bits', () => {
    for (const algorithm of [
      { name: 'dsa', bits: 3072 },
      { name: 'rsa', bits: 1024 },
    ] as KeyAlgorithm[]) {
      const { master, host, all } = direct({ host: { algorithm } });
      expectAnswer(answer(all, [master], host), 'WEAK_ALGORITHM');
    }
    const rsa = direct({ host: { algorithm: { name: 'rsa', bits: 2048 } } });
    expectAnswer(answer(rsa.all, [rsa.master], rsa.host), 'trusted');
  });

  it('KEY_INVALID: a signing key whose self-signature has a problem', () => {
    const { master, host, all } = direct({ host: { self: { problem: 'unknown critical subpacket 99' } } });
    expectAnswer(answer(all, [master], host), 'KEY_INVALID');
  });

  it('NOT_SIGNING_KEY: a key whose flags do not allow signing', () => {
    const { master, host, all } = direct({ host: { self: { flags: 0x01 } } });
    expectAnswer(answer(all, [master], host), 'NOT_SIGNING_KEY');
  });

  it('KEY_NOT_YET_VALID: a signature dated before the key was made', () => {
    const { master, host, all } = direct({ host: { created: day(30) }, cert: { created: day(31) } });
    expectAnswer(answer(all, [master], host, { signedAt: day(10) }), 'KEY_NOT_YET_VALID');
  });

  it('KEY_REVOKED: hard voids every signature; soft only those made after it', () => {
    const hard = direct();
    hard.host.revocations.push(revocation(hard.host.fingerprint, day(50), true));
    expectAnswer(answer(hard.all, [hard.master], hard.host, { signedAt: day(40) }), 'KEY_REVOKED');
    const soft = direct();
    soft.host.revocations.push(revocation(soft.host.fingerprint, day(50), false));
    expectAnswer(answer(soft.all, [soft.master], soft.host, { signedAt: day(40) }), 'trusted');
    expectAnswer(answer(soft.all, [soft.master], soft.host, { signedAt: day(60) }), 'KEY_REVOKED');
  });

  it('KEY_INVALID: a key naming a designated revoker whose certificate is not in the keyring (its revocation could not be checked)', () => {
    const { master, host, all } = direct();
    host.revokers.push({ packet: NO_PACKET, fingerprint: 'C'.repeat(40), known: false });
    expectAnswer(answer(all, [master], host), 'KEY_INVALID');
    host.revokers[0]!.known = true;
    expectAnswer(answer(all, [master], host), 'trusted');
  });

  it('KEY_REVOKED: by a designated revoker, named as such', () => {
    const { master, host, all } = direct();
    host.revokers.push({ packet: NO_PACKET, fingerprint: 'C'.repeat(40), known: true });
    host.revocations.push(revocation('C'.repeat(40), day(50), true));
    const verdict = answer(all, [master], host);
    expectAnswer(verdict, 'KEY_REVOKED');
    expect(!verdict.trusted && verdict.reason).toContain(`by designated revoker ${'C'.repeat(40)}`);
  });

  it('KEY_EXPIRED: a signing key past its expiry, now or when it signed', () => {
    const { master, host, all } = direct({ host: { self: { keyExpires: day(80) } } });
    expectAnswer(answer(all, [master], host, { now: day(79), signedAt: day(79) }), 'trusted');
    expectAnswer(answer(all, [master], host, { signedAt: day(70) }), 'KEY_EXPIRED');
  });

  it('takes the newest self-signature: a renewal extends the expiry', () => {
    const { master, host, all } = direct({ host: { self: { keyExpires: day(80) } } });
    host.direct = selfSig({ created: day(70), keyExpires: day(400) });
    expectAnswer(answer(all, [master], host), 'trusted');
    expect(describeKey(host)).toBe(`${host.fingerprint} "host <host@pkgsrc.test>"`);
  });
});

describe('a signing subkey', () => {
  const withSubkey = (o: Parameters<typeof subkey>[0] = {}) => {
    const world = direct();
    const sub = subkey(o);
    world.host.subkeys.push(sub);
    return { ...world, sub };
  };

  it('is trusted through its primary key, which is reported as the primary', () => {
    const { master, host, all, sub } = withSubkey();
    const verdict = answer(all, [master], sub.fingerprint);
    expectAnswer(verdict, 'trusted');
    expect(verdict.trusted && verdict.primary).toBe(host.fingerprint);
  });

  it('WEAK_ALGORITHM: a subkey of a refused algorithm, bound with SHA-1, or back-signed with SHA-1', () => {
    for (const o of [
      { algorithm: { name: 'rsa', bits: 1024 } },
      { binding: { hash: 'sha1' } },
      { binding: { back: { hash: 'sha1', problem: null } } },
    ] as const) {
      const { master, all, sub } = withSubkey(o);
      expectAnswer(answer(all, [master], sub.fingerprint), 'WEAK_ALGORITHM');
    }
  });

  it('SUBKEY_UNBOUND: no binding, a binding with a problem, no back-signature, or one with a problem', () => {
    for (const binding of [
      null,
      { problem: 'unknown critical subpacket 99' },
      { back: null },
      { back: { hash: 'sha512', problem: 'unknown critical subpacket 99' } },
    ] as const) {
      const { master, all, sub } = withSubkey({ binding });
      expectAnswer(answer(all, [master], sub.fingerprint), 'SUBKEY_UNBOUND');
    }
  });

  it('NOT_SIGNING_KEY: a subkey not flagged for signing', () => {
    for (const flags of [null, 0x0c]) {
      const { master, all, sub } = withSubkey({ binding: { flags } });
      expectAnswer(answer(all, [master], sub.fingerprint), 'NOT_SIGNING_KEY');
    }
  });

  it('KEY_NOT_YET_VALID: a signature dated before the subkey was made', () => {
    const { master, all, sub } = withSubkey({ created: day(60) });
    expectAnswer(answer(all, [master], sub.fingerprint, { signedAt: day(40) }), 'KEY_NOT_YET_VALID');
  });

  it('is judged under its owner when another certificate binds it too, without the back-signature only the owner can make', () => {
    const { master, all, sub } = withSubkey();
    const thief = key('thief');
    certify(master, thief);
    thief.subkeys.push({ ...sub, binding: { ...sub.binding!, back: null } });
    expectAnswer(answer([thief, ...all], [master], sub.fingerprint), 'trusted');
    expect((answer([thief, ...all], [master], sub.fingerprint) as { primary: string }).primary).toBe(
      all[1]!.fingerprint,
    );
  });

  it('SUBKEY_REVOKED: a revoked subkey', () => {
    const { master, host, all, sub } = withSubkey();
    sub.revocations.push(revocation(host.fingerprint, day(50), true));
    expectAnswer(answer(all, [master], sub.fingerprint), 'SUBKEY_REVOKED');
  });

  it('SUBKEY_EXPIRED: a subkey past the expiry its binding gives it', () => {
    const { master, all, sub } = withSubkey({ binding: { keyExpires: day(80) } });
    expectAnswer(answer(all, [master], sub.fingerprint, { now: day(79), signedAt: day(79) }), 'trusted');
    expectAnswer(answer(all, [master], sub.fingerprint), 'SUBKEY_EXPIRED');
  });
});
