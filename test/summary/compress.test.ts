import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PkgkeysError } from '../../lib/errors';
import {
  Compression,
  compressFile,
  compress as pack,
  compressionOf,
  decompress,
  decompressChunks,
} from '../../lib/summary/compress';
import { caught, expectCode } from '../helpers/caught';

const FORMATS = [
  ['gzip', ['gzip', '-c']],
  ['bzip2', ['bzip2', '-c']],
  ['xz', ['xz', '-c']],
  ['zstd', ['zstd', '-c', '-q']],
] as const satisfies readonly (readonly [Compression, readonly string[]])[];

/** Compresses with the real tool, as a repository's publishing scripts do. */
function compress(command: readonly string[], data: Uint8Array): Buffer {
  const run = spawnSync(command[0], command.slice(1), { input: data, maxBuffer: 64 << 20 });
  if (run.status !== 0) throw new Error(`${command.join(' ')} failed: ${run.stderr}`);
  return run.stdout;
}

/** Some summary text with latin1 bytes, then random bytes that do not compress away. */
const ORIGINAL = Buffer.concat([
  Buffer.from('PKGNAME=caf\xe9-1.0\nDESCRIPTION=\xff\x80\n\n', 'latin1'),
  randomBytes(200_000),
]);
const ZEROS = Buffer.alloc(4 << 20);

/** decompressChunks' chunks, joined. */
async function chunked(data: Uint8Array, source: string, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of decompressChunks(data, source, limit, 'INDEX_MALFORMED')) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}

/**
 * Decompresses `data` with `limit` in a Node process of its own (the compiled lib/, as `make build` leaves it)
 * and returns what it threw and its peak RSS (VmHWM). A process of its own: a jest worker's peak is that of
 * every test it ran before, so its growth says nothing of this one.
 */
async function decompressAlone(data: Buffer, limit: number): Promise<{ said: string; peakMiB: number }> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'pkgkeys-bomb-'));
  try {
    const file = path.join(dir, 'bomb');
    await fs.writeFile(file, data);
    const compressJs = path.resolve(__dirname, '../../dist/lib/summary/compress.js');
    const script = `
      const fs = require('node:fs');
      const peak = () => Number(/^VmHWM:\\s*(\\d+) kB$/m.exec(fs.readFileSync('/proc/self/status', 'latin1'))[1]) / 1024;
      require(${JSON.stringify(compressJs)}).decompress(fs.readFileSync(${JSON.stringify(file)}), 'bomb', ${limit}).then(
        () => console.log(JSON.stringify({ said: 'decompressed', peakMiB: peak() })),
        (e) => console.log(JSON.stringify({ said: e.code + ' ' + e.message, peakMiB: peak() })));`;
    const run = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
    if (run.status !== 0) throw new Error(`the decompressing process failed: ${run.stderr}`);
    return JSON.parse(run.stdout) as { said: string; peakMiB: number };
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

describe.each(FORMATS)('%s', (format, command) => {
  const packed = compress(command, ORIGINAL);

  it('is recognised by its magic bytes and decompresses to the original', async () => {
    expect(compressionOf(packed)).toBe(format);
    expect((await decompress(packed, `pkg_summary.${format}`, ORIGINAL.length)).equals(ORIGINAL)).toBe(true);
  });

  it('decompresses concatenated streams to the concatenated text', async () => {
    const tail = Buffer.from('PKGNAME=second-2\n\n');
    const both = Buffer.concat([packed, compress(command, tail)]);
    expect(
      (await decompress(both, 'both', ORIGINAL.length + tail.length)).equals(Buffer.concat([ORIGINAL, tail])),
    ).toBe(true);
  });

  it('allows exactly the limit and refuses one byte more', async () => {
    const zeros = compress(command, ZEROS);
    expect(zeros.length).toBeLessThan(ZEROS.length / 100);
    expect((await decompress(zeros, 'zeros', ZEROS.length)).equals(ZEROS)).toBe(true);
    const error = await caught(() => decompress(zeros, 'zeros', ZEROS.length - 1));
    expect(error.code).toBe('TOO_LARGE');
    expect(error.message).toBe(`zeros: decompresses to more than ${ZEROS.length - 1} bytes`);
  });

  it('stops a bomb at the limit instead of decompressing it whole', async () => {
    // 4 GiB of zeros in a few hundred kilobytes. What shows it was stopped is the memory it took, not the
    // time: decompressed whole and then measured, the text alone would take 4 GiB (or fail otherwise).
    const bomb = Buffer.concat(Array(1024).fill(compress(command, ZEROS)));
    const { said, peakMiB } = await decompressAlone(bomb, 1 << 20);
    expect(said).toBe(`TOO_LARGE bomb: decompresses to more than ${1 << 20} bytes`);
    expect(peakMiB).toBeLessThan(512);
  });

  it('refuses corrupt and truncated data as BAD_INPUT naming the format', async () => {
    const corrupt = Buffer.concat([packed.subarray(0, 16), Buffer.alloc(4096, 0x55)]);
    const truncated = packed.subarray(0, packed.length >> 1);
    for (const data of [corrupt, truncated]) {
      const error = await caught(() => decompress(data, 'broken', 1 << 30));
      expect(error.code).toBe('BAD_INPUT');
      expect(error.message).toMatch(new RegExp(`^broken: corrupt ${format} data: \\S`));
    }
  });
});

describe.each(FORMATS)('%s, chunk by chunk', (format, command) => {
  const packed = compress(command, ORIGINAL);

  it('decompresses to the original, with the limit and the failures of decompress', async () => {
    expect((await chunked(packed, 'pkg_summary', ORIGINAL.length)).equals(ORIGINAL)).toBe(true);
    const zeros = compress(command, ZEROS);
    expect((await caught(() => chunked(zeros, 'zeros', ZEROS.length - 1))).message).toBe(
      `zeros: decompresses to more than ${ZEROS.length - 1} bytes`,
    );
    const truncated = packed.subarray(0, packed.length >> 1);
    const error = await caught(() => chunked(truncated, 'broken', 1 << 30));
    expect(error.code).toBe('INDEX_MALFORMED');
    expect(error.message).toMatch(new RegExp(`^broken: corrupt ${format} data: \\S`));
  });
});

describe('plain data', () => {
  it('comes back as it is, chunk by chunk too, held to the limit', async () => {
    expect((await chunked(ORIGINAL, 'pkg_summary', ORIGINAL.length)).equals(ORIGINAL)).toBe(true);
    expect(await chunked(new Uint8Array(0), 'empty', 1)).toHaveLength(0);
    expect((await caught(() => chunked(ORIGINAL, 'pkg_summary', ORIGINAL.length - 1))).code).toBe('TOO_LARGE');
  });

  it('comes back as it is', async () => {
    expect(compressionOf(ORIGINAL)).toBe('none');
    expect((await decompress(ORIGINAL, 'pkg_summary', ORIGINAL.length)).equals(ORIGINAL)).toBe(true);
    expect(await decompress(new Uint8Array(0), 'empty', 1)).toHaveLength(0);
  });

  it('is held to the limit too', async () => {
    const error = await caught(() => decompress(ORIGINAL, 'pkg_summary', ORIGINAL.length - 1));
    expect(error.code).toBe('TOO_LARGE');
  });

  it('is what a prefix of a magic number is', () => {
    expect(compressionOf(Buffer.from([0x1f]))).toBe('none');
    expect(compressionOf(Buffer.from('BZ'))).toBe('none');
    expect(compressionOf(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a]))).toBe('none');
    expect(compressionOf(Buffer.from([0x28, 0xb5, 0x2f]))).toBe('none');
  });
});

describe('a missing tool', () => {
  let dir: string;
  beforeEach(async () => (dir = await fs.mkdtemp(path.join(os.tmpdir(), 'pkgkeys-compress-'))));
  afterEach(() => fs.rm(dir, { recursive: true, force: true }));

  /** The module as it runs where the tools would be looked up in an empty directory. */
  function withoutTools(): typeof import('../../lib/summary/compress') {
    let isolated: typeof import('../../lib/summary/compress') | undefined;
    jest.isolateModules(() => {
      jest.doMock('node:child_process', () => {
        const actual = jest.requireActual<typeof import('node:child_process')>('node:child_process');
        return {
          ...actual,
          spawn: (command: string, ...rest: [string[], object]) => actual.spawn(path.join(dir, command), ...rest),
        };
      });
      isolated = require('../../lib/summary/compress');
    });
    return isolated!;
  }

  const starts = {
    bzip2: Buffer.from('BZh9'),
    xz: Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]),
    zstd: Buffer.from([0x28, 0xb5, 0x2f, 0xfd]),
  };

  it.each(Object.entries(starts))('is an IO_ERROR saying to install %s', async (format, data) => {
    // The isolated module has its own PkgkeysError class, so look at the code rather than the class.
    const error = await withoutTools()
      .decompress(data, 'pkg_summary', 1 << 20)
      .then(
        () => null,
        (e: PkgkeysError) => e,
      );
    expect(error?.code).toBe('IO_ERROR');
    expect(error?.message).toMatch(
      new RegExp(`^cannot run ${format} \\(install it: Debian .*\\) to decompress pkg_summary: .*ENOENT`),
    );
  });
});

describe('compress', () => {
  const text = Buffer.from('PKGNAME=foo-1.0\nCOMMENT=a package\n\n'.repeat(2000));
  test.each(['gzip', 'bzip2', 'xz', 'zstd'] as const)(
    '%s, default and fast, decompresses to the same text',
    async (format) => {
      for (const options of [{}, { fast: true }]) {
        const packed = await pack(text, format, 'test', options);
        expect(compressionOf(packed)).toBe(format);
        expect(packed.length).toBeLessThan(text.length / 10);
        expect((await decompress(packed, 'test', text.length)).equals(text)).toBe(true);
      }
    },
  );
});

describe('compressFile', () => {
  const text = Buffer.from('PKGNAME=foo-1.0\nCOMMENT=a package\n\n'.repeat(2000));

  test.each(['gzip', 'bzip2', 'xz', 'zstd'] as const)('%s: file to file, the same text back', async (format) => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'pkgkeys-compress-file-'));
    try {
      await fs.writeFile(path.join(dir, 'text'), text);
      await compressFile(path.join(dir, 'text'), path.join(dir, 'packed'), format, { fast: true });
      expect((await decompress(await fs.readFile(path.join(dir, 'packed')), 'test', text.length)).equals(text)).toBe(
        true,
      );
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  test.each(['gzip', 'bzip2', 'xz', 'zstd'] as const)(
    '%s: an output that cannot be made is an IO_ERROR',
    async (format) => {
      const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'pkgkeys-compress-file-'));
      try {
        await fs.writeFile(path.join(dir, 'text'), text);
        const error = await expectCode(
          compressFile(path.join(dir, 'text'), path.join(dir, 'no', 'packed'), format),
          'IO_ERROR',
        );
        expect(error.message).toMatch(/ENOENT/);
      } finally {
        await fs.rm(dir, { recursive: true, force: true });
      }
    },
  );
});
