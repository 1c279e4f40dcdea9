/**
 * SHA-256 of package files, streamed (a fixed 1 MiB buffer per worker, whatever the file size) and
 * spread over worker threads, one per core by default (one job is hashed in the calling thread):
 * hashing is the cost of checking a repository.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { PkgkeysError } from '../errors';

export interface FileDigest {
  size: number;
  sha256: string;
}

export interface HashJob {
  file: string;
  /** Stop reading past this many bytes (the index's FILE_SIZE): a file that never ends is not hashed forever. */
  limit: number | null;
}

export type HashResult = ({ ok: true } & FileDigest) | { ok: false; error: PkgkeysError };

// The hashing of one file, in plain JavaScript: eval'd in each worker (so the same code serves the
// built CLI and the tests), and made a function here for a single job, which needs no worker. Reads
// synchronously: the thread has nothing else to do, and sync reads avoid a promise per chunk. Only
// regular files are read: a FIFO blocks open(2) until a writer comes, a device may never end. stat
// first, so that no device is even opened; then O_NONBLOCK (an open that cannot block) and fstat of what
// was opened, in case the name was swapped in between. Links are followed: package directories link
// packages (category directories into All/, pkgin's cache). `progress` is told the bytes read, every
// REPORT and at the end.
const HASH_FILE = `(file, limit, buffer, progress) => {
  const { createHash } = require('node:crypto');
  const fs = require('node:fs');
  const REPORT = 16 << 20;
  const notRegular = () => Object.assign(new Error('not a regular file'), { code: 'NOT_REGULAR' });
  let fd;
  try {
    if (!fs.statSync(file).isFile()) throw notRegular();
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
    if (!fs.fstatSync(fd).isFile()) throw notRegular();
    const hash = createHash('sha256');
    let size = 0, reported = 0, n;
    while ((n = fs.readSync(fd, buffer, 0, buffer.length, null)) > 0) {
      hash.update(buffer.subarray(0, n));
      size += n;
      if (size - reported >= REPORT) { progress(size - reported); reported = size; }
      if (limit !== null && size > limit) break;
    }
    progress(size - reported);
    return { size, sha256: hash.digest('hex') };
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}`;

/** What each file is read into, a chunk at a time. */
const BUFFER_BYTES = 1 << 20;

const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const hashFile = ${HASH_FILE};
const buffer = Buffer.allocUnsafe(${BUFFER_BYTES});
const progress = (bytes) => parentPort.postMessage({ progress: bytes });
parentPort.on('message', ({ index, file, limit }) => {
  try {
    parentPort.postMessage({ index, ...hashFile(file, limit, buffer, progress) });
  } catch (error) {
    parentPort.postMessage({ index, errno: error.code || null, message: error.message });
  }
});
`;

type HashFile = (file: string, limit: number | null, buffer: Buffer, progress: (bytes: number) => void) => FileDigest;

export const defaultJobs = (): number => availableParallelism();

/**
 * Hashes every job with `jobs` workers, or in this thread for one job (a worker costs about as much to
 * start as hashing 100 MB); results come back in job order, failures as values.
 */
export async function hashFiles(
  jobs: readonly HashJob[],
  options: { jobs: number; onProgress?: (bytes: number) => void },
): Promise<HashResult[]> {
  const results: HashResult[] = new Array(jobs.length);
  if (jobs.length === 0) return results;
  if (Math.min(options.jobs, jobs.length) <= 1) return hashHere(jobs, options.onProgress);
  const workers = Array.from(
    { length: Math.min(options.jobs, jobs.length) },
    () => new Worker(WORKER_SOURCE, { eval: true }),
  );
  let next = 0;
  try {
    await Promise.all(
      workers.map(
        (worker) =>
          new Promise<void>((resolve, reject) => {
            const feed = () => {
              if (next >= jobs.length) return resolve();
              const index = next++;
              worker.postMessage({ index, file: jobs[index]!.file, limit: jobs[index]!.limit });
            };
            worker.on(
              'message',
              (message: {
                progress?: number;
                index?: number;
                size?: number;
                sha256?: string;
                errno?: string | null;
                message?: string;
              }) => {
                if (message.progress !== undefined) return options.onProgress?.(message.progress);
                const index = message.index!;
                results[index] =
                  message.sha256 !== undefined
                    ? { ok: true, size: message.size!, sha256: message.sha256 }
                    : {
                        ok: false,
                        error: readError(jobs[index]!.file, message.errno ?? null, message.message ?? 'unknown error'),
                      };
                feed();
              },
            );
            worker.on('error', reject);
            // A worker that dies without an error must not leave the verification waiting for ever.
            worker.on('exit', (code) =>
              reject(
                new PkgkeysError('IO_ERROR', `a hashing worker stopped (exit ${code}) before its files were hashed`),
              ),
            );
            feed();
          }),
      ),
    );
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  return results;
}

/** hashFiles in this thread, a file at a time, letting other work run between files. */
async function hashHere(jobs: readonly HashJob[], onProgress?: (bytes: number) => void): Promise<HashResult[]> {
  const hashFile = new Function('require', `return ${HASH_FILE};`)(require) as HashFile;
  const buffer = Buffer.allocUnsafe(BUFFER_BYTES);
  const results: HashResult[] = [];
  for (const { file, limit } of jobs) {
    try {
      results.push({ ok: true, ...hashFile(file, limit, buffer, (bytes) => onProgress?.(bytes)) });
    } catch (error) {
      const { code, message } = error as NodeJS.ErrnoException;
      results.push({ ok: false, error: readError(file, code || null, message) });
    }
    await new Promise((resolve) => setImmediate(resolve));
  }
  return results;
}

function readError(file: string, errno: string | null, message: string): PkgkeysError {
  if (errno === 'ENOENT') return new PkgkeysError('PACKAGE_MISSING', `${file}: no such package file`);
  if (errno === 'NOT_REGULAR')
    return new PkgkeysError(
      'NOT_REGULAR_FILE',
      `${file} is not a regular file (a FIFO, device or socket); refusing to read it`,
    );
  return new PkgkeysError('IO_ERROR', `cannot read ${file}: ${message}`);
}
