/**
 * Attack: a key certified by an intermediate whose delegation does not cover what it certified, asked
 * about "any repository" (verify.gpg for pkg_add, verify-package without --repository). The
 * intermediate was delegated only pkg-vulnerabilities, only keyring/pkgsrc, or only NetBSD/aarch64,
 * and certified a host for NetBSD/x86_64/10.0/All: the chain grants the intersection of its links'
 * scopes, which is nothing, so the host is trusted for nothing, exported nowhere, and its packages
 * are refused (OUT_OF_SCOPE). A delegation that does cover part of the certification grants that part.
 */
import { pkgInstallKeyrings } from '../../lib/keyring/exports';
import { buildPackage } from '../../lib/pkgsrc/package';
import { DEFAULT_POLICY } from '../../lib/trust/policy';
import { NOW, expectRefused, expectTrusted } from '../helpers/chain';
import { pkgkeys } from '../helpers/cli';
import { PackageSigners, incompressible, packageSpec } from '../helpers/packages';
import { iso } from '../helpers/repo';
import { type TestKey, day } from '../helpers/world';

const DELEGATED = ['pkg-vulnerabilities', 'keyring/pkgsrc', 'NetBSD/aarch64/*/All'];
const CERTIFIED = 'NetBSD/x86_64/10.0/All';

let site: PackageSigners;
const hosts = new Map<string, TestKey>();
let covered: TestKey;

/** An intermediate delegated `delegated`, and an RSA host it certified for `certified`. */
async function delegatedHost(name: string, delegated: string, certified: string): Promise<TestKey> {
  const dev = await site.world.key(`dev-${name}`);
  await site.world.certify(site.master, dev, { scopes: [delegated], delegate: 1 });
  const host = await site.world.key(`host-${name}`, { type: 'rsa3072' });
  await site.world.certify(dev, host, { scopes: [certified], at: day(2) });
  await site.writeSecret(host);
  return host;
}

beforeAll(async () => {
  site = await PackageSigners.create();
  for (const [i, delegated] of DELEGATED.entries())
    hosts.set(delegated, await delegatedHost(String(i), delegated, CERTIFIED));
  covered = await delegatedHost('covered', 'NetBSD/x86_64/**', 'NetBSD/**');
  await site.writeKeyring();
}, 120_000);
afterAll(() => site.cleanup());

const codeIn = (stdout: string) => /: ([A-Z_]+): /.exec(stdout)?.[1];

async function signedPackage(host: TestKey): Promise<string> {
  const name = `${host.name}-1.0`;
  const input = await site.write(`${name}.tgz`, buildPackage(packageSpec(name, incompressible(500))));
  const out = site.path(`signed-${name}.tgz`);
  const result = await site.sign(input, out, host);
  if (result.status !== 0) throw new Error(result.stderr);
  return out;
}

describe.each(DELEGATED)(
  'an intermediate delegated only %s certifies a host for NetBSD/x86_64/10.0/All',
  (delegated) => {
    const host = () => hosts.get(delegated)!;

    test('the chain grants nothing, for any repository and for the one named', async () => {
      const verdict = await expectRefused(site.world, [site.master], host().fingerprint, 'OUT_OF_SCOPE', {
        repository: null,
      });
      expect(!verdict.trusted && verdict.reason).toContain(delegated);
      await expectRefused(site.world, [site.master], host().fingerprint, 'OUT_OF_SCOPE', { repository: CERTIFIED });
    });

    test('the host is not in verify.gpg', async () => {
      const exports = pkgInstallKeyrings(await site.world.graph(site.master), NOW, DEFAULT_POLICY);
      expect(exports.verifyKeys).not.toContain(host().fingerprint);
      expect(exports.verifyKeys).toContain(covered.fingerprint);
    });

    test('its package is refused by verify-package without --repository', async () => {
      const result = await site.verify([await signedPackage(host())]);
      expect({ status: result.status, code: codeIn(result.stdout) }).toEqual({ status: 1, code: 'OUT_OF_SCOPE' });
    });
  },
);

test('a delegation that covers part of a certification grants that part, and explain and list say so', async () => {
  const verdict = await expectTrusted(site.world, [site.master], covered.fingerprint, { repository: null });
  expect(verdict.trusted && verdict.granted).toEqual(['NetBSD/x86_64/**']);
  await expectRefused(site.world, [site.master], covered.fingerprint, 'OUT_OF_SCOPE', {
    repository: 'NetBSD/aarch64/10.0/All',
  });
  expect((await site.verify([await signedPackage(covered)])).status).toBe(0);

  const list = await pkgkeys([
    'keyring',
    '--keyring',
    site.path('keyring.asc'),
    'list',
    '--anchor',
    site.path('master.asc'),
    '--now',
    iso(NOW),
  ]);
  expect(list.status).toBe(0);
  expect(list.stdout).toContain(`${covered.fingerprint}  rsa3072`);
  expect(list.stdout).toContain('trusted now for NetBSD/x86_64/**');
  for (const host of hosts.values())
    expect(list.stdout).toMatch(new RegExp(`${host.fingerprint}  .*\\n  not trusted now: OUT_OF_SCOPE`));
  const explained = await pkgkeys([
    'keyring',
    '--keyring',
    site.path('keyring.asc'),
    'explain',
    covered.fingerprint,
    '--anchor',
    site.path('master.asc'),
    '--at',
    iso(NOW),
  ]);
  expect(explained.stdout).toContain('  granted: NetBSD/x86_64/**\ntrusted\n');
});
