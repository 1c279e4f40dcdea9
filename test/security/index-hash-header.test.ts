// Attack: the "Hash:" armor header lies about the signature's digest, is missing, or is joined by
// other headers. A verifier that hashes by the header, or tolerates headers it does not know, can be
// made to read a different text than was signed. RFC 9580 §7.1; DESIGN.md §3 ("Hash: header mismatch").
import { promises as fs } from 'node:fs';
import { Repo, expectRefusal, expectVerified } from '../helpers/repo';

let repo: Repo;
let signed: string;
beforeAll(async () => {
  repo = await Repo.create();
  await repo.publish([{ pkgname: 'foo-1.0', content: Buffer.from('foo package') }]);
  signed = await fs.readFile((await repo.sign({ args: ['--hash', 'sha512'] })).file, 'utf8');
});
afterAll(() => repo.cleanup());

const verifyText = async (text: string) => repo.verify(await repo.write('attack.asc', text));
const HEADER = '-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA512\n\n';
const withHeaders = (headers: string) => signed.replace(HEADER, `-----BEGIN PGP SIGNED MESSAGE-----\n${headers}\n`);

describe('the Hash: armor header', () => {
  it('verifies as signed, and with the hash among several named (the control)', async () => {
    expect(signed.startsWith(HEADER)).toBe(true);
    expectVerified(await verifyText(signed));
    expectVerified(await verifyText(withHeaders('Hash: SHA256, SHA512\n')));
  });

  it.each([
    ['names SHA256 for a SHA-512 signature', 'Hash: SHA256\n'],
    ['is missing', ''],
    ['names an unknown hash', 'Hash: WHIRLPOOL\n'],
    ['names SHA1', 'Hash: SHA1\n'],
  ])('is refused when it %s', async (_name, headers) => {
    expectRefusal(await verifyText(withHeaders(headers)), 'HASH_HEADER_MISMATCH');
  });

  it.each([
    ['after Hash:', 'Hash: SHA512\nCharset: UTF-8\n'],
    ['before Hash:', 'Charset: UTF-8\nHash: SHA512\n'],
    ['alone', 'Comment: nothing to see\n'],
  ])('is refused with another armor header %s', async (_name, headers) => {
    expectRefusal(await verifyText(withHeaders(headers)), 'INDEX_MALFORMED');
  });
});
