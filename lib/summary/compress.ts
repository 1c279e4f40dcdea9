/**
 * pkg_summary.{gz,bz2,xz,zst}: decompression chosen by magic bytes rather than by file name, and
 * compression for what pkgin asks for. Output goes into one buffer, or out as a stream of chunks
 * (from a file, into a file, never whole in memory), capped while it is produced: a decompression bomb
 * fails at `limit` bytes, having allocated about that, instead of filling memory. gzip is node:zlib;
 * the others run the system tools, present on pkgsrc hosts and in Debian's bzip2, xz-utils and zstd
 * packages, as Node has no codec for them.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createReadStream, createWriteStream, promises as fs } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip, gzip } from 'node:zlib';
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
  bzip2: {
    command: 'bzip2',
    decompress: ['-dc'],
    compress: ['-c'],
    fast: ['-c', '-1'],
    install: 'Debian bzip2, pkgsrc archivers/bzip2',
  },
  xz: {
    command: 'xz',
    decompress: ['-dc'],
    compress: ['-c', '-T1'],
    fast: ['-c', '-0', '-T1'],
    install: 'Debian xz-utils, pkgsrc archivers/xz',
  },
  zstd: {
    command: 'zstd',
    decompress: ['-dc', '-q'],
    compress: ['-c', '-q'],
    fast: ['-c', '-q', '-1'],
    install: 'Debian zstd, pkgsrc archivers/zstd',
  },
} as const;

/** The compressed forms a pkg_summary is published in, by file name extension, in pkgin's order of preference. */
export const EXTENSIONS = { zst: 'zstd', xz: 'xz', bz2: 'bzip2', gz: 'gzip' } as const satisfies Record<
  string,
  Exclude<Compression, 'none'>
>;

export function compressionOf(data: Uint8Array): Compression {
  for (const [format, magic] of MAGIC) {
    if (magic.every((byte, i) => data[i] === byte)) return format;
  }
  return 'none';
}

const tooLarge = (source: string, limit: number) =>
  new PkgkeysError('TOO_LARGE', `${source}: decompresses to more than ${limit} bytes`);

/** What is decompressed: bytes in memory, a file read as it goes, or chunks as they arrive. */
type Input = Uint8Array | { file: string } | { chunks: AsyncIterable<Uint8Array> };

/** Chunks read from a file at a time: few enough iterations for a 200 MB index, little memory. */
const FILE_CHUNK = 1 << 20;

/**
 * Decompresses `data` as its magic bytes say (plain data comes back as it is), failing with TOO_LARGE
 * once the output passes `limit` bytes (plain data included: the limit is on the text, whatever its
 * form), or with `corrupt` when the data is corrupt: BAD_INPUT, or the code of the document it is
 * (INDEX_MALFORMED, ...). `limit` is at least 1.
 */
export async function decompress(
  data: Uint8Array,
  source: string,
  limit: number,
  corrupt: Code = 'BAD_INPUT',
): Promise<Buffer> {
  const format = compressionOf(data);
  if (format === 'none') {
    if (data.length > limit) throw tooLarge(source, limit);
    return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  }
  const out = new BoundedBuffer(limit);
  for await (const chunk of inflate(format, data, source, limit, corrupt)) out.push(chunk);
  return out.bytes();
}

/** decompress chunk by chunk as it is produced: what `data` decompresses to is never whole in memory. */
export async function* decompressChunks(
  data: Uint8Array,
  source: string,
  limit: number,
  corrupt: Code = 'BAD_INPUT',
): AsyncGenerator<Buffer> {
  const format = compressionOf(data);
  if (format !== 'none') return yield* inflate(format, data, source, limit, corrupt);
  if (data.length > limit) throw tooLarge(source, limit);
  yield Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

/**
 * decompressChunks for data that arrives in chunks (a download), whose first bytes are `head`: neither
 * it nor what it decompresses to is ever whole in memory.
 */
export function decompressArriving(
  head: Uint8Array,
  chunks: AsyncIterable<Uint8Array>,
  source: string,
  limit: number,
  corrupt: Code = 'BAD_INPUT',
): AsyncGenerator<Buffer> {
  return inflate(compressionOf(head), { chunks }, source, limit, corrupt);
}

/**
 * decompress for a file, chunk by chunk as it is produced: what it decompresses to is never whole in
 * memory. A chunk is good until the next is asked for (a plain file is read into one buffer, again and
 * again): use it, or copy it, before.
 */
export async function* decompressFile(
  file: string,
  source: string,
  limit: number,
  corrupt: Code = 'BAD_INPUT',
): AsyncGenerator<Buffer> {
  const head = Buffer.alloc(8);
  let handle: fs.FileHandle | null = null;
  try {
    handle = await fs.open(file, 'r');
    await handle.read(head, 0, head.length, 0);
  } catch (cause) {
    throw ioError('cannot read', file, cause);
  } finally {
    await handle?.close();
  }
  yield* inflate(compressionOf(head), { file }, source, limit, corrupt);
}

/**
 * Compresses `data` into `format`; a missing tool is an IO_ERROR that says where to get it. `fast`
 * trades size for time, for data that only crosses the loopback (xz's default takes half a minute
 * on a full pkg_summary).
 */
export async function compress(
  data: Uint8Array,
  format: Exclude<Compression, 'none'>,
  source: string,
  options: { fast?: boolean } = {},
): Promise<Buffer> {
  // Compressed text is smaller than the text; the cap only stops a tool gone mad.
  const limit = data.length * 2 + 65536;
  if (format !== 'gzip') {
    const out = new BoundedBuffer(limit);
    for await (const chunk of runTool(format, options.fast ? 'fast' : 'compress', data, source, limit)) out.push(chunk);
    return out.bytes();
  }
  const level = options.fast ? 1 : 6;
  return new Promise((resolve, reject) =>
    gzip(data, { level }, (error, out) => (error ? reject(ioError('cannot compress', source, error)) : resolve(out))),
  );
}

/** compress from file to file, neither ever whole in memory. */
export function compressFile(
  input: string,
  output: string,
  format: Exclude<Compression, 'none'>,
  options: { fast?: boolean } = {},
): Promise<void> {
  return compressStream(createReadStream(input, { highWaterMark: FILE_CHUNK }), input, output, format, options);
}

/**
 * Compresses what `input` streams into the file `output`, as it comes: gzip with node:zlib, whose work
 * runs on Node's thread pool, the others in their tool's process; either way beside the JavaScript
 * that feeds `input`. `source` names the data in errors.
 */
export async function compressStream(
  input: Readable,
  source: string,
  output: string,
  format: Exclude<Compression, 'none'>,
  options: { fast?: boolean } = {},
): Promise<void> {
  if (format === 'gzip') {
    await pipeline(
      input,
      createGzip({ level: options.fast ? 1 : 6 }),
      createWriteStream(output, { mode: 0o644 }),
    ).catch((cause) => {
      throw ioError('cannot compress', source, cause);
    });
    return;
  }
  const tool = TOOLS[format];
  const to = await fs.open(output, 'w', 0o644).catch((cause) => {
    input.destroy(); // a file stream would keep its descriptor open until collected
    throw ioError('cannot write', output, cause);
  });
  try {
    const child = spawn(tool.command, tool[options.fast ? 'fast' : 'compress'], { stdio: ['pipe', to.fd, 'pipe'] });
    const fed = pipeline(input, child.stdin!).then(
      () => null,
      (cause: unknown) => cause,
    );
    // The tool's own failure (missing, refusing) says more than the broken pipe feeding it.
    await exited(child, format, 'compress', source, 'BAD_INPUT').catch((error: unknown) => {
      input.destroy();
      throw error;
    });
    const broken = await fed;
    if (broken !== null) throw ioError('cannot compress', source, broken);
  } finally {
    await to.close();
  }
}

/** The decompressed chunks of `input` in `format`, held to `limit` bytes in all. */
async function* inflate(
  format: Compression,
  input: Input,
  source: string,
  limit: number,
  corrupt: Code,
): AsyncGenerator<Buffer> {
  let produced = 0;
  const chunks =
    format === 'none'
      ? plainFile(input)
      : format === 'gzip'
        ? gunzip(input, source, corrupt)
        : runTool(format, 'decompress', input, source, limit, corrupt);
  for await (const chunk of chunks) {
    produced += chunk.length;
    if (produced > limit) throw tooLarge(source, limit);
    yield chunk;
  }
}

/**
 * Plain data, as it is: a file read as it goes (data in memory never comes here), into one buffer: a
 * fresh buffer a chunk would cost as much memory as the file until they are collected.
 */
async function* plainFile(input: Input): AsyncGenerator<Buffer> {
  if ('chunks' in input) {
    for await (const chunk of input.chunks) yield Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    return;
  }
  if (!('file' in input)) throw new Error('plain data is not read as a stream');
  const buffer = Buffer.allocUnsafe(FILE_CHUNK);
  const handle = await fs
    .open(input.file, 'r')
    .catch((cause) => Promise.reject(ioError('cannot read', input.file, cause)));
  try {
    for (;;) {
      const { bytesRead } = await handle
        .read(buffer, 0, buffer.length, null)
        .catch((cause) => Promise.reject(ioError('cannot read', input.file, cause)));
      if (bytesRead === 0) return;
      yield buffer.subarray(0, bytesRead);
    }
  } finally {
    await handle.close();
  }
}

async function* readFile(file: string): AsyncGenerator<Buffer> {
  try {
    for await (const chunk of createReadStream(file, { highWaterMark: FILE_CHUNK })) yield chunk as Buffer;
  } catch (cause) {
    throw ioError('cannot read', file, cause);
  }
}

/** zlib's own gunzip gathers its output in pieces and joins them: twice the text at the end. Here it streams. */
async function* gunzip(input: Input, source: string, corrupt: Code): AsyncGenerator<Buffer> {
  const stream = createGunzip({ chunkSize: 64 * 1024 });
  const feeding =
    'file' in input
      ? pipeline(readFile(input.file), stream)
      : 'chunks' in input
        ? pipeline(Readable.from(input.chunks), stream)
        : (stream.end(input), null);
  feeding?.catch(() => undefined); // the same error reaches the loop below
  try {
    for await (const chunk of stream) yield chunk as Buffer;
  } catch (error) {
    if (error instanceof PkgkeysError) throw error;
    throw new PkgkeysError(corrupt, `${source}: corrupt gzip data: ${(error as Error).message}`, { cause: error });
  } finally {
    stream.destroy();
  }
  await feeding;
}

/**
 * Pipes `input` through the format's tool, as its output comes; the tool is killed as soon as the
 * consumer stops (the output passed a limit, or anything else).
 */
async function* runTool(
  format: keyof typeof TOOLS,
  direction: 'compress' | 'fast' | 'decompress',
  input: Input,
  source: string,
  limit: number,
  corrupt: Code = 'BAD_INPUT',
): AsyncGenerator<Buffer> {
  const tool = TOOLS[format];
  const file =
    'file' in input
      ? await fs.open(input.file, 'r').catch((cause) => Promise.reject(ioError('cannot read', input.file, cause)))
      : null;
  const child = spawn(tool.command, tool[direction], { stdio: [file ? file.fd : 'pipe', 'pipe', 'pipe'] });
  const exit = exited(child, format, direction === 'decompress' ? 'decompress' : 'compress', source, corrupt);
  exit.catch(() => undefined); // told once the output ends
  // Chunks that fail to arrive (a download cut off) are that failure, not the tool's complaint about
  // the input it then saw end.
  let arrival: unknown = null;
  let feeding: Promise<void> | null = null;
  if (!file) {
    // The tool stops reading when the data is corrupt or when it is killed; its exit status tells.
    child.stdin!.on('error', () => {});
    if ('chunks' in input)
      feeding = pipeline(Readable.from(input.chunks), child.stdin!).catch((error: unknown) => void (arrival = error));
    else child.stdin!.end(input as Uint8Array);
  }
  const failedToArrive = async () => {
    await feeding;
    return arrival instanceof PkgkeysError ? arrival : null;
  };
  let produced = 0;
  try {
    for await (const chunk of child.stdout!) {
      produced += (chunk as Buffer).length;
      // Compressing, a tool gone mad; decompressing, inflate says which limit it was.
      if (produced > limit) throw tooLarge(source, limit);
      yield chunk as Buffer;
    }
    const failure = await failedToArrive();
    if (failure) throw failure;
    await exit;
  } catch (error) {
    throw (error instanceof PkgkeysError && error.code === 'TOO_LARGE' ? null : await failedToArrive()) ?? error;
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await file?.close();
  }
}

/** Enough of a tool's stderr to quote its first line. */
const STDERR_KEPT = 4096;

/** Resolves when the tool exits well; rejects with why not: a missing tool, corrupt input, a failure. */
function exited(
  child: ChildProcess,
  format: keyof typeof TOOLS,
  verb: 'compress' | 'decompress',
  source: string,
  corrupt: Code,
): Promise<void> {
  const tool = TOOLS[format];
  let stderr = '';
  (child.stderr as Readable).on('data', (chunk: Buffer) => {
    if (stderr.length < STDERR_KEPT) stderr += chunk.toString('utf8');
  });
  return new Promise((resolve, reject) => {
    child.on('error', (cause: NodeJS.ErrnoException) => {
      const what =
        cause.code === 'ENOENT'
          ? `cannot run ${tool.command} (install it: ${tool.install}) to ${verb}`
          : `cannot run ${tool.command} to ${verb}`;
      reject(ioError(what, source, cause));
    });
    child.on('close', (code, signal) => {
      if (code === 0) return resolve();
      const reason =
        stderr
          .split('\n')
          .find((line) => line.trim() !== '')
          ?.trim() ?? (signal ? `killed by ${signal}` : `exit status ${code}`);
      reject(
        verb === 'decompress'
          ? new PkgkeysError(corrupt, `${source}: corrupt ${format} data: ${reason}`)
          : ioError(`${tool.command} failed to compress`, source, new Error(reason)),
      );
    });
  });
}
