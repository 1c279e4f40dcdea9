// Attack: endless data. A mirror serves an index far larger than any real one, or a small compressed
// file that expands without end (a decompression bomb), to exhaust the client's memory or time. Sizes are
// capped before reading and while decompressing; the signature armor has its own small cap.
// TUF "endless data"; DESIGN.md §3; RFC 9580 §6.2 (armor).
import { execFileSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { MAX_INDEX_BYTES } from '../../lib/verify/summary';
import { Repo, expectRefusal, expectVerified } from '../helpers/repo';

let repo: Repo;
let signed: string;
beforeAll(async () => {
  repo = await Repo.create();
  await repo.publish([{ pkgname: 'foo-1.0', content: Buffer.from('foo package') }]);
  signed = await fs.readFile((await repo.sign()).file, 'utf8');
});
afterAll(() => repo.cleanup());

/** A file of `size` bytes that takes no room on disk and no time to make. */
async function sparse(name: string, size: number): Promise<string> {
  const file = await repo.write(name, '');
  await fs.truncate(file, size);
  return file;
}

/** A bomb: `copies` concatenated members, each `member` of zeros compressed (both formats decompress members in sequence). */
function bomb(format: 'zstd' | 'gzip', copies: number): Buffer {
  const member = format === 'gzip' ? gzipSync(Buffer.alloc(64 << 20), { level: 9 }) : execFileSync('sh', ['-c', 'head -c 600M /dev/zero | zstd -1 -q -c']);
  return Buffer.concat(Array.from({ length: copies }, () => member));
}

/** Runs `run`, measuring its time and (sampled) how far the process' memory grew. */
async function measured<T>(run: () => Promise<T>): Promise<{ result: T; seconds: number; grewMiB: number }> {
  const before = process.memoryUsage.rss();
  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 20);
  const start = process.hrtime.bigint();
  try {
    const result = await run();
    return { result, seconds: Number(process.hrtime.bigint() - start) / 1e9, grewMiB: (Math.max(peak, process.memoryUsage.rss()) - before) / 2 ** 20 };
  } finally {
    clearInterval(sampler);
  }
}

describe('an oversized index', () => {
  it('verifies at its real size, compressed or not (the control)', async () => {
    expectVerified(await repo.verify(await repo.write('index.asc', signed)));
    expectVerified(await repo.verify(await repo.write('index.asc.gz', gzipSync(signed))));
    expectVerified(await repo.verify(await repo.write('index.asc.zst', execFileSync('zstd', ['-q', '-c'], { input: signed }))));
  });

  it('is refused when the file is larger than the cap, before it is read', async () => {
    const { result, seconds, grewMiB } = await measured(async () => repo.verify(await sparse('huge.asc', MAX_INDEX_BYTES + 1)));
    expectRefusal(result, 'TOO_LARGE');
    expect(seconds).toBeLessThan(2);
    expect(grewMiB).toBeLessThan(100);
  });

  it.each([
    ['zstd', 20], // 20 x 600 MiB = 12 GB of zeros
    ['gzip', 200], // 200 x 64 MiB = 13 GB of zeros
  ] as const)('is refused when it is a %s bomb, without expanding all of it', async (format, copies) => {
    const file = await repo.write(`bomb.${format}`, bomb(format, copies));
    const { result, seconds, grewMiB } = await measured(() => repo.verify(file));
    expectRefusal(result, 'TOO_LARGE');
    // The cap lets 512 MiB of text in (a real index may be that large), never the 12 GB.
    expect(seconds).toBeLessThan(15);
    expect(grewMiB).toBeLessThan(2048);
  });

  it('is refused when the signature armor is longer than 64 KiB', async () => {
    const withComment = (length: number) => signed.replace('-----BEGIN PGP SIGNATURE-----\n', `-----BEGIN PGP SIGNATURE-----\nComment: ${'x'.repeat(length)}\n`);
    expectVerified(await repo.verify(await repo.write('comment.asc', withComment(1000))));
    expectRefusal(await repo.verify(await repo.write('long-armor.asc', withComment(64 * 1024))), 'INDEX_MALFORMED');
    const manyLines = signed.replace('-----BEGIN PGP SIGNATURE-----\n', `-----BEGIN PGP SIGNATURE-----\n${'Comment: x\n'.repeat(7000)}`);
    expectRefusal(await repo.verify(await repo.write('many-lines.asc', manyLines)), 'INDEX_MALFORMED');
  });
});

describe('sign-summary on an oversized pkg_summary', () => {
  it('refuses it, writing nothing', async () => {
    await sparse('huge_summary', MAX_INDEX_BYTES + 1);
    const { result, file } = await repo.trySign({ summary: 'huge_summary', out: 'huge_summary.asc' });
    expectRefusal(result, 'TOO_LARGE');
    await expect(fs.access(file)).rejects.toThrow();
  });
});
