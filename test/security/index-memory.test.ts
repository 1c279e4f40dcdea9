// Attack: endless data, by memory. A mirror serves an index near the cap, or more than the cap, or a
// decompression bomb, so that the client (check-repo from cron, the proxy in front of pkgin) holds
// several copies of it and a small board runs out of memory. The index is downloaded into one buffer,
// decompressed into one bounded buffer and verified where it lies: a client holds about one copy of
// the text, and what passes the cap is refused having allocated about the cap. Measured as the peak
// RSS of a real `pkgkeys check-repo` process fetching from a mirror on 127.0.0.1, whatever it took in
// time. TUF "endless data"; DESIGN.md §3.
import { execFile } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { MAX_INDEX_BYTES } from '../../lib/limits';
import { gzipBomb, zstdBomb } from '../helpers/bombs';
import { BIN } from '../helpers/mirror';
import { REPO, VERIFY_AT, entry, iso } from '../helpers/repo';
import { ClientRoot, Upstream } from '../helpers/upstream';

const MiB = 1024 * 1024;
/** What Node with pkgkeys loaded takes besides the index (about 70 MiB), with room for a busy machine. */
const BASELINE = 100 * MiB;

let upstream: Upstream;
let client: ClientRoot;

beforeAll(async () => {
  if (!existsSync(path.resolve(__dirname, '../../dist/pkgkeys.js')))
    throw new Error('dist/pkgkeys.js is missing: run `make build` first; `make test` does.');
  upstream = await Upstream.start();
  client = await ClientRoot.create(upstream);
}, 60_000);
afterAll(() => upstream?.stop());

/** A pkg_summary of about `bytes`: distinct entries with long descriptions, as in a full repository. */
function summaryOf(bytes: number): Buffer {
  const description = Array.from(
    { length: 12 },
    (_, i) => `DESCRIPTION=Line ${i} of a description, about as long as the lines of a real one.`,
  );
  const parts: string[] = [];
  for (let size = 0, i = 0; size < bytes; i++) {
    parts.push(entry(`package${i}-1.${i % 97}`, description));
    size += parts[i]!.length;
  }
  return Buffer.from(parts.join(''), 'latin1');
}

/**
 * `pkgkeys check-repo` as its own process (the compiled CLI): what it printed, and its peak RSS in
 * bytes, which it reads itself as it exits. VmHWM, not getrusage: a child's ru_maxrss starts from the
 * RSS of the process it was forked from (this one, which holds the test's data), VmHWM from its own.
 */
async function checkRepo(): Promise<{ status: number; stdout: string; rss: number }> {
  const rssFile = client.path('vmhwm');
  const report = client.path('report-vmhwm.js');
  await fs.writeFile(
    report,
    `const fs = require('node:fs'); process.on('exit', () => fs.writeFileSync(${JSON.stringify(rssFile)}, /^VmHWM:\\s*(\\d+) kB$/m.exec(fs.readFileSync('/proc/self/status', 'latin1'))[1]));`,
  );
  const args = ['--require', report, BIN, 'check-repo', '--now', iso(VERIFY_AT), '--timeout', '600'];
  const { status, stdout } = await new Promise<{ status: number; stdout: string }>((resolve) => {
    execFile(process.execPath, args, { env: { ...process.env, ...client.env } }, (error, out) =>
      resolve({ status: error ? Number(error.code) : 0, stdout: out }),
    );
  });
  return { status, stdout, rss: Number(await fs.readFile(rssFile, 'latin1')) * 1024 };
}

describe('an index of 100 MiB', () => {
  let signed: Buffer;
  let text: Buffer;
  beforeAll(async () => {
    text = summaryOf(100 * MiB);
    signed = await upstream.repo.signIndex(text);
  }, 300_000);

  it.each([
    ['pkg_summary.asc', () => signed],
    ['pkg_summary.asc.gz', () => gzipSync(signed, { level: 1 })],
  ] as const)(
    'served as %s, is verified holding about one copy of the text',
    async (form, body) => {
      upstream.serveIndex(body(), form);
      const result = await checkRepo();
      expect({ status: result.status, stdout: result.stdout }).toEqual({
        status: 0,
        stdout: expect.stringMatching(new RegExp(`^${REPO}: good index, \\d+ entries`)),
      });
      // Before: 391 MiB (plain) and 275 MiB (gzip) at its peak; now about 200 MiB.
      expect(result.rss).toBeLessThanOrEqual(1.5 * text.length + BASELINE);
    },
    300_000,
  );
});

describe('more than the cap', () => {
  it('is a cap a 1 GB board can afford, room for ten times a full repository (45 MB)', () => {
    expect(MAX_INDEX_BYTES).toBeLessThanOrEqual(512 * MiB);
    expect(MAX_INDEX_BYTES).toBeGreaterThanOrEqual(450 * 1000 * 1000);
  });

  it.each([
    ['pkg_summary.asc', 'more than the \\d+ bytes allowed', () => Buffer.alloc(MAX_INDEX_BYTES + MiB)],
    ['pkg_summary.asc.gz', 'decompresses to more than', gzipBomb],
    ['pkg_summary.asc.zst', 'decompresses to more than', zstdBomb],
  ] as const)(
    'served as %s (no Content-Length), is refused having held about the cap',
    async (form, reason, body) => {
      upstream.serveIndex(body(), form);
      upstream.mirror.files.get(form)!.contentLength = null;
      const result = await checkRepo();
      expect({ status: result.status, stdout: result.stdout }).toEqual({
        status: 1,
        stdout: expect.stringMatching(new RegExp(`^${REPO}: TOO_LARGE: \\S+/${form}: ${reason}`)),
      });
      expect(result.rss).toBeLessThanOrEqual(MAX_INDEX_BYTES + 1.5 * BASELINE);
    },
    300_000,
  );
});
