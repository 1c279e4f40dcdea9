// Attack: text outside the signed block. OpenPGP.js, gpgv and sq ignore whatever precedes
// "-----BEGIN PGP SIGNED MESSAGE-----" or follows "-----END PGP SIGNATURE-----", so a mirror can add
// pkg_summary entries there that a careless consumer of the file would read. RFC 9580 §7; DESIGN.md §3, §4.
import { Repo, entry, expectRefusal } from '../helpers/repo';
import { promises as fs } from 'node:fs';

let repo: Repo;
let signed: string;
let summary: string;
beforeAll(async () => {
  repo = await Repo.create();
  summary = await repo.publish([{ pkgname: 'foo-1.0', content: Buffer.from('foo package') }]);
  signed = await fs.readFile((await repo.sign()).file, 'utf8');
});
afterAll(() => repo.cleanup());

const verifyText = async (text: string) => repo.verify(await repo.write('attack.asc', text));
const evil = entry('evil-6.6.6', [`FILE_SIZE=4`, `FILE_CKSUM=sha256 ${'e'.repeat(64)}`]);

describe('text outside the signed block', () => {
  it('verifies untouched, and passes on exactly the signed text (the control)', async () => {
    const result = await verifyText(signed);
    expect(result).toMatchObject({ status: 0, stdout: summary });
  });

  it.each([
    ['an empty line', '\n'],
    ['a line of spaces', '  \n'],
    ['an extra pkg_summary entry', evil],
  ])('is refused with %s before BEGIN', async (_name, before) => {
    expectRefusal(await verifyText(before + signed), 'INDEX_MALFORMED');
  });

  it('is refused with an extra pkg_summary entry after END', async () => {
    expectRefusal(await verifyText(`${signed}${evil}`), 'INDEX_MALFORMED');
    expectRefusal(await verifyText(`${signed}\n\n${evil}`), 'INDEX_MALFORMED');
  });

  it('accepts trailing empty lines and CRLF line ends, which add no text', async () => {
    for (const text of [`${signed}\n\n\n`, signed.replace(/\n/g, '\r\n'), `${signed.replace(/\n/g, '\r\n')}\r\n`]) {
      const result = await verifyText(text);
      expect(result).toMatchObject({ status: 0, stdout: summary });
    }
  });
});
