// Attack: a SHA-1 index signature. SHA-1 collisions are practical (SHAttered, Shambles): a signature over
// one text can be made to cover another. The hash is refused by policy before anything else about the
// signature is judged (its freshness included), whoever made it; so is RIPEMD-160, as weak, which
// must not pass for a "Hash:" header mismatch. RFC 9580 §9.5; DESIGN.md §3.
import { promises as fs } from 'node:fs';
import * as openpgp from 'openpgp';
import { REPOSITORY_NOTATION } from '../../lib/model';
import {
  REPO,
  Repo,
  SIGNED_AT,
  VERIFY_AT,
  clearsign,
  expectRefusal,
  expectVerified,
  forgeIndex,
} from '../helpers/repo';
import type { TestKey } from '../helpers/world';

let repo: Repo;
let summary: string;
let rsaHost: TestKey;
beforeAll(async () => {
  repo = await Repo.create(); // Ed25519 host, certified for the repository
  summary = await repo.publish([{ pkgname: 'foo-1.0', content: Buffer.from('foo package') }]);
  rsaHost = await repo.world.key('rsa-host', { type: 'rsa3072' });
  await repo.world.certify(repo.master, rsaHost, { scopes: [REPO] });
  await repo.writeKeyring();
});
afterAll(() => repo.cleanup());

/**
 * An RSA text signature made by OpenPGP.js itself, as GnuPG would make it with SHA-1 (OpenPGP.js will
 * not pair EdDSA with SHA-1 at all): repository notation, no expiry.
 */
async function openpgpIndex(key: TestKey, text: string, hash: 'sha1' | 'sha256'): Promise<Buffer> {
  const secret = await openpgp.readPrivateKey({ armoredKey: key.secretArmored });
  const sig = new openpgp.SignaturePacket();
  sig.signatureType = openpgp.enums.signature.text;
  sig.publicKeyAlgorithm = secret.keyPacket.algorithm;
  sig.hashAlgorithm = openpgp.enums.hash[hash];
  sig.rawNotations = [{ name: REPOSITORY_NOTATION, value: Buffer.from(REPO), humanReadable: true, critical: false }];
  const literal = new openpgp.LiteralDataPacket() as unknown as {
    setBytes(bytes: Uint8Array, format: openpgp.enums.literal): void;
  };
  literal.setBytes(Buffer.from(text.replace(/\n$/, '')), openpgp.enums.literal.binary); // RFC 9580 §7.2: no final line end
  const config = {
    ...openpgp.config,
    rejectHashAlgorithms: new Set<openpgp.enums.hash>(),
    nonDeterministicSignaturesViaNotation: false,
  };
  await (
    sig.sign as unknown as (k: unknown, d: unknown, date: Date, detached: boolean, c: openpgp.Config) => Promise<void>
  ).call(sig, secret.keyPacket, literal, SIGNED_AT, false, config);
  const packets = new openpgp.PacketList<openpgp.SignaturePacket>();
  packets.push(sig);
  const index = clearsign(Buffer.from(text), 'sha256', packets.write());
  return Buffer.from(index.toString('latin1').replace('Hash: SHA256\n', `Hash: ${hash.toUpperCase()}\n`), 'latin1');
}

const verifyIndex = async (index: Buffer) => repo.verify(await repo.write('attack.asc', index));

describe('a SHA-1 index signature', () => {
  it('verifies when the same construction uses SHA-512 or SHA-256 (the control)', async () => {
    expectVerified(await verifyIndex(forgeIndex(repo.host, summary, { hash: 'sha512' })));
    expectVerified(await verifyIndex(forgeIndex(repo.host, summary, { hash: 'sha256' })));
  });

  it('is refused when made by the Ed25519 host', async () => {
    const index = forgeIndex(repo.host, summary, { hash: 'sha1' });
    expect(index.toString()).toContain('\nHash: SHA1\n');
    expectRefusal(await verifyIndex(index), 'WEAK_ALGORITHM');
  });

  it('is refused for its hash before freshness is looked at', async () => {
    expectRefusal(await verifyIndex(forgeIndex(repo.host, summary, { hash: 'sha1', expires: null })), 'WEAK_ALGORITHM');
    expectRefusal(
      await verifyIndex(
        forgeIndex(repo.host, summary, { hash: 'sha1', created: new Date(VERIFY_AT.getTime() + 86400_000) }),
      ),
      'WEAK_ALGORITHM',
    );
  });
});

describe('a RIPEMD-160 index signature', () => {
  it('is refused as a weak algorithm, its Hash header naming it as RFC 9580 §9.5 does', async () => {
    const index = forgeIndex(repo.host, summary, { hash: 'ripemd160' });
    expect(index.toString()).toContain('\nHash: RIPEMD160\n');
    const result = await verifyIndex(index);
    expectRefusal(result, 'WEAK_ALGORITHM');
    expect(result.stderr).toMatch(/RIPEMD160 signatures are not accepted/);
  });
});

describe('a SHA-1 index signature by an RSA key, as GnuPG makes them', () => {
  it('gets past every check but freshness with SHA-256 (the control: the construction is sound)', async () => {
    expectRefusal(await verifyIndex(await openpgpIndex(rsaHost, summary, 'sha256')), 'INDEX_NO_EXPIRY');
  });

  it('is refused for its hash, though OpenPGP.js finds it good once SHA-1 is allowed', async () => {
    const index = await openpgpIndex(rsaHost, summary, 'sha1');
    const allowSha1 = {
      rejectHashAlgorithms: new Set<openpgp.enums.hash>(),
      rejectMessageHashAlgorithms: new Set<openpgp.enums.hash>(),
    };
    const { signatures } = await openpgp.verify({
      message: await openpgp.readCleartextMessage({ cleartextMessage: index.toString('latin1') }),
      verificationKeys: await openpgp.readKey({ armoredKey: rsaHost.public }),
      date: VERIFY_AT,
      config: allowSha1,
    });
    await expect(signatures[0]!.verified).resolves.toBe(true);
    expectRefusal(await verifyIndex(index), 'WEAK_ALGORITHM');
  });
});

describe('sign-summary --hash sha256', () => {
  it('makes an index that verifies', async () => {
    const { file } = await repo.sign({ args: ['--hash', 'sha256'], out: 'sha256.asc' });
    expect(await fs.readFile(file, 'utf8')).toMatch(/^-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\n/);
    expectVerified(await repo.verify(file));
  });
});
