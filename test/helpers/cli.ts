/** Runs the pkgkeys CLI in-process through its single exit point, as `pkgkeys ARGS` would. */
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

/** A fresh temporary directory, removed by `cleanup`. */
export async function tempDir(prefix = 'pkgkeys-test-'): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), prefix));
}

export const cleanup = (dir: string) => fs.rm(dir, { recursive: true, force: true });
