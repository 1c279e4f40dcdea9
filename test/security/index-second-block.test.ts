// Attack: a second signed block. A file holding two cleartext blocks, or a block hidden in the signed
// text without dash-escaping, lets different readers see different texts; a signature block with two
// packets lets one good signature vouch for whatever the other claims ("any one valid" is OpenPGP.js'
// policy, not ours). RFC 9580 §7, §7.2; DESIGN.md §3, §4.
import { promises as fs } from 'node:fs';
import { parseCleartext } from '../../lib/pgp';
import { Repo, SIGNED_AT, clearsign, entry, expectRefusal, expectVerified } from '../helpers/repo';

let repo: Repo;
let summary: string;
let first: string;
let second: string;
beforeAll(async () => {
  repo = await Repo.create();
  summary = await repo.publish([{ pkgname: 'foo-1.0', content: Buffer.from('foo package') }]);
  first = await fs.readFile((await repo.sign({ args: ['--hash', 'sha256'] })).file, 'utf8');
  await repo.write('evil_summary', entry('evil-6.6.6', ['FILE_SIZE=4', `FILE_CKSUM=sha256 ${'e'.repeat(64)}`]));
  second = await fs.readFile((await repo.sign({ summary: 'evil_summary', out: 'evil.asc' })).file, 'utf8');
});
afterAll(() => repo.cleanup());

const verifyText = async (text: string | Buffer) => repo.verify(await repo.write('attack.asc', text));

describe('a second signed block', () => {
  it('verifies each block alone (the control)', async () => {
    expectVerified(await verifyText(first));
    expectVerified(await verifyText(second));
  });

  it('is refused when two validly signed blocks are concatenated', async () => {
    expectRefusal(await verifyText(first + second), 'INDEX_MALFORMED');
    expectRefusal(await verifyText(`${first}\n${second}`), 'INDEX_MALFORMED');
  });

  it('is refused when a signed block sits in the signed text without dash-escapes', async () => {
    const textStart = first.indexOf('\n\n') + 2; // after the BEGIN line and the Hash header
    const result = await verifyText(first.slice(0, textStart) + second + first.slice(textStart));
    expectRefusal(result, 'INDEX_MALFORMED');
    expect(result.stderr).toContain('dash-escaped');
  });

  it('is refused when the signature block holds two signature packets', async () => {
    const text = Buffer.from(summary);
    const { signature } = parseCleartext(Buffer.from(first), 'first', 'INDEX_MALFORMED');
    const later = await repo.sign({
      out: 'later.asc',
      at: new Date(SIGNED_AT.getTime() + 600_000),
      args: ['--hash', 'sha256'],
    });
    const other = parseCleartext(await fs.readFile(later.file), 'later', 'INDEX_MALFORMED');
    // Both packets are valid signatures by the certified host over this very text.
    expectVerified(await verifyText(clearsign(text, 'sha256', signature)));
    expectVerified(await verifyText(clearsign(text, 'sha256', other.signature)));
    expectRefusal(
      await verifyText(clearsign(text, 'sha256', Buffer.concat([signature, other.signature]))),
      'INDEX_MALFORMED',
    );
    expectRefusal(
      await verifyText(
        clearsign(
          text,
          'sha256',
          Buffer.concat([signature, parseCleartext(Buffer.from(second), 'second', 'INDEX_MALFORMED').signature]),
        ),
      ),
      'INDEX_MALFORMED',
    );
  });
});
