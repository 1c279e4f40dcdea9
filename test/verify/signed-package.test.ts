/**
 * Verifying a signed binary package (lib/verify/signed-package.ts) directly, one test per code, in
 * the order the checks run: the archive, the signer and its chain, the signature, its times, the
 * blocks, the pkgname. The packages are signed here with full control of +PKG_HASH and the signature
 * (what `pkgkeys sign-package` never writes); test/security/signed-package-*.test.ts go through the CLI.
 */
import { promises as fs } from 'node:fs';
import { writeAtomicWith } from '../../lib/fsutil';
import { type SignatureSpec, armor, signData } from '../../lib/pgp';
import { buildPackage } from '../../lib/pkgsrc/package';
import {
  BLOCK_SIZE,
  type HashFile,
  blockHashes,
  formatHashFile,
  signedPackageWriter,
} from '../../lib/pkgsrc/signed-package';
import type { TrustGraph } from '../../lib/trust/chain';
import { DEFAULT_POLICY } from '../../lib/trust/policy';
import { checkRepository } from '../../lib/trust/scope';
import { type PackageCheck, verifySignedPackage } from '../../lib/verify/signed-package';
import { expectCode } from '../helpers/caught';
import { CHECKED_AT, PackageSigners, SIGNED_AT, incompressible, packageSpec } from '../helpers/packages';
import { type TestKey, World, day } from '../helpers/world';

let signers: PackageSigners;
let graph: TrustGraph;
/** A package of two blocks and a bit. */
const PKG = buildPackage(packageSpec('foo-1.0', incompressible(140_000)));

beforeAll(async () => {
  signers = await PackageSigners.create();
  graph = await signers.world.graph(signers.master);
  await signers.write('foo-1.0.tgz', PKG);
});
afterAll(() => signers.cleanup());

let made = 0;
/**
 * PKG signed into a new file: +PKG_HASH as pkg_install would write it unless `hash` changes it, then a
 * signature over that text (SHA-512, binary, no expiry, by the host, at SIGNED_AT unless `spec` says).
 */
async function signed(
  o: { hash?: (h: HashFile) => HashFile; spec?: Partial<SignatureSpec>; key?: TestKey } = {},
): Promise<string> {
  const input = await fs.open(signers.path('foo-1.0.tgz'), 'r');
  try {
    const hashFile = (o.hash ?? ((h) => h))({
      pkgname: 'foo-1.0',
      size: PKG.length,
      blockSize: BLOCK_SIZE,
      blocks: await blockHashes(input, 0, PKG.length, BLOCK_SIZE, 'foo-1.0.tgz'),
    });
    const hash = formatHashFile(hashFile);
    const spec: SignatureSpec = {
      kind: 'binary',
      hash: 'sha512',
      created: SIGNED_AT,
      expires: null,
      notations: [],
      ...o.spec,
    };
    const signature = await signData((o.key ?? signers.host).secret.signer(), spec, (h) => void h.update(hash));
    const out = signers.path(`signed-${++made}.tgz`);
    await writeAtomicWith(
      out,
      signedPackageWriter({
        hash,
        signature: armor('signature', signature),
        name: 'foo-1.0.tgz',
        input,
        size: PKG.length,
        meta: { mtime: 0, uid: 0, gid: 0, mode: 0o100644 },
      }),
    );
    return out;
  } finally {
    await input.close();
  }
}

const check = (o: Partial<PackageCheck> = {}): PackageCheck => ({
  graph,
  now: CHECKED_AT,
  policy: DEFAULT_POLICY,
  ...o,
});

describe('a signed package', () => {
  it('verifies: pkgname, size, signer and its primary, signature time', async () => {
    expect(await verifySignedPackage(await signed(), check())).toEqual({
      pkgname: 'foo-1.0',
      size: PKG.length,
      signer: signers.host.fingerprint,
      primary: signers.host.fingerprint,
      signed: SIGNED_AT,
    });
    await verifySignedPackage(await signed(), check({ repository: checkRepository('NetBSD/x86_64/10.0/All') }));
  });

  it('IO_ERROR: a file that is not there', async () => {
    await expectCode(verifySignedPackage(signers.path('absent.tgz'), check()), 'IO_ERROR');
  });

  it('PACKAGE_MALFORMED: an unsigned package, +PKG_HASH in another form, a text-mode signature', async () => {
    await expectCode(verifySignedPackage(signers.path('foo-1.0.tgz'), check()), 'PACKAGE_MALFORMED');
    await expectCode(
      verifySignedPackage(await signed({ hash: (h) => ({ ...h, blocks: h.blocks.slice(1) }) }), check()),
      'PACKAGE_MALFORMED',
    );
    const error = await expectCode(
      verifySignedPackage(await signed({ spec: { kind: 'text' } }), check()),
      'PACKAGE_MALFORMED',
    );
    expect(error.message).toContain('expected a binary signature (type 0x00) over +PKG_HASH');
  });

  it("the chain's code: UNKNOWN_KEY for a signer not in the keyring", async () => {
    const stranger = await new World().key('stranger', { type: 'rsa3072' });
    await expectCode(verifySignedPackage(await signed({ key: stranger }), check()), 'UNKNOWN_KEY');
  });

  it('OUT_OF_SCOPE: a repository outside the signer’s scope, or, for any repository, a scope that grants no packages', async () => {
    await expectCode(
      verifySignedPackage(await signed(), check({ repository: checkRepository('SmartOS/2025Q1/x86_64/All') })),
      'OUT_OF_SCOPE',
    );
    const world = new World();
    const [master, publisher] = [await world.key('master'), await world.key('publisher', { type: 'rsa3072' })];
    await world.certify(master, publisher, { scopes: ['keyring/pkgsrc'] });
    const error = await expectCode(
      verifySignedPackage(await signed({ key: publisher }), check({ graph: await world.graph(master) })),
      'OUT_OF_SCOPE',
    );
    expect(error.message).toBe(`${publisher.fingerprint}: its chain grants keyring/pkgsrc, which grants no packages`);
  });

  it('WEAK_ALGORITHM: a hash the policy does not accept', async () => {
    const policy = { ...DEFAULT_POLICY, acceptHashes: new Set(['sha256']) };
    await expectCode(verifySignedPackage(await signed(), check({ policy })), 'WEAK_ALGORITHM');
  });

  it('BAD_SIGNATURE: a signature over another +PKG_HASH', async () => {
    const file = await signed();
    const data = await fs.readFile(file);
    const at = data.indexOf('pkgname: foo-1.0');
    data.write('pkgname: fo0-1.0', at, 'latin1');
    await fs.writeFile(file, data);
    await expectCode(verifySignedPackage(file, check()), 'BAD_SIGNATURE');
  });

  it('CLOCK_BEHIND: a signature made after now beyond the clock skew, as for every signed document', async () => {
    await expectCode(
      verifySignedPackage(await signed({ spec: { created: day(1, CHECKED_AT) } }), check()),
      'CLOCK_BEHIND',
    );
  });

  it('SIGNATURE_EXPIRED: a signature past its own expiry', async () => {
    const file = await signed({ spec: { expires: new Date(CHECKED_AT.getTime() - 1000) } });
    const error = await expectCode(verifySignedPackage(file, check()), 'SIGNATURE_EXPIRED');
    expect(error.message).toMatch(/^the package signature expired 2026-04-11T00:59:59Z \(now /);
    await verifySignedPackage(file, check({ now: new Date(CHECKED_AT.getTime() - 2000) }));
  });

  it('PKG_ADD_UNVERIFIABLE: a block size pkg_add refuses, or one that divides the size (no last block for pkg_add to read)', async () => {
    await expectCode(
      verifySignedPackage(
        await signed({
          hash: (h) => ({ ...h, blockSize: 512, blocks: Array(Math.ceil(h.size / 512)).fill('0'.repeat(128)) }),
        }),
        check(),
      ),
      'PKG_ADD_UNVERIFIABLE',
    );
    await expectCode(
      verifySignedPackage(
        await signed({ hash: (h) => ({ ...h, blockSize: h.size, blocks: ['0'.repeat(128)] }) }),
        check(),
      ),
      'PKG_ADD_UNVERIFIABLE',
    );
  });

  it('SIZE_MISMATCH: +PKG_HASH signed for a package of another size', async () => {
    // Three blocks either way, so +PKG_HASH itself is well-formed.
    await expectCode(
      verifySignedPackage(await signed({ hash: (h) => ({ ...h, size: h.size + 1 }) }), check()),
      'SIZE_MISMATCH',
    );
  });

  it('HASH_MISMATCH: a block that is not the one signed', async () => {
    const error = await expectCode(
      verifySignedPackage(
        await signed({ hash: (h) => ({ ...h, blocks: [h.blocks[0]!, 'f'.repeat(128), h.blocks[2]!] }) }),
        check(),
      ),
      'HASH_MISMATCH',
    );
    expect(error.message).toContain('block 1 of foo-1.0.tgz does not match +PKG_HASH');
  });

  it('PKGNAME_MISMATCH: signed as another package than +CONTENTS names', async () => {
    const error = await expectCode(
      verifySignedPackage(await signed({ hash: (h) => ({ ...h, pkgname: 'bar-2.0' }) }), check()),
      'PKGNAME_MISMATCH',
    );
    expect(error.message).toMatch(/signed as bar-2\.0, but the package is foo-1\.0$/);
  });
});
