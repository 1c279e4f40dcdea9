/**
 * The CLI writes large outputs (a signed or verified index) to standard output a MiB at a time
 * (cli/main.ts processIO): the bytes that arrive must be the bytes given, in order, whatever the size,
 * into a file and into a pipe. Checked on the compiled CLI, in a process of its own.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const MAIN = path.resolve(__dirname, '../../dist/cli/main.js');
const MiB = 1 << 20;

/**
 * Writes, through processIO().stdout, a text, then `size` numbered bytes, then another text, then the
 * bytes again: awaited one by one, or all at once without waiting (as sign-summary writes its parts).
 */
const script = (size: number, wait: boolean) => `
  const io = require(${JSON.stringify(MAIN)}).processIO();
  const data = Buffer.alloc(${size});
  for (let i = 0; i < data.length; i++) data[i] = (i * 7 + (i >>> 20)) & 0xff;
  const parts = ['head\\n', data, 'tail\\n', data];
  (async () => { for (const part of parts) ${wait ? 'await ' : ''}io.stdout(part); })();
`;

const expected = (size: number) => {
  const data = Buffer.alloc(size);
  for (let i = 0; i < data.length; i++) data[i] = (i * 7 + (i >>> 20)) & 0xff;
  return Buffer.concat([Buffer.from('head\n'), data, Buffer.from('tail\n'), data]);
};
const digest = (data: Buffer) => createHash('sha256').update(data).digest('hex');

describe.each([
  [0, true],
  [1, true],
  [MiB - 1, true],
  [MiB, true],
  [MiB + 1, true],
  [2 * MiB, true],
  [3 * MiB + 5, true],
  [3 * MiB + 5, false],
])('processIO().stdout, %d bytes, each write awaited: %s', (size, wait) => {
  it('into a file: the same bytes', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pkgkeys-stdout-'));
    try {
      const out = path.join(dir, 'out');
      const fd = fs.openSync(out, 'w');
      const run = spawnSync(process.execPath, ['-e', script(size, wait)], { stdio: ['ignore', fd, 'pipe'] });
      fs.closeSync(fd);
      expect(run.stderr.toString()).toBe('');
      expect(digest(fs.readFileSync(out))).toBe(digest(expected(size)));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('into a pipe: the same bytes', () => {
    const run = spawnSync(process.execPath, ['-e', script(size, wait)], { maxBuffer: 8 * MiB });
    expect(run.stderr.toString()).toBe('');
    expect(digest(run.stdout)).toBe(digest(expected(size)));
  });
});
