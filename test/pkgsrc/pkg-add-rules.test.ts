/**
 * lib/pkgsrc/pkg-add.ts: pkg_add's acceptance of a signature, rule by rule. Each hand-laid signature
 * (test/helpers/forge.ts) breaks one rule and is refused for that rule alone; what lib/pgp/signature.ts
 * makes passes; GnuPG 2's own detached signature (the layout of TritonDataCenter/pkgsrc#409) is
 * refused; and the block arithmetic agrees with pkg_add's block reading (test/helpers/pkg-add.ts).
 */
import { promises as fs } from 'node:fs';
import { signData } from '../../lib/pgp';
import { checkPkgAddAccepts, pkgAddRefusals } from '../../lib/pkgsrc/pkg-add';
import { caught } from '../helpers/caught';
import { GNUPG2_LAYOUT, type SignatureLayout, laidOutSignature } from '../helpers/forge';
import { GpgHome, keyIDOf } from '../helpers/gpg';
import { PackageSigners, packageOfSize } from '../helpers/packages';
import { pkgAddModel } from '../helpers/pkg-add';
import { type TestKey, T0, World } from '../helpers/world';

const DATA = Buffer.from('pkgsrc signature\n\nversion: 1\n');
let rsa: TestKey;
let ed: TestKey;
beforeAll(async () => {
  const world = new World();
  rsa = await world.key('rsa', { type: 'rsa3072' });
  ed = await world.key('ed');
}, 60_000);

const keyID = (key: TestKey) => key.secret.signer().keyID;
const laid = (layout: SignatureLayout, key = rsa) =>
  laidOutSignature(key.secret.signer(), (h) => void h.update(DATA), layout);
const refusals = async (layout: SignatureLayout, key = rsa) =>
  pkgAddRefusals({ signature: await laid(layout, key), keyID: keyID(key) });

test('what pkgkeys makes (v4, RSA, SHA-512 and SHA-256, Issuer Key ID hashed before the fingerprint) is accepted', async () => {
  for (const hash of ['sha256', 'sha512'] as const) {
    const signature = await signData(
      rsa.secret.signer(),
      { kind: 'binary', hash, created: T0, expires: null, notations: [] },
      (h) => void h.update(DATA),
    );
    expect(pkgAddRefusals({ signature, keyID: keyID(rsa) })).toEqual([]);
  }
  expect(await refusals({})).toEqual([]);
  // SHA-1 is pkg_add's too (pkgkeys never makes it: lib/trust/policy.ts refuses it for its own checks).
  expect(await refusals({ hash: 'sha1' })).toEqual([]);
});

test.each([
  ['version 3', { version: 3 }, /version 3 signature; pkg_add reads version 4 only/],
  ['version 5', { version: 5 }, /version 5 signature/],
  ['SHA-384', { hash: 'sha384' }, /hash is SHA-384; pkg_add verifies SHA-1, SHA-256 and SHA-512 only/],
  ['SHA-224', { hash: 'sha224' }, /hash is SHA-224/],
  ['DSA (17)', { algorithm: 17 }, /public-key algorithm is 17, not RSA \(1\)/],
  ['no Issuer Key ID at all', { hashed: [2, 33] }, /no Issuer Key ID subpacket \(16\)/],
  ['the Issuer Key ID in the unhashed area only (GnuPG >= 2.1)', GNUPG2_LAYOUT, /no Issuer Key ID subpacket \(16\)/],
  [
    'an Issuer Fingerprint before the Issuer Key ID',
    { hashed: [2, 33, 16] },
    /Issuer Fingerprint subpacket \(33\) comes before the Issuer Key ID/,
  ],
  [
    'an Issuer Key ID naming another key',
    { keyID: '0123456789ABCDEF' },
    /Issuer Key ID is 0123456789ABCDEF, not the signing key's/,
  ],
] as const)('%s: refused for that rule alone', async (_what, layout, reason) => {
  const got = await refusals(layout as SignatureLayout);
  expect(got).toHaveLength(1);
  expect(got[0]).toMatch(reason);
});

test('an Ed25519 signature is refused: pkg_add knows RSA only', async () => {
  const signature = await signData(
    ed.secret.signer(),
    { kind: 'binary', hash: 'sha512', created: T0, expires: null, notations: [] },
    (h) => void h.update(DATA),
  );
  expect(pkgAddRefusals({ signature, keyID: keyID(ed) })).toEqual([
    expect.stringMatching(/public-key algorithm is 22, not RSA/),
  ]);
});

test('what is not one signature packet is refused', () => {
  const k = keyID(rsa);
  expect(pkgAddRefusals({ signature: Buffer.from('hello'), keyID: k })).toEqual(['it is not an OpenPGP packet']);
  expect(pkgAddRefusals({ signature: Buffer.from([0x99, 0x00, 0x01, 0x04]), keyID: k })).toEqual([
    'it is a packet of type 6, not a signature',
  ]);
  expect(pkgAddRefusals({ signature: Buffer.from([0x88, 0x05, 0x04]), keyID: k })).toEqual([
    'it is not exactly one signature packet',
  ]);
  // A hashed area that claims more than there is.
  expect(
    pkgAddRefusals({ signature: Buffer.from([0x88, 0x08, 0x04, 0x00, 0x01, 0x0a, 0x00, 0x09, 0x05, 0x02]), keyID: k }),
  ).toEqual(['its hashed subpacket area is truncated']);
});

test("GnuPG 2's detached signature, with the right key, is refused: the layout, not the key", async () => {
  const gpg = await GpgHome.create();
  try {
    const fingerprint = await gpg.genKey('gpg2 <gpg2@pkgsrc.test>', 'rsa3072', T0);
    const signature = await gpg.detachSign(fingerprint, DATA, { at: T0 });
    expect(pkgAddRefusals({ signature, keyID: keyIDOf(fingerprint) })).toEqual([
      expect.stringMatching(/no Issuer Key ID subpacket \(16\)/),
    ]);
  } finally {
    await gpg.close();
  }
}, 60_000);

describe('the block arithmetic, as pkg_add reads blocks (test/helpers/pkg-add.ts)', () => {
  let signers: PackageSigners;
  beforeAll(async () => {
    signers = await PackageSigners.create();
  }, 60_000);
  afterAll(() => signers.cleanup());

  test.each([
    [65536, 65536, false],
    [65536, 65535, true],
    [131072, 1024, false],
    [65537, 1000, false],
    [65537, 4096, true],
  ])(
    'a package of %i bytes in blocks of %i: pkg_add installs it: %s, and the rules agree',
    async (size, blockSize, installs) => {
      const input = await signers.write(`p-${size}-${blockSize}.tgz`, packageOfSize('p-1.0', size));
      const file = await signers.signByHand(input, signers.path(`signed-${size}-${blockSize}.tgz`), { blockSize });
      expect(pkgAddModel(await fs.readFile(file)).ok).toBe(installs);
      const signature = await signData(
        signers.host.secret.signer(),
        { kind: 'binary', hash: 'sha512', created: T0, expires: null, notations: [] },
        (h) => void h.update(DATA),
      );
      expect(pkgAddRefusals({ signature, keyID: keyID(signers.host), blocks: { size, blockSize } }).length === 0).toBe(
        installs,
      );
    },
  );
});

test('checkPkgAddAccepts: PKG_ADD_UNVERIFIABLE, naming what and every reason', async () => {
  const error = await caught(async () =>
    checkPkgAddAccepts(
      { signature: await laid({ hash: 'sha384', hashed: [2, 33, 16] }), keyID: keyID(rsa) },
      'foo-1.0.tgz',
    ),
  );
  expect(error.code).toBe('PKG_ADD_UNVERIFIABLE');
  expect(error.message).toMatch(
    /^foo-1\.0\.tgz: pkg_add's verifier would refuse it, so it is not written: its hash is SHA-384; .*; an Issuer Fingerprint subpacket \(33\) comes before/,
  );
});
