/**
 * The signed package format, byte for byte as pkg_install reads it (lib/pkg_signature.c): the ar
 * members and their headers, +PKG_HASH's text at block boundaries, the signature packet's layout that
 * pkg_add's verifier needs, and real peers: libarchive (bsdtar) lists it, gpgv verifies the signature.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { buildPackage } from '../../lib/pkgsrc/package';
import { peerSync } from '../helpers/peer';
import { CHECKED_AT, PackageSigners, incompressible, packageSpec } from '../helpers/packages';
import { arMembers } from '../helpers/pkg-add';

let signers: PackageSigners;
beforeAll(async () => {
  signers = await PackageSigners.create();
}, 60_000);
afterAll(() => signers.cleanup());

const sha512 = (data: Buffer) => createHash('sha512').update(data).digest('hex');

async function signed(name: string, pkg: Buffer): Promise<{ file: string; archive: Buffer }> {
  const input = await signers.write(`${name}.tgz`, pkg);
  const file = signers.path(`signed-${name}.tgz`);
  const result = await signers.sign(input, file);
  expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 0, stderr: '' });
  return { file, archive: await fs.readFile(file) };
}

test('members, headers and +PKG_HASH text, as pkg_admin gpg-sign-package lays them out', async () => {
  const pkg = buildPackage(packageSpec('foo-1.0', incompressible(100_000)));
  const { archive } = await signed('foo-1.0', pkg);
  const members = arMembers(archive);
  expect(members.map((m) => m.name)).toEqual(['+PKG_HASH', '+PKG_GPG_SIGNATURE', 'foo-1.0.tgz']);
  expect(members.every((m) => /^100[0-7]{3}$/.test(m.mode))).toBe(true);
  // The 18-byte name needs the 4.4BSD extended form; the others fit.
  expect(archive.indexOf('#1/18')).toBeGreaterThan(0);
  expect(members[2]!.data.equals(pkg)).toBe(true);
  const blocks = [sha512(pkg.subarray(0, 65536)), sha512(pkg.subarray(65536))];
  expect(members[0]!.data.toString()).toBe(
    `pkgsrc signature\n\nversion: 1\npkgname: foo-1.0\nalgorithm: SHA512\nblock size: 65536\nfile size: ${pkg.length}\n\n${blocks.join('\n')}\nend pkgsrc signature\n`,
  );
  expect(members[1]!.data.toString()).toMatch(
    /^-----BEGIN PGP SIGNATURE-----\n[\s\S]*\n=[A-Za-z0-9+/]{4}\n-----END PGP SIGNATURE-----\n$/,
  );
});

test('libarchive (bsdtar) reads the archive as pkg_add does: the three members, the package intact', async () => {
  const pkg = buildPackage(packageSpec('bar-2.0', incompressible(5000)));
  const { file } = await signed('bar-2.0', pkg);
  expect(execFileSync('bsdtar', ['-tf', file]).toString()).toBe('+PKG_HASH\n+PKG_GPG_SIGNATURE\nbar-2.0.tgz\n');
  expect(execFileSync('bsdtar', ['-xOf', file, 'bar-2.0.tgz'], { maxBuffer: 1 << 24 }).equals(pkg)).toBe(true);
});

test("the signature packet: v4, binary, RSA, SHA-512, and the Issuer Key ID in the hashed area (pkg_add's verifier finds the key there)", async () => {
  const { archive } = await signed('baz-3.0', buildPackage(packageSpec('baz-3.0', incompressible(10))));
  const armored = arMembers(archive)[1]!.data.toString();
  const body = armored
    .split('\n')
    .filter((l) => /^[A-Za-z0-9+/=]+$/.test(l) && !l.startsWith('='))
    .join('');
  const packet = Buffer.from(body, 'base64');
  // Old-format signature packet (tag 2) with a one- or two-byte length.
  expect(packet[0]! & 0xfc).toBe(0x88);
  const start = packet[0] === 0x88 ? 2 : 3;
  const sig = packet.subarray(start);
  expect([sig[0], sig[1], sig[2], sig[3]]).toEqual([4, 0x00, 1, 10]); // version 4, binary document, RSA, SHA-512
  const hashedLength = sig.readUInt16BE(4);
  const hashed = sig.subarray(6, 6 + hashedLength);
  const types: number[] = [];
  const bodies = new Map<number, Buffer>();
  for (let at = 0; at < hashed.length;) {
    const length = hashed[at]!; // all short here
    types.push(hashed[at + 1]! & 0x7f);
    bodies.set(hashed[at + 1]! & 0x7f, hashed.subarray(at + 2, at + 1 + length));
    at += 1 + length;
  }
  expect(types).toContain(2); // creation time
  expect(types).toContain(16); // Issuer Key ID, hashed
  expect(bodies.get(16)!.toString('hex').toUpperCase()).toBe(signers.host.fingerprint.slice(-16));
});

test('gpgv verifies +PKG_GPG_SIGNATURE over +PKG_HASH with the host key', async () => {
  const { archive } = await signed('qux-1.0', buildPackage(packageSpec('qux-1.0', incompressible(70_000))));
  const [hash, sig] = arMembers(archive);
  const hashFile = await signers.write('qux.hash', hash!.data);
  const sigFile = await signers.write('qux.sig', sig!.data);
  const keyring = signers.path('host.gpg');
  execFileSync('gpg', ['--batch', '--yes', '--dearmor', '--output', keyring], { input: signers.host.public });
  const good = peerSync('gpgv', ['--keyring', keyring, sigFile, hashFile]);
  expect({ status: good.status, said: /Good signature/.test(good.stderr) }).toEqual({ status: 0, said: true });
  await fs.appendFile(hashFile, 'x');
  expect(peerSync('gpgv', ['--keyring', keyring, sigFile, hashFile]).status).not.toBe(0);
});

test('verify-package accepts a good package and says who signed it', async () => {
  const { file } = await signed('good-1.0', buildPackage(packageSpec('good-1.0', incompressible(1000))));
  const result = await signers.verify([file]);
  expect(result).toEqual({
    status: 0,
    stdout: `${file}: good package good-1.0, signed by ${signers.host.fingerprint}\n`,
    stderr: '',
  });
  expect((await signers.verify([file], ['--repository', 'NetBSD/x86_64/10.0/All'], CHECKED_AT)).status).toBe(0);
});

test('sign-package refuses an Ed25519 key: pkg_add could not verify it', async () => {
  const ed = await signers.world.key('edhost');
  await signers.writeSecret(ed);
  const input = await signers.write('ed-1.0.tgz', buildPackage(packageSpec('ed-1.0', incompressible(10))));
  const result = await signers.sign(input, signers.path('signed-ed.tgz'), ed);
  expect(result.status).toBe(2);
  expect(result.stderr).toMatch(/USAGE: .* is not an RSA key: pkg_add verifies RSA signatures only/);
  await expect(fs.stat(signers.path('signed-ed.tgz'))).rejects.toThrow(/ENOENT/);
});
