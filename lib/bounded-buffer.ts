/**
 * Bytes of a length not known in advance (a download without Content-Length, a decompressor's output)
 * gathered into one buffer, up to a cap (DESIGN.md §3 "endless data"). The buffer is a resizable
 * ArrayBuffer: it reserves the cap's address space and commits memory as it grows, in place. Nothing
 * is kept in chunks to be joined at the end and nothing is copied when it grows, so N bytes gathered
 * cost N bytes of memory, and what would pass the cap is refused before it is stored.
 */
import { PkgkeysError } from './errors';

/** The first allocation when nothing says how much will come; it doubles from there. */
const INITIAL_BYTES = 64 * 1024;

export class BoundedBuffer {
  private readonly space: ArrayBuffer;
  /** Tracks the space's length as it grows. */
  private readonly view: Uint8Array;
  length = 0;

  /** `expected`: what the source announced (Content-Length, a file's size), allocated at once. */
  constructor(
    readonly limit: number,
    expected?: number | null,
  ) {
    try {
      this.space = new ArrayBuffer(Math.min(expected ?? INITIAL_BYTES, limit), { maxByteLength: limit });
    } catch (cause) {
      throw new PkgkeysError('IO_ERROR', `cannot reserve ${limit} bytes of memory`, { cause });
    }
    this.view = new Uint8Array(this.space);
  }

  /** Appends `chunk`, or returns false, storing nothing of it, when it would take the length past the limit. */
  push(chunk: Uint8Array): boolean {
    const end = this.length + chunk.length;
    if (end > this.limit) return false;
    if (end > this.space.byteLength) this.space.resize(Math.min(Math.max(end, this.space.byteLength * 2), this.limit));
    this.view.set(chunk, this.length);
    this.length = end;
    return true;
  }

  /** The bytes gathered, not copied. */
  bytes(): Buffer {
    return Buffer.from(this.space, 0, this.length);
  }
}
