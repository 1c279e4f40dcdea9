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
  return runProcess('faketime', [clock, process.execPath, BIN, ...args], env);
}

const PRELOAD = path.join(__dirname, 'loaded-modules.js');
const UNBUNDLED = path.join(__dirname, 'unbundled-cli.js');

/**
 * The compiled CLI as its own process, unbundled, and every module it loaded (absolute paths,
 * node_modules' as their real paths): what start-up and the paths that find nothing new cost is seen
 * in what they load.
 */
export async function pkgkeysLoading(
  args: string[],
  env: Record<string, string> = {},
): Promise<CliResult & { loaded: string[] }> {
  const dir = await tempDir('pkgkeys-loaded-');
  try {
    const list = path.join(dir, 'loaded');
    const result = await runProcess(process.execPath, ['--require', PRELOAD, UNBUNDLED, ...args], {
      ...env,
      PKGKEYS_TEST_LOADED: list,
    });
    return { ...result, loaded: (await fs.readFile(list, 'utf8')).split('\n').filter((line) => line !== '') };
  } finally {
    await cleanup(dir);
  }
}

/** Whether OpenPGP.js is among the modules `pkgkeysLoading` reports. */
export const loadsOpenPGP = (loaded: readonly string[]) =>
  loaded.some((file) => file.includes('/node_modules/openpgp/'));

function runProcess(file: string, args: string[], env: Record<string, string>): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    execFile(
      file,
      args,
      { env: { PATH: process.env.PATH, TZ: 'UTC', ...env }, encoding: 'utf8' },
      (error, stdout, stderr) => {
        const status = error ? (error as { code?: unknown }).code : 0;
        if (typeof status !== 'number') return reject(error);
        resolve({ status, stdout, stderr });
      },
    );
  });
}

/** A fresh temporary directory, removed by `cleanup`. */
export async function tempDir(prefix = 'pkgkeys-test-'): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), prefix));
}

export const cleanup = (dir: string) => fs.rm(dir, { recursive: true, force: true });
