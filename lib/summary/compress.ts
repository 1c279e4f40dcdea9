/**
 * pkg_summary.{gz,bz2,xz,zst}: decompression chosen by magic bytes rather than by file name, and
 * compression for what pkgin asks for. Output goes into one buffer, capped while it is produced: a
 * decompression bomb fails at `limit` bytes, having allocated about that, instead of filling memory.
 * gzip is node:zlib; the others run the system tools, present on pkgsrc hosts and in Debian's bzip2,
 * xz-utils and zstd packages, as Node has no codec for them.
 */
import { spawn } from 'node:child_process';
import { createGunzip, gzip } from 'node:zlib';
import { BoundedBuffer } from '../bounded-buffer';
import { type Code, PkgkeysError, ioError } from '../errors';

export type Compression = 'gzip' | 'bzip2' | 'xz' | 'zstd' | 'none';

const MAGIC: [Compression, number[]][] = [
  ['gzip', [0x1f, 0x8b]],
  ['bzip2', [0x42, 0x5a, 0x68]], // "BZh"
  ['xz', [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]],
  ['zstd', [0x28, 0xb5, 0x2f, 0xfd]],
];

/** The tool for each format run as a child, and where to get it when it is missing. */
const TOOLS = {
  bzip2: { command: 'bzip2', decompress: ['-dc'], compress: ['-c'], fast: ['-c', '-1'], install: 'Debian bzip2, pkgsrc archivers/bzip2' },
  xz: { command: 'xz', decompress: ['-dc'], compress: ['-c', '-T1'], fast: ['-c', '-0', '-T1'], install: 'Debian xz-utils, pkgsrc archivers/xz' },
  zstd: { command: 'zstd', decompress: ['-dc', '-q'], compress: ['-c', '-q'], fast: ['-c', '-q', '-1'], install: 'Debian zstd, pkgsrc archivers/zstd' },
} as const;

/** The compressed forms a pkg_summary is published in, by file name extension, in pkgin's order of preference. */
export const EXTENSIONS = { zst: 'zstd', xz: 'xz', bz2: 'bzip2', gz: 'gzip' } as const satisfies Record<string, Exclude<Compression, 'none'>>;

/** Enough of a tool's stderr to quote its first line. */
const STDERR_KEPT = 4096;

export function compressionOf(data: Uint8Array): Compression {
  for (const [format, magic] of MAGIC) {
    if (magic.every((byte, i) => data[i] === byte)) return format;
  }
  return 'none';
}

const tooLarge = (source: string, limit: number) => new PkgkeysError('TOO_LARGE', `${source}: decompresses to more than ${limit} bytes`);

/**
 * Decompresses `data` as its magic bytes say (plain data comes back as it is), failing with TOO_LARGE
 * once the output passes `limit` bytes (plain data included: the limit is on the text, whatever its
 * form), or with `corrupt` when the data is corrupt: BAD_INPUT, or the code of the document it is
 * (INDEX_MALFORMED, ...). `limit` is at least 1.
 */
export async function decompress(data: Uint8Array, source: string, limit: number, corrupt: Code = 'BAD_INPUT'): Promise<Buffer> {
  const format = compressionOf(data);
  switch (format) {
    case 'none':
      if (data.length > limit) throw tooLarge(source, limit);
      return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    case 'gzip':
      return gunzipBounded(data, source, limit, corrupt);
    default:
      return runTool(format, 'decompress', data, source, limit, corrupt);
  }
}

/**
 * Compresses `data` into `format`; a missing tool is an IO_ERROR that says where to get it. `fast`
 * trades size for time, for data that only crosses the loopback (xz's default takes half a minute
 * on a full pkg_summary).
 */
export async function compress(data: Uint8Array, format: Exclude<Compression, 'none'>, source: string, options: { fast?: boolean } = {}): Promise<Buffer> {
  // Compressed text is smaller than the text; the cap only stops a tool gone mad.
  const limit = data.length * 2 + 65536;
  if (format !== 'gzip') return runTool(format, options.fast ? 'fast' : 'compress', data, source, limit);
  const level = options.fast ? 1 : 6;
  return new Promise((resolve, reject) => gzip(data, { level }, (error, out) => (error ? reject(ioError('cannot compress', source, error)) : resolve(out))));
}

/** zlib's own gunzip gathers its output in pieces and joins them: twice the text at the end. */
function gunzipBounded(data: Uint8Array, source: string, limit: number, corrupt: Code): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const out = new BoundedBuffer(limit);
    const stream = createGunzip({ chunkSize: 64 * 1024 });
    stream.on('data', (chunk: Buffer) => {
      if (out.push(chunk)) return;
      stream.destroy();
      reject(tooLarge(source, limit));
    });
    stream.on('error', (error) => reject(new PkgkeysError(corrupt, `${source}: corrupt gzip data: ${error.message}`, { cause: error })));
    stream.on('end', () => resolve(out.bytes()));
    stream.end(data);
  });
}

/** Pipes `data` through the format's tool, killing it as soon as its output passes `limit`. */
function runTool(format: keyof typeof TOOLS, direction: 'compress' | 'fast' | 'decompress', data: Uint8Array, source: string, limit: number, corrupt: Code = 'BAD_INPUT'): Promise<Buffer> {
  const tool = TOOLS[format];
  const verb = direction === 'decompress' ? 'decompress' : 'compress';
  return new Promise((resolve, reject) => {
    const child = spawn(tool.command, tool[direction], { stdio: ['pipe', 'pipe', 'pipe'] });
    const out = new BoundedBuffer(limit);
    let stderr = '';
    let settled = false;
    const fail = (error: PkgkeysError) => {
      if (settled) return;
      settled = true;
      child.kill('SIGKILL');
      reject(error);
    };

    child.on('error', (cause: NodeJS.ErrnoException) => {
      const what = cause.code === 'ENOENT' ? `cannot run ${tool.command} (install it: ${tool.install}) to ${verb}` : `cannot run ${tool.command} to ${verb}`;
      fail(ioError(what, source, cause));
    });
    // The tool stops reading when the data is corrupt or when it is killed; its exit status tells.
    child.stdin.on('error', () => {});
    child.stdout.on('data', (chunk: Buffer) => {
      if (!settled && !out.push(chunk)) fail(tooLarge(source, limit));
    });
    child.stderr.on('data', (chunk: Buffer) => {
      if (stderr.length < STDERR_KEPT) stderr += chunk.toString('utf8');
    });
    child.on('close', (code, signal) => {
      if (settled) return;
      if (code === 0) {
        settled = true;
        resolve(out.bytes());
        return;
      }
      const reason = stderr.split('\n').find((line) => line.trim() !== '')?.trim() ?? (signal ? `killed by ${signal}` : `exit status ${code}`);
      fail(direction === 'decompress' ? new PkgkeysError(corrupt, `${source}: corrupt ${format} data: ${reason}`) : ioError(`${tool.command} failed to compress`, source, new Error(reason)));
    });
    child.stdin.end(data);
  });
}
