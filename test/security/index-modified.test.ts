// Attack: the mirror (or anyone on the path) changes the signed pkg_summary text: a FILE_CKSUM swapped
// for the attacker's package, an entry added. The signature no longer matches. RFC 9580 §7; DESIGN.md §3.
import { promises as fs } from 'node:fs';
import { Repo, entry, expectRefusal } from '../helpers/repo';

let repo: Repo;
let signed: string;
beforeAll(async () => {
  repo = await Repo.create();
  await repo.publish([
    { pkgname: 'foo-1.0', content: Buffer.from('foo package') },
    { pkgname: 'bar-2.0', content: Buffer.from('bar package') },
  ]);
  signed = await fs.readFile((await repo.sign()).file, 'utf8');
});
afterAll(() => repo.cleanup());

async function verifyText(text: string) {
  await fs.writeFile(repo.path('attack.asc'), text);
  return repo.verify(repo.path('attack.asc'));
}

describe('a modified signed index', () => {
  it('verifies untouched (the control)', async () => {
    expect((await verifyText(signed)).status).toBe(0);
  });

  it('is refused when a checksum is changed', async () => {
    const forged = signed.replace(/FILE_CKSUM=sha256 [0-9a-f]{64}/, `FILE_CKSUM=sha256 ${'0'.repeat(64)}`);
    expect(forged).not.toBe(signed);
    expectRefusal(await verifyText(forged), 'BAD_SIGNATURE');
  });

  it('is refused when an entry is added to the signed text', async () => {
    expectRefusal(
      await verifyText(
        signed.replace('\n-----BEGIN PGP SIGNATURE-----', `\n${entry('evil-1.0')}-----BEGIN PGP SIGNATURE-----`),
      ),
      'BAD_SIGNATURE',
    );
  });

  it('is refused when a dash-escaped line loses its escape or gains one', async () => {
    expect(signed).toContain('DESCRIPTION=-- a line');
    const escaped = signed.replace('\nDEPENDS=libfoo', '\n- -DEPENDS=libfoo');
    expectRefusal(await verifyText(escaped), 'BAD_SIGNATURE');
  });

  it('is refused when a line is split or joined', async () => {
    expectRefusal(
      await verifyText(signed.replace('COMMENT=The foo-1.0 package', 'COMMENT=The foo-1.0\npackage')),
      'BAD_SIGNATURE',
    );
    expectRefusal(
      await verifyText(
        signed.replace('COMMENT=The foo-1.0 package\nDESCRIPTION=', 'COMMENT=The foo-1.0 packageDESCRIPTION='),
      ),
      'BAD_SIGNATURE',
    );
  });

  it('accepts trailing whitespace the signature does not cover, and never passes it on', async () => {
    const padded = signed.replace('COMMENT=The foo-1.0 package\n', 'COMMENT=The foo-1.0 package  \t\n');
    const result = await verifyText(padded);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('COMMENT=The foo-1.0 package\n');
    expect(result.stdout).not.toMatch(/[ \t]\n/);
  });
});
