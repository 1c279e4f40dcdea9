/**
 * Attack: a signed package from a signer the chain does not back now: the host's key revoked after
 * it signed (compromise: every signature it made is void), a key nobody certified, a key certified
 * only for keyring releases. pkg_add alone would accept whatever key sits in its keyring; verify-package
 * walks the chain: KEY_REVOKED, UNKNOWN_KEY / NO_PATH, OUT_OF_SCOPE.
 */
import { buildPackage } from '../../lib/pkgsrc/package';
import { CHECKED_AT, PackageSigners, SIGNED_AT, incompressible, packageSpec } from '../helpers/packages';

let signers: PackageSigners;
beforeAll(async () => {
  signers = await PackageSigners.create();
}, 60_000);
afterAll(() => signers.cleanup());

const codeIn = (stdout: string) => /: ([A-Z_]+): /.exec(stdout)?.[1];

async function signedBy(name: string, key = signers.host): Promise<string> {
  const input = await signers.write(`${name}.tgz`, buildPackage(packageSpec(name, incompressible(500))));
  const out = signers.path(`signed-${name}.tgz`);
  const result = await signers.sign(input, out, key);
  if (result.status !== 0) throw new Error(result.stderr);
  return out;
}

test('a key not in the keyring: UNKNOWN_KEY; in it but uncertified: NO_PATH', async () => {
  const stranger = await signers.world.key('stranger', { type: 'rsa3072' });
  await signers.writeSecret(stranger);
  const file = await signedBy('stranger-1.0', stranger);
  const material = [...signers.world.material];
  signers.world.material.splice(signers.world.material.indexOf(stranger.public), 1);
  await signers.writeKeyring();
  expect(codeIn((await signers.verify([file])).stdout)).toBe('UNKNOWN_KEY');
  signers.world.material.splice(0, signers.world.material.length, ...material);
  await signers.writeKeyring();
  expect(codeIn((await signers.verify([file])).stdout)).toBe('NO_PATH');
});

test('a key certified for keyring/pkgsrc only grants no packages: OUT_OF_SCOPE', async () => {
  const publisher = await signers.world.key('publisher', { type: 'rsa3072' });
  await signers.world.certify(signers.master, publisher, { scopes: ['keyring/pkgsrc'] });
  await signers.writeSecret(publisher);
  await signers.writeKeyring();
  const result = await signers.verify([await signedBy('pub-1.0', publisher)]);
  expect({ status: result.status, code: codeIn(result.stdout) }).toEqual({ status: 1, code: 'OUT_OF_SCOPE' });
});

test('the host key revoked (compromised) after it signed: KEY_REVOKED, though the signature is older', async () => {
  const file = await signedBy('late-1.0');
  expect((await signers.verify([file])).status).toBe(0);
  await signers.world.revokeKey(signers.host, 'compromised', new Date(SIGNED_AT.getTime() + 1800_000));
  await signers.writeKeyring();
  const result = await signers.verify([file], [], CHECKED_AT);
  expect({ status: result.status, code: codeIn(result.stdout) }).toEqual({ status: 1, code: 'KEY_REVOKED' });
});
