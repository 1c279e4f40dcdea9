// The algorithm policy (lib/trust/policy.ts): allow-lists, so anything nobody thought of is refused.
import type { Certificate } from '../../lib/model';
import { DEFAULT_POLICY, certificateProblems, weakAlgorithm, weakHash } from '../../lib/trust/policy';

describe('the default policy', () => {
  it.each([
    [{ name: 'rsa', bits: 2048 }, null],
    [{ name: 'rsa', bits: 2047 }, 'RSA-2047 is shorter than 2048 bits'],
    [{ name: 'eddsa', bits: 255 }, null],
    [{ name: 'dsa', bits: 3072 }, 'DSA keys are not accepted'],
    [{ name: 'elgamal', bits: 4096 }, 'ELGAMAL keys are not accepted'],
    [{ name: 'unknown', bits: 0 }, 'UNKNOWN keys are not accepted'],
    [{ name: 'ecdsa', bits: 256, curve: 'nistP256' }, null],
    [
      { name: 'ecdsa', bits: 256, curve: 'brainpoolP256r1' },
      'ECDSA on curve brainpoolP256r1 is not supported (pkgkeys verifies ed25519Legacy, nistP256, nistP384, nistP521)',
    ],
  ] as const)('judges the key algorithm %j: %s', (algorithm, problem) =>
    expect(weakAlgorithm(algorithm, DEFAULT_POLICY)).toBe(problem),
  );

  it.each([
    ['sha256', null],
    ['sha512', null],
    ['sha3_256', null],
    ['sha1', 'SHA1 signatures are not accepted'],
    ['md5', 'MD5 signatures are not accepted'],
    ['sha224', 'SHA224 signatures are not accepted'],
    ['ripemd', 'RIPEMD signatures are not accepted'],
  ])('judges the hash %s: %s', (hash, problem) => expect(weakHash(hash, DEFAULT_POLICY)).toBe(problem));

  it('is data: a stricter policy refuses what the default accepts', () => {
    expect(weakAlgorithm({ name: 'rsa', bits: 3072 }, { ...DEFAULT_POLICY, minRSABits: 4096 })).toBe(
      'RSA-3072 is shorter than 4096 bits',
    );
  });
});

describe('certificateProblems', () => {
  const self = {
    packet: new Uint8Array(0),
    created: new Date(0),
    hash: 'sha512',
    keyExpires: null,
    flags: 3,
    problem: null,
  };
  const certificate = (o: Partial<Certificate> = {}): Certificate => ({
    packet: new Uint8Array(0),
    fingerprint: 'A'.repeat(40),
    keyID: 'A'.repeat(16),
    version: 4,
    algorithm: { name: 'eddsa', bits: 255 },
    created: new Date(0),
    revocations: [],
    revokers: [],
    direct: null,
    subkeys: [],
    userIDs: [
      {
        packet: new Uint8Array(0),
        text: 'a <a@pkgsrc.test>',
        self,
        revocations: [],
        certifications: [],
        certificationRevocations: [],
      },
    ],
    ...o,
  });

  it('finds nothing in a sound certificate', () =>
    expect(certificateProblems(certificate(), DEFAULT_POLICY)).toEqual([]));

  it('names every weak part: the key, a self-signature, a certification, a signing subkey, its binding and back-signature, a missing self-signature', () => {
    const uid = certificate().userIDs[0]!;
    const weak = certificate({
      algorithm: { name: 'rsa', bits: 1024 },
      userIDs: [
        {
          ...uid,
          self: { ...self, hash: 'sha1' },
          certifications: [
            {
              packet: new Uint8Array(0),
              issuer: 'B'.repeat(40),
              subject: 'A'.repeat(40),
              userID: uid.text,
              created: new Date(0),
              expires: null,
              scopes: [],
              trust: null,
              hash: 'md5',
              problem: null,
            },
          ],
        },
      ],
      subkeys: [
        {
          packet: new Uint8Array(0),
          fingerprint: 'C'.repeat(40),
          keyID: 'C'.repeat(16),
          algorithm: { name: 'dsa', bits: 2048 },
          created: new Date(0),
          revocations: [],
          binding: { ...self, flags: 2, hash: 'sha1', back: { hash: 'md5', problem: null } },
        },
        // An encryption subkey is no fault, whatever its algorithm: it is never in a chain.
        {
          packet: new Uint8Array(0),
          fingerprint: 'D'.repeat(40),
          keyID: 'D'.repeat(16),
          algorithm: { name: 'elgamal', bits: 1024 },
          created: new Date(0),
          revocations: [],
          binding: { ...self, flags: 0x0c, back: null },
        },
      ],
    });
    expect(certificateProblems(weak, DEFAULT_POLICY)).toEqual([
      `key ${'A'.repeat(40)}: RSA-1024 is shorter than 2048 bits`,
      'self-signature on "a <a@pkgsrc.test>": SHA1 signatures are not accepted',
      `certification of "a <a@pkgsrc.test>" by ${'B'.repeat(40)}: MD5 signatures are not accepted`,
      `subkey ${'C'.repeat(40)}: DSA keys are not accepted`,
      `binding of subkey ${'C'.repeat(40)}: SHA1 signatures are not accepted`,
      `back-signature of subkey ${'C'.repeat(40)}: MD5 signatures are not accepted`,
    ]);
    expect(certificateProblems(certificate({ userIDs: [{ ...uid, self: null }] }), DEFAULT_POLICY)).toEqual([
      `key ${'A'.repeat(40)}: no valid self-signature`,
    ]);
    expect(
      certificateProblems(
        certificate({ revokers: [{ packet: new Uint8Array(0), fingerprint: 'E'.repeat(40), known: false }] }),
        DEFAULT_POLICY,
      ),
    ).toEqual([`key ${'A'.repeat(40)}: its designated revoker ${'E'.repeat(40)} is not in the keyring`]);
  });
});
