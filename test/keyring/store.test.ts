import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { checkLayout, exportKeyring, importKeys, loadCertificates } from '../../lib/keyring/store';
import { cleanup, pkgkeys, tempDir } from '../helpers/cli';
import { World, day } from '../helpers/world';

let dir: string;
beforeEach(async () => (dir = await tempDir()));
afterEach(() => cleanup(dir));

async function files(root: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await fs.readdir(root, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) out.push(path.relative(root, path.join(entry.parentPath, entry.name)));
  }
  return out.sort();
}

async function certifiedWorld() {
  const w = new World();
  const master = await w.key('master');
  const host = await w.key('host');
  const certified = await w.certify(master, host, { scopes: ['NetBSD/x86_64/10.*/All'] });
  return { w, master, host, certified };
}

const bytes = (s: string) => Buffer.from(s);

describe('decomposed keyring', () => {
  it('stores one packet per file, named by fingerprint', async () => {
    const { master, host, certified } = await certifiedWorld();
    const keyring = path.join(dir, 'pkgsrc');
    await importKeys(keyring, bytes(master.public), 'master');
    await importKeys(keyring, bytes(certified), 'host');
    const m = master.fingerprint;
    const h = host.fingerprint;
    expect(await files(keyring)).toEqual(
      [
        `${h}/${h}.asc`,
        `${h}/uid/host@pkgsrc.test/certification/${h}.asc`,
        `${h}/uid/host@pkgsrc.test/certification/${m}.asc`,
        `${h}/uid/host@pkgsrc.test/host@pkgsrc.test.asc`,
        `${m}/${m}.asc`,
        `${m}/uid/master@pkgsrc.test/certification/${m}.asc`,
        `${m}/uid/master@pkgsrc.test/master@pkgsrc.test.asc`,
      ]
        .map((p) =>
          p
            .replace(/uid\/(\w+)@pkgsrc\.test/g, 'uid/$1_$1@pkgsrc.test')
            .replace(/\/(\w+)@pkgsrc\.test\.asc/g, '/$1_$1@pkgsrc.test.asc'),
        )
        .sort(),
    );
    const text = await fs.readFile(path.join(keyring, m, `${m}.asc`), 'utf8');
    expect(text).toMatch(/^-----BEGIN PGP PUBLIC KEY BLOCK-----/);
    expect((await checkLayout(keyring)).problems).toEqual([]);
  });

  it('makes a revocation a one-file change, and importing again writes nothing', async () => {
    const { w, master, host, certified } = await certifiedWorld();
    const keyring = path.join(dir, 'pkgsrc');
    await importKeys(keyring, bytes(master.public + certified), 'all');
    const revoked = await w.revokeKey(host, 'compromised', day(30));
    const report = await importKeys(keyring, bytes(revoked), 'revocation');
    expect(report.written).toEqual([`${host.fingerprint}/revocation/${host.fingerprint}.asc`]);
    expect((await importKeys(keyring, bytes(revoked), 'again')).written).toEqual([]);
  });

  it('keeps the strongest key revocation: a later soft one does not replace a hard one', async () => {
    const { w, master, host, certified } = await certifiedWorld();
    const keyring = path.join(dir, 'pkgsrc');
    await importKeys(keyring, bytes(master.public + certified), 'all');
    await importKeys(keyring, bytes(await w.revokeKey(host, 'compromised', day(30))), 'hard');
    expect((await importKeys(keyring, bytes(await w.revokeKey(host, 'retired', day(40))), 'soft')).written).toEqual([]);
    const [cert] = (await loadCertificates([keyring])).filter((c) => c.fingerprint === host.fingerprint);
    expect(cert!.revocations.map((r) => r.reason)).toEqual(['compromised']);
  });

  it('drops certifications whose issuer it cannot check, and says so', async () => {
    const { host, certified } = await certifiedWorld();
    const keyring = path.join(dir, 'pkgsrc');
    const report = await importKeys(keyring, bytes(certified), 'host without master');
    expect(report.ignored).toBe(1);
    expect(
      (await files(keyring)).some((f) => f.includes('certification/') && !f.endsWith(`${host.fingerprint}.asc`)),
    ).toBe(false);
  });

  it('exports the same bytes whatever the import order', async () => {
    const { w, master, host, certified } = await certifiedWorld();
    const revoked = await w.revokeKey(host, 'superseded', day(30));
    const a = path.join(dir, 'a');
    const b = path.join(dir, 'b');
    for (const piece of [master.public, certified, revoked]) await importKeys(a, bytes(piece), 'a');
    await importKeys(b, bytes(revoked + master.public + certified), 'b');
    const exported = Buffer.from(await exportKeyring(a));
    expect(exported.equals(Buffer.from(await exportKeyring(b)))).toBe(true);
    expect(exported.equals(Buffer.from(await exportKeyring(a)))).toBe(true);
    // And the export reads back to the same keyring.
    const file = path.join(dir, 'export.pgp');
    await fs.writeFile(file, exported);
    expect(Buffer.from(await exportKeyring(file)).equals(exported)).toBe(true);
  });

  describe('check', () => {
    async function sound() {
      const { master, host, certified } = await certifiedWorld();
      const keyring = path.join(dir, 'pkgsrc');
      await importKeys(keyring, bytes(master.public + certified), 'all');
      const certFile = path.join(
        keyring,
        host.fingerprint,
        'uid',
        'host_host@pkgsrc.test',
        'certification',
        `${master.fingerprint}.asc`,
      );
      return { keyring, master, host, certFile };
    }
    const messages = async (keyring: string) =>
      (await checkLayout(keyring)).problems.map((p) => `${p.path}: ${p.message}`).join('\n');

    it('finds a misnamed file', async () => {
      const { keyring, host, certFile } = await sound();
      await fs.rename(certFile, path.join(path.dirname(certFile), `${host.fingerprint.replace(/^./, 'A')}.asc`));
      expect(await messages(keyring)).toMatch(/misnamed[\s\S]*expected here/);
    });

    it('finds a dangling certification (its issuer is not in the keyring)', async () => {
      const { keyring, master } = await sound();
      await fs.rm(path.join(keyring, master.fingerprint), { recursive: true });
      expect(await messages(keyring)).toContain('dangling');
    });

    it('finds a file whose content was swapped for another packet', async () => {
      const { keyring, host, certFile } = await sound();
      const self = path.join(path.dirname(certFile), `${host.fingerprint}.asc`);
      await fs.copyFile(self, certFile);
      expect(await messages(keyring)).not.toBe('');
    });

    it('finds a stray file and a file with two packets', async () => {
      const { keyring, host, certFile } = await sound();
      await fs.writeFile(path.join(keyring, host.fingerprint, 'notes.txt'), 'hello');
      const doubled = Buffer.concat([await fs.readFile(certFile), await fs.readFile(certFile)]);
      await fs.writeFile(path.join(keyring, host.fingerprint, `${host.fingerprint}.asc`), doubled);
      const found = await messages(keyring);
      expect(found).toContain('notes.txt: file has no place');
      expect(found).toContain('expected exactly one OpenPGP packet, found 2');
    });

    it('exits 1 with KEYRING_INVALID through the CLI, 0 when sound', async () => {
      const { keyring, certFile } = await sound();
      expect((await pkgkeys(['keyring', '--keyring', keyring, 'check'])).status).toBe(0);
      await fs.writeFile(
        certFile,
        (await fs.readFile(certFile, 'utf8')).replace(/\n[A-Za-z0-9+/]{10}/, '\nAAAAAAAAAA'),
      );
      const result = await pkgkeys(['keyring', '--keyring', keyring, 'check']);
      expect(result.status).toBe(1);
      expect(result.stderr).toContain('KEYRING_INVALID');
    });
  });
});
