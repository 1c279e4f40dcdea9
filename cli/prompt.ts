/** Reads a line from the controlling terminal without echoing it. */
import { openSync, closeSync } from 'node:fs';

export async function promptHidden(question: string): Promise<string | null> {
  // Loaded when a passphrase is asked for: node:tty loads node:net, which no other command run needs.
  const tty = require('node:tty') as typeof import('node:tty');
  let fd: number;
  try {
    fd = openSync('/dev/tty', 'r+');
  } catch {
    return null; // no terminal: cron, CI, pipes
  }
  const input = new tty.ReadStream(fd);
  const output = new tty.WriteStream(fd);
  output.write(question);
  input.setRawMode(true);
  try {
    return await new Promise<string | null>((resolve) => {
      let line = '';
      input.on('data', (chunk: Buffer) => {
        for (const ch of chunk.toString('utf8')) {
          if (ch === '\r' || ch === '\n') return resolve(line);
          if (ch === '\u0003' || ch === '\u0004') return resolve(null); // ^C, ^D
          if (ch === '\u007f' || ch === '\b') line = line.slice(0, -1);
          else line += ch;
        }
      });
    });
  } finally {
    input.setRawMode(false);
    output.write('\n');
    input.destroy();
    output.destroy();
    try {
      closeSync(fd);
    } catch {
      /* already closed by the streams */
    }
  }
}
