/** Runs the pkgkeys CLI in-process through its single exit point, as `pkgkeys ARGS` would; or the built one as a process. */
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { run } from '../../cli/main';

export interface CliResult {
  status: number;
  stdout: string;
  stderr: string;
}

export async function pkgkeys(args: string[], env: Record<string, string | undefined> = {}): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const status = await run(args, {
    stdout: (t) => void (stdout += typeof t === 'string' ? t : Buffer.from(t).toString('latin1')),
    stderr: (t) => void (stderr += t),
    env,
    prompt: async () => null,
  });
  return { status, stdout, stderr };
}

/** The installed entry point of the compiled CLI (`make build` makes dist/). */
export const BIN = path.resolve(__dirname, '../../bin/pkgkeys.js');

/**
 * The compiled CLI as its own process, with the system clock reading `clock` (faketime(1), in UTC):
 * what a machine whose clock is wrong runs, with no --now.
 */
export function pkgkeysWithClock(clock: string, args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    execFile('faketime', [clock, process.execPath, BIN, ...args], { env: { PATH: process.env.PATH, TZ: 'UTC', ...env }, encoding: 'utf8' }, (error, stdout, stderr) => {
      const status = error ? (error as { code?: unknown }).code : 0;
      if (typeof status !== 'number') return reject(error);
      resolve({ status, stdout, stderr });
    });
  });
}

/** A fresh temporary directory, removed by `cleanup`. */
export async function tempDir(prefix = 'pkgkeys-test-'): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), prefix));
}

export const cleanup = (dir: string) => fs.rm(dir, { recursive: true, force: true });
