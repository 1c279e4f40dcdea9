/**
 * k of n masters on the certifying side and in pkg_install's keyrings: each master certifies with
 * `pkgkeys certify` as one would alone, the keyring gathers the certifications, `keyring check` and
 * `keyring publish` report the keys that fewer than k masters vouch for, and a client whose
 * pkgkeys.conf asks for 2 anchors exports to verify.gpg and pkgvuln.gpg only the keys that 2 vouch for.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { pkgInstallKeyrings } from '../../lib/keyring/exports';
import { DEFAULT_POLICY } from '../../lib/trust/policy';
import { PKG_VULNERABILITIES } from '../../lib/trust/scope';
import { cleanup, pkgkeys, tempDir } from '../helpers/cli';
import { KEYRING, PUBLISHED_AT, UPDATE_AT } from '../helpers/mirror';
import { iso } from '../helpers/repo';
import { type TestKey, World } from '../helpers/world';

const policy = (k: number) => ({ ...DEFAULT_POLICY, anchorThreshold: k });
const SCOPES = ['NetBSD/**', PKG_VULNERABILITIES];

let w: World;
let dir: string;
let masters: TestKey[];
let publisher: TestKey;
/** RSA (pkg_add reads nothing else), certified by masters a and b. */
let both: TestKey;
/** RSA, certified by master a only. */
let one: TestKey;

const file = (...parts: string[]) => path.join(dir, ...parts);
const anchorArgs = () => masters.flatMap((m) => ['--anchor', file(`${m.name}.asc`)]);
const keyring = () => ['keyring', '--keyring', file('keyrings/pkgsrc')];

beforeAll(async () => {
  w = new World();
  dir = await tempDir('pkgkeys-threshold-');
  masters = [await w.key('master-a'), await w.key('master-b'), await w.key('master-c')];
  const [a, b] = masters as [TestKey, TestKey, TestKey];
  publisher = await w.key('publisher');
  both = await w.key('both', { type: 'rsa3072' });
  one = await w.key('one', { type: 'rsa3072' });
  for (const master of [a, b]) {
    await w.certify(master, publisher, { scopes: [KEYRING] });
    await w.certify(master, both, { scopes: SCOPES });
  }
  await w.certify(a, one, { scopes: SCOPES });
  for (const m of masters) await fs.writeFile(file(`${m.name}.asc`), m.public);
  await fs.writeFile(file('world.asc'), w.material.join('\n'));
  await fs.writeFile(file('publisher-secret.asc'), publisher.secretArmored, { mode: 0o600 });
  const imported = await pkgkeys([...keyring(), 'import', file('world.asc')]);
  expect(imported.status).toBe(0);
});

afterAll(() => cleanup(dir));

test('pkg_install keyrings hold only the keys k anchors vouch for', async () => {
  const graph = await w.graph(...masters);
  const two = pkgInstallKeyrings(graph, UPDATE_AT, policy(2));
  expect({ verify: two.verifyKeys, pkgvuln: two.pkgvulnKeys }).toEqual({
    verify: [both.fingerprint],
    pkgvuln: [both.fingerprint],
  });
  const any = pkgInstallKeyrings(graph, UPDATE_AT, policy(1));
  const sorted = [both.fingerprint, one.fingerprint].sort();
  expect({ verify: any.verifyKeys, pkgvuln: any.pkgvulnKeys }).toEqual({ verify: sorted, pkgvuln: sorted });
});

test('keyring check reports a key below the threshold without failing', async () => {
  const run = await pkgkeys([...keyring(), 'check', ...anchorArgs(), '--threshold', '2', '--now', iso(PUBLISHED_AT)]);
  expect(run.status).toBe(0);
  expect(run.stdout).toContain(`${one.fingerprint}: below the threshold: 1 of 3 anchors vouch for ${one.fingerprint}`);
  expect(run.stdout).not.toContain(`${both.fingerprint}: below`);
  const json = JSON.parse(
    (await pkgkeys(['--json', ...keyring(), 'check', ...anchorArgs(), '--threshold', '2', '--now', iso(PUBLISHED_AT)]))
      .stdout,
  );
  expect(json.belowThreshold).toEqual([
    {
      key: one.fingerprint,
      vouching: [masters[0]!.fingerprint],
      threshold: 2,
      reason: expect.stringMatching(/, 2 needed; /),
    },
  ]);
  // With one anchor enough, nothing is below it.
  expect((await pkgkeys([...keyring(), 'check', ...anchorArgs(), '--now', iso(PUBLISHED_AT)])).stdout).not.toContain(
    'below the threshold',
  );
});

test('keyring publish warns of a key below the threshold, and a client asking for 2 anchors exports only keys 2 vouch for', async () => {
  const published = await pkgkeys([
    ...keyring(),
    'publish',
    '--now',
    iso(PUBLISHED_AT),
    '--serial',
    '2026041001',
    '--key',
    file('publisher-secret.asc'),
    ...anchorArgs(),
    '--threshold',
    '2',
    '--out',
    file('pub'),
  ]);
  expect(published.status).toBe(0);
  expect(published.stderr).toContain(
    `pkgkeys: warning: ${one.fingerprint} is below the threshold, clients will not trust it: 1 of 3 anchors vouch`,
  );

  const client = async (name: string, k: number | null) => {
    const root = file(name);
    await fs.mkdir(path.join(root, 'etc/pkgkeys/anchors'), { recursive: true });
    for (const m of masters) await fs.writeFile(path.join(root, `etc/pkgkeys/anchors/${m.name}.asc`), m.public);
    if (k !== null) await fs.writeFile(path.join(root, 'etc/pkgkeys/pkgkeys.conf'), `anchor-threshold ${k}\n`);
    return root;
  };
  const update = (root: string, args: string[] = []) =>
    pkgkeys(['update', '--url', `file://${file('pub')}/`, '--now', iso(UPDATE_AT), ...args], { PKGKEYS_ROOT: root });
  const exported = async (root: string, name: string) => {
    const list = await pkgkeys(['--json', 'keyring', '--keyring', path.join(root, 'var/db/pkgkeys', name), 'list']);
    return (JSON.parse(list.stdout) as Array<{ fingerprint: string }>).map((c) => c.fingerprint);
  };

  const strict = await client('strict', 2);
  const updated = await update(strict);
  expect(updated.stderr).toBe('');
  expect(updated.status).toBe(0);
  expect(await exported(strict, 'verify.gpg')).toEqual([both.fingerprint]);
  expect(await exported(strict, 'pkgvuln.gpg')).toEqual([both.fingerprint]);
  // The configured threshold is a floor: an option may raise it, not lower it.
  const lowered = await update(strict, ['--threshold', '1']);
  expect(lowered.status).toBe(2);
  expect(lowered.stderr).toMatch(/USAGE: --threshold 1 is below anchor-threshold 2 in .*pkgkeys\.conf/);

  const lenient = await client('lenient', null);
  expect((await update(lenient)).status).toBe(0);
  expect(await exported(lenient, 'verify.gpg')).toEqual([both.fingerprint, one.fingerprint].sort());
  // Asking for more anchors than the publisher has vouching refuses the release itself.
  const refused = await update(lenient, ['--threshold', '3']);
  expect(refused.status).toBe(1);
  expect(refused.stderr).toContain('BELOW_THRESHOLD');
});

test("the keyring commands judge by pkgkeys.conf's policy, as the verifiers of that machine do", async () => {
  const root = file('conf-root');
  await fs.mkdir(path.join(root, 'etc/pkgkeys'), { recursive: true });
  await fs.writeFile(path.join(root, 'etc/pkgkeys/pkgkeys.conf'), 'anchor-threshold 2\n');
  const explain = (args: string[] = []) =>
    pkgkeys([...keyring(), 'explain', one.fingerprint, ...anchorArgs(), '--at', iso(PUBLISHED_AT), ...args], {
      PKGKEYS_ROOT: root,
    });
  const refused = await explain();
  expect({ status: refused.status, last: refused.stdout.trim().split('\n').pop() }).toEqual({
    status: 1,
    last: 'not trusted: BELOW_THRESHOLD',
  });
  const lowered = await explain(['--threshold', '1']);
  expect(lowered.status).toBe(2);
  expect(lowered.stderr).toMatch(/USAGE: --threshold 1 is below anchor-threshold 2 in .*pkgkeys\.conf/);
  const listed = await pkgkeys(['--json', ...keyring(), 'list', ...anchorArgs(), '--now', iso(PUBLISHED_AT)], {
    PKGKEYS_ROOT: root,
  });
  const standing = (
    JSON.parse(listed.stdout) as Array<{ fingerprint: string; trust: { trusted?: boolean; code?: string } }>
  ).find((c) => c.fingerprint === one.fingerprint);
  expect(standing?.trust).toMatchObject({ trusted: false, code: 'BELOW_THRESHOLD' });
});
