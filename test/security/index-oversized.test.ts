// Attack: endless data. A mirror serves an index far larger than any real one, or a small compressed
// file that expands without end (a decompression bomb), to exhaust the client's memory or time. Sizes are
// capped before reading and while decompressing; the signature armor has its own small cap. What the
// refusals cost in memory is measured in index-memory.test.ts.
// TUF "endless data"; DESIGN.md §3; RFC 9580 §6.2 (armor).
import { execFileSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { MAX_INDEX_BYTES } from '../../lib/limits';
import { gzipBomb, zstdBomb } from '../helpers/bombs';
import { pkgkeys } from '../helpers/cli';
import { REPO, Repo, VERIFY_AT, expectRefusal, expectVerified, iso } from '../helpers/repo';
import { ClientRoot, Upstream } from '../helpers/upstream';

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

describe('an oversized index', () => {
  it('verifies at its real size, compressed or not (the control)', async () => {
    expectVerified(await repo.verify(await repo.write('index.asc', signed)));
    expectVerified(await repo.verify(await repo.write('index.asc.gz', gzipSync(signed))));
    expectVerified(
      await repo.verify(await repo.write('index.asc.zst', execFileSync('zstd', ['-q', '-c'], { input: signed }))),
    );
  });

  it('is refused when the file is larger than the cap, from its size, before it is read', async () => {
    const result = await repo.verify(await sparse('huge.asc', MAX_INDEX_BYTES + 1));
    expectRefusal(result, 'TOO_LARGE');
    expect(result.stderr).toContain(
      `huge.asc: ${MAX_INDEX_BYTES + 1} bytes is more than the ${MAX_INDEX_BYTES} allowed`,
    );
  });

  it.each([
    ['zstd', zstdBomb],
    ['gzip', gzipBomb],
  ] as const)('is refused when it is a %s bomb, once its output passes the cap', async (format, bomb) => {
    const result = await repo.verify(await repo.write(`bomb.${format}`, bomb()));
    expectRefusal(result, 'TOO_LARGE');
    expect(result.stderr).toContain(`bomb.${format}: decompresses to more than ${MAX_INDEX_BYTES} bytes`);
  });

  it('is refused when the signature armor is longer than 64 KiB', async () => {
    const withComment = (length: number) =>
      signed.replace(
        '-----BEGIN PGP SIGNATURE-----\n',
        `-----BEGIN PGP SIGNATURE-----\nComment: ${'x'.repeat(length)}\n`,
      );
    expectVerified(await repo.verify(await repo.write('comment.asc', withComment(1000))));
    expectRefusal(await repo.verify(await repo.write('long-armor.asc', withComment(64 * 1024))), 'INDEX_MALFORMED');
    const manyLines = signed.replace(
      '-----BEGIN PGP SIGNATURE-----\n',
      `-----BEGIN PGP SIGNATURE-----\n${'Comment: x\n'.repeat(7000)}`,
    );
    expectRefusal(await repo.verify(await repo.write('many-lines.asc', manyLines)), 'INDEX_MALFORMED');
  });
});

describe('an oversized index on a mirror', () => {
  let upstream: Upstream;
  let client: ClientRoot;
  beforeAll(async () => {
    upstream = await Upstream.start();
    client = await ClientRoot.create(upstream);
  }, 60_000);
  afterAll(() => upstream?.stop());

  it('is refused from its Content-Length, before its body is read', async () => {
    upstream.serveIndex(Buffer.alloc(MAX_INDEX_BYTES + 1));
    const result = await pkgkeys(['check-repo', '--now', iso(VERIFY_AT), '--timeout', '60'], client.env);
    expect(result.status).toBe(1);
    expect(result.stdout).toMatch(
      new RegExp(
        `^${REPO}: TOO_LARGE: \\S+/pkg_summary.asc: ${MAX_INDEX_BYTES + 1} bytes announced, more than the ${MAX_INDEX_BYTES} allowed\n$`,
      ),
    );
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
