/** Helpers shared by the command modules: time, passphrases, printing. */
import type { Argv } from 'yargs';
import { createReadStream } from 'node:fs';
import { PkgkeysError, ioError } from '../lib/errors';
import { type Spool, readBounded, writeAtomicWith } from '../lib/fsutil';
import { type Config, defaultConfig, policyOf, readConfig } from '../lib/client/config';
import type { RepositoryId } from '../lib/model';
import { type Locations, anchorFiles, defaultLocations } from '../lib/paths';
import type { Policy } from '../lib/trust/policy';
import { formatTime, parseTime } from '../lib/time';
import type { TrustSources } from '../lib/verify';
import { ClientState, type Clock, clockBehind } from '../lib/verify/state';
import type { GlobalArgs, IO } from './io';

/** The one `now` of a run: --now, or the clock. */
export const nowOf = (argv: GlobalArgs): Date => (argv.now ? parseTime(argv.now) : new Date());

/**
 * The clock a client command judges by: --now or the system clock, never before the floor kept in
 * `stateDir` (lib/verify/state.ts); --now stands for the clock, so a replay of the past needs a state
 * directory of its own. A clock behind the floor is worth a warning even when all verifies.
 */
export async function readClock(argv: GlobalArgs, stateDir: string, policy: Policy): Promise<Clock> {
  const clock = await new ClientState(stateDir).clock(nowOf(argv));
  const behind = clockBehind(clock, policy);
  if (behind) warn(argv, behind);
  return clock;
}

export const PASSPHRASE_ENV = 'PKGKEYS_PASSPHRASE';

/**
 * A passphrase from --passphrase-file (its first line), the PKGKEYS_PASSPHRASE environment variable,
 * or the terminal; never from argv, where other users could read it in the process list.
 */
export async function readPassphrase(
  io: IO,
  file: string | undefined,
  question: string,
  confirm = false,
): Promise<string> {
  if (file) {
    const line = (await readBounded(file, 4096)).toString('utf8').split(/\r?\n/)[0] ?? '';
    if (line === '') throw new PkgkeysError('NO_PASSPHRASE', `${file}: the passphrase file is empty`);
    return line;
  }
  const fromEnv = io.env[PASSPHRASE_ENV];
  if (fromEnv) return fromEnv;
  const typed = await io.prompt(`${question}: `);
  if (typed === null) {
    throw new PkgkeysError(
      'NO_PASSPHRASE',
      `a passphrase is needed: use --passphrase-file FILE, ${PASSPHRASE_ENV}, or run on a terminal`,
    );
  }
  if (typed === '') throw new PkgkeysError('NO_PASSPHRASE', 'empty passphrase');
  if (confirm && (await io.prompt('Repeat the passphrase: ')) !== typed)
    throw new PkgkeysError('BAD_PASSPHRASE', 'the passphrases do not match');
  return typed;
}

/** The first line from file descriptor `fd` (a pipe, a here-document), read as it comes: at most 4 KiB. */
export async function readFdLine(fd: number): Promise<string> {
  const stream = createReadStream('', { fd, autoClose: false, end: 4095 });
  let text = '';
  try {
    for await (const chunk of stream) {
      text += (chunk as Buffer).toString('utf8');
      if (text.includes('\n')) break;
    }
  } catch (cause) {
    throw ioError('cannot read file descriptor', String(fd), cause);
  } finally {
    stream.destroy();
  }
  const line = text.split(/\r?\n/)[0] ?? '';
  if (line === '') throw new PkgkeysError('NO_PASSPHRASE', `file descriptor ${fd} gave no passphrase`);
  return line;
}

/** Prints `value` as JSON with --json, or as the lines `text` makes of it. */
export function print<T>(argv: GlobalArgs, value: T, text: (value: T) => string[]): void {
  if (argv.json) argv.session.io.stdout(`${JSON.stringify(value, jsonDates, 2)}\n`);
  else for (const line of text(value)) argv.session.io.stdout(`${line}\n`);
}

function jsonDates(this: unknown, _key: string, value: unknown): unknown {
  return typeof value === 'string' && /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/.test(value)
    ? formatTime(new Date(value))
    : value;
}

/** A configured repository as --json shows it (check-repo, setup; docs/pkgin.md): its identifier is `id` there. */
export const asReported = <T extends { repository: RepositoryId }>({ repository, ...rest }: T): Reported<T> =>
  ({ id: repository, ...rest }) as Reported<T>;
type Reported<T> = T extends { repository: RepositoryId } ? { id: RepositoryId } & Omit<T, 'repository'> : never;

export const warn = (argv: GlobalArgs, message: string) => argv.session.io.stderr(`pkgkeys: warning: ${message}\n`);

/**
 * A repeatable option (`--scope A --scope B`). yargs' `array: true` would also swallow the positional
 * arguments that follow, so options are single-valued and collected into a list here.
 */
export const repeatable = (describe: string) =>
  ({ type: 'string', describe, coerce: (v: string | string[]) => ([] as string[]).concat(v) }) as const;

/** Where verification reads its trust from: options, or the configured locations (lib/paths.ts). */
export interface TrustArgs extends GlobalArgs {
  anchor: string[] | undefined;
  threshold: number | undefined;
  keyring: string | undefined;
  repository: string;
  'state-dir': string | undefined;
}

export const trustOptions = <T extends GlobalArgs>(y: Argv<T>) =>
  y
    .option(
      'anchor',
      repeatable(
        "trust anchor: the master key's public certificate; repeatable (default: every file in the anchors directory of pkgkeys.conf)",
      ),
    )
    .option('threshold', thresholdOption)
    .option('keyring', {
      type: 'string',
      describe: `keyring file or directory (default: ${DEFAULT_LOCATIONS.keyring})`,
    })
    .option('repository', {
      type: 'string',
      demandOption: true,
      describe: 'repository identifier the index must be signed for, e.g. NetBSD/x86_64/10.0/All',
    })
    .option('state-dir', stateDirOption);

const DEFAULT_LOCATIONS = defaultLocations({});

/** --state-dir, for the commands that verify with a file's keyring. */
export const stateDirOption = {
  type: 'string',
  describe: `where the newest accepted signature per repository, and the latest time proven, are kept (default: ${DEFAULT_LOCATIONS.stateDir})`,
} as const;

/** Where verification reads its trust from (options, else the client's configuration), the policy it applies and its clock. */
export async function sourcesAndPolicy(
  argv: TrustArgs,
): Promise<{ sources: TrustSources; policy: Policy; clock: Clock }> {
  const client = await clientOf(argv);
  const sources = {
    anchors: await anchorsOf(argv, client),
    keyring: argv.keyring ?? client.locations.keyring,
    stateDir: argv['state-dir'] ?? client.locations.stateDir,
  };
  return { sources, policy: client.policy, clock: await readClock(argv, sources.stateDir, client.policy) };
}

/** A client machine as commands see it: its files (lib/paths.ts) and its pkgkeys.conf (--config, or the default). */
export interface Client {
  locations: Locations;
  /** The configuration file read (it may not exist: then the defaults hold). */
  file: string;
  config: Config;
  defaults: Config;
  policy: Policy;
}

export async function clientOf(
  argv: GlobalArgs & { threshold?: number | undefined },
  creates = false,
): Promise<Client> {
  const locations = defaultLocations(argv.session.io.env);
  const file = argv.config ?? locations.config;
  const defaults = defaultConfig(locations);
  // setup may create the file --config names; every other command needs it to exist.
  const config = await readConfig(file, defaults, argv.config !== undefined && !creates);
  const policy = policyOf(config);
  if (argv.threshold !== undefined && thresholdOf(argv.threshold) < policy.anchorThreshold) {
    // An option that turned a refusal into trust would be a hole: the configuration's k is a floor.
    throw new PkgkeysError(
      'USAGE',
      `--threshold ${argv.threshold} is below anchor-threshold ${policy.anchorThreshold} in ${file}: it may raise the threshold, not lower it`,
    );
  }
  return {
    locations,
    file,
    config,
    defaults,
    policy: { ...policy, anchorThreshold: argv.threshold ?? policy.anchorThreshold },
  };
}

/** --threshold K: how many of the anchors must each vouch for a key (lib/trust/threshold.ts). */
export const thresholdOption = {
  type: 'number',
  describe:
    'how many of the anchors must each vouch for a key, k of n (default: anchor-threshold in pkgkeys.conf, else 1; commands that read pkgkeys.conf may only raise it)',
} as const;

export function thresholdOf(k: number): number {
  if (!Number.isInteger(k) || k < 1)
    throw new PkgkeysError('USAGE', `--threshold must be a whole number of anchors, 1 or more, not ${k}`);
  return k;
}

/** The policy a command judges keys by, as this machine's verifiers do: pkgkeys.conf's (else the defaults), --threshold raising its k. */
export const policyOfCommand = async (argv: GlobalArgs & { threshold?: number | undefined }): Promise<Policy> =>
  (await clientOf(argv)).policy;

/** --anchor files, or every anchor in the configured directory. */
export const anchorsOf = async (
  argv: GlobalArgs & { anchor?: string[] | undefined },
  client: Client,
): Promise<string[]> => (argv.anchor?.length ? argv.anchor : anchorFiles(client.config.anchorDir));

/**
 * What a spool holds (a text verified or signed while it was written there) to --output, atomically,
 * or else to standard output: nothing reaches either until the spool is complete.
 */
export function writeSpool(spool: Spool, argv: GlobalArgs & { output: string | undefined }): Promise<void> {
  const { output } = argv;
  if (output)
    return writeAtomicWith(output, (handle) => spool.copyTo(async (chunk) => void (await handle.write(chunk))));
  return spool.copyTo((chunk) => argv.session.io.stdout(chunk));
}
