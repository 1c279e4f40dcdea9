/**
 * SHA-256 of package files, streamed (a fixed 1 MiB buffer per worker, whatever the file size) and
 * spread over worker threads, one per core by default: hashing is the cost of checking a repository.
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

// Plain JavaScript run by each worker (eval'd, so the same code serves the built CLI and the tests).
// Reads synchronously: the worker has nothing else to do, and sync reads avoid a promise per chunk.
// Only regular files are read: a FIFO blocks open(2) until a writer comes, a device may never end.
// stat first, so that no device is even opened; then O_NONBLOCK (an open that cannot block) and
// fstat of what was opened, in case the name was swapped in between. Links are followed: package
// directories link packages (category directories into All/, pkgin's cache).
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const fs = require('node:fs');
const buffer = Buffer.allocUnsafe(1 << 20);
const REPORT = 16 << 20;
const notRegular = () => Object.assign(new Error('not a regular file'), { code: 'NOT_REGULAR' });
parentPort.on('message', ({ index, file, limit }) => {
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
      if (size - reported >= REPORT) { parentPort.postMessage({ progress: size - reported }); reported = size; }
      if (limit !== null && size > limit) break;
    }
    parentPort.postMessage({ progress: size - reported });
    parentPort.postMessage({ index, size, sha256: hash.digest('hex') });
  } catch (error) {
    parentPort.postMessage({ index, errno: error.code || null, message: error.message });
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
});
`;

export const defaultJobs = (): number => availableParallelism();

/** Hashes every job with `jobs` workers; results come back in job order, failures as values. */
export async function hashFiles(jobs: readonly HashJob[], options: { jobs: number; onProgress?: (bytes: number) => void }): Promise<HashResult[]> {
  const results: HashResult[] = new Array(jobs.length);
  if (jobs.length === 0) return results;
  const workers = Array.from({ length: Math.max(1, Math.min(options.jobs, jobs.length)) }, () => new Worker(WORKER_SOURCE, { eval: true }));
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
            worker.on('message', (message: { progress?: number; index?: number; size?: number; sha256?: string; errno?: string | null; message?: string }) => {
              if (message.progress !== undefined) return options.onProgress?.(message.progress);
              const index = message.index!;
              results[index] = message.sha256 !== undefined
                ? { ok: true, size: message.size!, sha256: message.sha256 }
                : { ok: false, error: readError(jobs[index]!.file, message.errno ?? null, message.message ?? 'unknown error') };
              feed();
            });
            worker.on('error', reject);
            // A worker that dies without an error must not leave the verification waiting for ever.
            worker.on('exit', (code) => reject(new PkgkeysError('IO_ERROR', `a hashing worker stopped (exit ${code}) before its files were hashed`)));
            feed();
          }),
      ),
    );
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  return results;
}

function readError(file: string, errno: string | null, message: string): PkgkeysError {
  if (errno === 'ENOENT') return new PkgkeysError('PACKAGE_MISSING', `${file}: no such package file`);
  if (errno === 'NOT_REGULAR') return new PkgkeysError('NOT_REGULAR_FILE', `${file} is not a regular file (a FIFO, device or socket); refusing to read it`);
  return new PkgkeysError('IO_ERROR', `cannot read ${file}: ${message}`);
}
