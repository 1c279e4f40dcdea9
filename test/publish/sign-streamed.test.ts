/**
 * sign-summary reads the build's file as it goes, in runs of whole lines, and writes the signed index
 * in the pass that hashes it: what it writes is what it hashed, byte for byte what signing the text in
 * memory gives, and nothing at all when the text turns out malformed after megabytes of it. A text a
 * cleartext signature cannot keep as it is is found in that pass too, and signed in memory instead.
 */
import { promises as fs } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { signIndex, signIndexTo, summaryFileText } from '../../lib/publish/summary';
import { pkgkeys } from '../helpers/cli';
import { REPO, Repo, SIGNED_AT, VERIFY_AT, entry, expectRefusal, expectVerified, iso } from '../helpers/repo';
import { day } from '../helpers/world';

/** What plainFile and gunzip read at a time (lib/summary/compress.ts): the runs are cut at these. */
const CHUNK = 1 << 20;

let repo: Repo;
beforeAll(async () => {
  repo = await Repo.create();
});
afterAll(() => repo.cleanup());

/** `count` entries whose lengths vary, so that their lines end at every offset of a chunk. */
function summary(count: number): string {
  let text = '';
  for (let i = 0; i < count; i++) text += entry(`p${i}-1.0`, [`COMMENT=${'x'.repeat(i % 97)}`]);
  return text;
}

async function runsOf(file: string): Promise<Buffer[]> {
  const runs: Buffer[] = [];
  for await (const run of summaryFileText(file)) runs.push(Buffer.from(run)); // a run is good until the next
  return runs;
}

describe('summaryFileText: runs of whole lines, read as the file goes', () => {
  const LONG = `DESCRIPTION=${'y'.repeat(2.5 * CHUNK)}\n`; // longer than two chunks

  it.each([
    ['lines across every chunk boundary', () => summary(12_000)],
    ['a line longer than two chunks, between others', () => summary(3_000) + LONG + summary(3_000)],
    ['no final newline', () => `${summary(6_000)}PKGNAME=last-1.0`],
    ['a long last line without newline', () => summary(100) + LONG.slice(0, -1)],
    ['one short line', () => 'PKGNAME=a-1\n'],
    ['nothing', () => ''],
  ])('%s: the runs, joined, are the file; each but the last ends in "\\n"', async (_name, make) => {
    const text = Buffer.from(make(), 'latin1');
    for (const [name, bytes] of [
      ['plain', text],
      ['gzip', gzipSync(text)],
    ] as const) {
      const file = await repo.write(`runs-${name}`, bytes);
      const runs = await runsOf(file);
      if (text.length > 2 * CHUNK) expect(runs.length).toBeGreaterThan(1);
      expect(Buffer.concat(runs).equals(text)).toBe(true);
      for (const run of runs.slice(0, -1)) expect(run[run.length - 1]).toBe(0x0a);
    }
  });
});

describe('signIndexTo', () => {
  const options = () => ({
    key: repo.host.secret,
    repository: REPO,
    created: SIGNED_AT,
    expires: day(7, SIGNED_AT),
    hash: 'sha256' as const,
  });
  /** signIndexTo's result and what it wrote, each part copied as it came (a part of a run is good until the next). */
  const sign = async (runs: Iterable<Buffer> | AsyncIterable<Buffer>) => {
    const parts: Buffer[] = [];
    const out = (more: readonly Buffer[]) => void parts.push(...more.map((part) => Buffer.from(part)));
    const result = await signIndexTo(runs, 'pkg_summary', options(), out);
    return { result, signed: Buffer.concat(parts) };
  };

  it('from a file read as it goes writes byte for byte what signing the text in memory makes', async () => {
    const text = Buffer.from(summary(12_000), 'latin1');
    const file = await repo.write('streamed', text);
    const streamed = await sign(summaryFileText(file));
    const whole = await signIndex(text, 'pkg_summary', options());
    expect(streamed.result).toEqual({ entries: 12_000, signer: whole.signer });
    expect(streamed.signed.equals(Buffer.concat(whole.signed))).toBe(true);
    await repo.write('streamed.asc', streamed.signed);
    const verified = await repo.verify(repo.path('streamed.asc'), { at: VERIFY_AT });
    expectVerified(verified);
    expect(Buffer.from(verified.stdout, 'latin1').equals(text)).toBe(true);
  });

  it.each([
    ['a blank before a line end', ' \n'],
    ['a tab before a line end', '\t\n'],
    ['a CR before a line end', '\r\n'],
  ])('returns null on %s after the first chunk: it cannot be signed as it is', async (_name, end) => {
    const text = summary(12_000);
    const at = text.indexOf('\n', 3 * CHUNK);
    const file = await repo.write('unsignable', Buffer.from(text.slice(0, at) + end + text.slice(at + 1), 'latin1'));
    expect((await sign(summaryFileText(file))).result).toBeNull();
  });

  it('returns null on a text without its final newline', async () => {
    const file = await repo.write('unterminated', Buffer.from(`${summary(3)}PKGNAME=last-1.0`, 'latin1'));
    expect((await sign(summaryFileText(file))).result).toBeNull();
  });
});

describe('sign-summary on a large file', () => {
  const args = (summaryFile: string) => [
    'sign-summary',
    '--now',
    iso(SIGNED_AT),
    '--key',
    repo.path('host-secret.asc'),
    '--repository',
    REPO,
    ...repo.clientKeyringArgs(),
    summaryFile,
  ];

  it('malformed after megabytes: refused, with nothing on standard output and no --output file', async () => {
    const text = summary(12_000);
    const at = text.indexOf('\n\n', 3 * CHUNK) + 1;
    await repo.write('late-junk', Buffer.from(`${text.slice(0, at)}JUNK\n${text.slice(at)}`, 'latin1'));
    expectRefusal(await pkgkeys(args(repo.path('late-junk'))), 'SUMMARY_MALFORMED');
    const { result, file } = await repo.trySign({ summary: 'late-junk', out: 'late-junk.asc' });
    expectRefusal(result, 'SUMMARY_MALFORMED');
    await expect(fs.access(file)).rejects.toThrow();
  });

  it('a blank before a line end after megabytes: signed in memory without it, with a warning, and nothing of the first try left', async () => {
    const text = summary(12_000);
    const at = text.indexOf('\n', 3 * CHUNK);
    await repo.write('late-blank', Buffer.from(`${text.slice(0, at)} ${text.slice(at)}`, 'latin1'));
    const result = await pkgkeys(args(repo.path('late-blank')));
    expect(result.status).toBe(0);
    expect(result.stderr).toMatch(/late-blank: 1 line\(s\) had trailing blanks/);
    await repo.write('late-blank.asc', Buffer.from(result.stdout, 'latin1'));
    const verified = await repo.verify(repo.path('late-blank.asc'), { at: VERIFY_AT });
    expectVerified(verified);
    expect(verified.stdout).toBe(text);
  });
});
