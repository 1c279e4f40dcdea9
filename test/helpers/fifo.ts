/**
 * FIFOs for tests of code that must never open one blocking. mkfifo(1), as Node has no mkfifo; and a
 * watcher that lets a reader stuck in open(2) on the FIFO go (an old, blocking open would otherwise
 * hang the test file for ever, where a failed assertion is wanted).
 */
import { execFileSync } from 'node:child_process';
import { constants, promises as fs } from 'node:fs';

export function mkfifo(file: string): void {
  execFileSync('mkfifo', [file]);
}

/**
 * Until the returned function is called: whenever a reader has `fifo` open (or is blocked opening
 * it), opens and closes its write end, so that the reader's open returns and it reads end-of-file.
 * Counts how often it had to.
 */
export function releaseReaders(fifo: string): { stop: () => Promise<void>; released: () => number } {
  let stopped = false;
  let released = 0;
  const loop = (async () => {
    while (!stopped) {
      // O_NONBLOCK: fails at once (ENXIO) unless a reader is there; O_NOFOLLOW: only the FIFO itself.
      const handle = await fs
        .open(fifo, constants.O_WRONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW)
        .catch(() => null);
      if (handle) {
        released++;
        await handle.close();
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  })();
  return {
    stop: async () => {
      stopped = true;
      await loop;
    },
    released: () => released,
  };
}
