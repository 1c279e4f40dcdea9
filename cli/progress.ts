/** A progress bar on standard error, drawn only on a terminal and at most ten times a second. */
import type { IO } from './io';

export interface Progress {
  start(total: number, files: number): void;
  add(bytes: number): void;
  done(): void;
}

const quiet: Progress = { start: () => undefined, add: () => undefined, done: () => undefined };

export function progressBar(io: IO, label: string): Progress {
  if (!io.terminal) return quiet;
  let total = 0;
  let files = 0;
  let done = 0;
  let drawn = 0;
  const draw = () => {
    const fraction = total > 0 ? Math.min(1, done / total) : 1;
    const width = 30;
    const filled = Math.round(fraction * width);
    io.stderr(
      `\r${label} [${'#'.repeat(filled)}${' '.repeat(width - filled)}] ${(fraction * 100).toFixed(0).padStart(3)}%  ${mib(done)}/${mib(total)} MiB, ${files} file(s)`,
    );
  };
  return {
    start(t, f) {
      total = t;
      files = f;
      draw();
    },
    add(bytes) {
      done += bytes;
      const now = Date.now();
      if (now - drawn >= 100) {
        drawn = now;
        draw();
      }
    },
    done() {
      draw();
      io.stderr('\n');
    },
  };
}

const mib = (bytes: number) => (bytes / 1048576).toFixed(0);
