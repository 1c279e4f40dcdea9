/**
 * The programs the tests run as peers (gpg, gpgv, sq, sqv, sq-wot, faketime, mandoc, bsdtar, bzip2, xz, zstd): a peer
 * that is missing fails the test that needs it, with what to install, instead of looking like a peer
 * that refused (a status that is "not 0" would pass a test that expects a refusal). README.md lists
 * them; .ci/run installs them.
 */
import { execFile, spawnSync } from 'node:child_process';

/** Each peer with the Debian package that has it. */
export const PEERS = {
  gpg: 'gnupg',
  gpgv: 'gpgv',
  sq: 'sq',
  sqv: 'sqv',
  'sq-wot': 'sq-wot',
  faketime: 'faketime',
  mandoc: 'mandoc',
  bsdtar: 'libarchive-tools',
  bzip2: 'bzip2',
  xz: 'xz-utils',
  zstd: 'zstd',
} as const;

export interface PeerRun {
  status: number;
  stdout: string;
  stderr: string;
}

export const missing = (command: string) =>
  new Error(
    `${command} is not installed or not on PATH: the tests need it as a peer (Debian: apt-get install ${PEERS[command as keyof typeof PEERS] ?? command}; see README.md)`,
  );

/** Runs a peer to its end; its exit status is returned, never thrown. A peer that cannot start (or is killed) throws. */
export function peer(
  command: string,
  args: string[],
  options: { input?: string | Uint8Array; timeoutMs?: number } = {},
): Promise<PeerRun> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      command,
      args,
      { encoding: 'utf8', maxBuffer: 64 << 20, timeout: options.timeoutMs ?? 0 },
      (error, stdout, stderr) => {
        if (!error) return resolve({ status: 0, stdout, stderr });
        if (typeof error.code === 'number') return resolve({ status: error.code, stdout, stderr });
        if (error.code === 'ENOENT') return reject(missing(command));
        reject(new Error(`${command} ${args.join(' ')} did not finish (${error.signal ?? error.message})\n${stderr}`));
      },
    );
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(options.input ?? '');
  });
}

/** `peer`, synchronously. */
export function peerSync(command: string, args: string[], options: { input?: string | Uint8Array } = {}): PeerRun {
  const run = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 64 << 20, input: options.input ?? '' });
  if ((run.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') throw missing(command);
  if (run.error || run.status === null)
    throw new Error(`${command} ${args.join(' ')} did not finish (${run.signal ?? run.error?.message})\n${run.stderr}`);
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}
