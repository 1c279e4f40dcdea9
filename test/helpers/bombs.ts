/** Decompression bombs: small files that expand to gigabytes of zeros, far past any cap. */
import { execFileSync } from 'node:child_process';
import { gzipSync } from 'node:zlib';

/** 200 gzip members of 64 MiB of zeros each (gunzip reads members in sequence): 12.5 GiB from 13 MB. */
export const gzipBomb = (): Buffer => repeated(gzipSync(Buffer.alloc(64 << 20), { level: 9 }), 200);

/** 20 zstd frames of 600 MiB of zeros each: 11.7 GiB from a few hundred kB. */
export const zstdBomb = (): Buffer =>
  repeated(execFileSync('sh', ['-c', 'head -c 600M /dev/zero | zstd -1 -q -c']), 20);

const repeated = (member: Buffer, copies: number) => Buffer.concat(Array.from({ length: copies }, () => member));
