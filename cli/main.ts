/**
 * The pkgkeys command line: parses and prints; lib/ decides. `run` is the single exit point, and
 * tests call it directly with their own IO.
 */
import yargs, { type CommandModule } from 'yargs';
import { EXIT, PkgkeysError } from '../lib/errors';
import { defaultLocations, pkgkeysVersion } from '../lib/paths';
import { certifyCommand } from './commands/certify';
import { checkRepoCommand } from './commands/check-repo';
import { keyCommand } from './commands/key';
import { keyringCommand } from './commands/keyring';
import { masterCommand } from './commands/master';
import { pkginCommand } from './commands/pkgin';
import { proxyCommand } from './commands/proxy';
import { publishCommand } from './commands/publish';
import { revokeCommand } from './commands/revoke';
import { setupCommand } from './commands/setup';
import { signPackageCommand } from './commands/sign-package';
import { signdCommand } from './commands/signd';
import { signSummaryCommand } from './commands/sign-summary';
import { signVulnerabilitiesCommand } from './commands/sign-vulnerabilities';
import { statusCommand } from './commands/status';
import { updateCommand } from './commands/update';
import { verifyPackageCommand } from './commands/verify-package';
import { verifyPackagesCommand } from './commands/verify-packages';
import { verifySummaryCommand } from './commands/verify-summary';
import { verifyVulnerabilitiesCommand } from './commands/verify-vulnerabilities';
import type { IO, Session } from './io';
import { promptHidden } from './prompt';

/**
 * Every command; `session` reaches their handlers as parse context, which the typings cannot see.
 * Every run reads all their definitions, so a command module imports from lib/ at its top only types
 * and what cli/common.ts loads anyway; the code a command runs is loaded where it is used, in its
 * handler (or builder), as `const { update } = require('../../lib/client/update') as typeof
 * import('../../lib/client/update')`. So `pkgkeys --version` loads no OpenPGP.js, and a command none
 * of the other commands' code (test/cli/startup.test.ts).
 */
const COMMANDS = [
  masterCommand,
  keyCommand,
  certifyCommand,
  revokeCommand,
  keyringCommand,
  signSummaryCommand,
  verifySummaryCommand,
  verifyPackagesCommand,
  signPackageCommand,
  verifyPackageCommand,
  signVulnerabilitiesCommand,
  verifyVulnerabilitiesCommand,
  publishCommand,
  signdCommand,
  updateCommand,
  statusCommand,
  setupCommand,
  checkRepoCommand,
  proxyCommand,
  pkginCommand,
] as unknown as CommandModule[];

export async function run(argv: readonly string[], io: IO): Promise<number> {
  // In `pkgkeys pkgin -y upgrade`, -y is pkgin's: whatever follows the pkgin command is passed on
  // unparsed, but for a lone --help (pkgin has no such option), which asks for the command's help here.
  const at = commandIndex(argv);
  const wraps = argv[at] === 'pkgin' && !(argv.length === at + 2 && argv[at + 1] === '--help');
  const [ours, wrapped] = wraps ? [argv.slice(0, at + 1), argv.slice(at + 1)] : [argv, []];
  const session: Session = { io, exit: EXIT.ok, wrapped };
  const json = ours.includes('--json');
  try {
    let helpText = '';
    await withoutHelpCache(yargs())
      // pkgkeys speaks English: yargs' own messages too, whatever LANG says (and fail() reads them).
      .detectLocale(false)
      .scriptName('pkgkeys')
      .usage('$0 <command> [options]\n\nOpenPGP web-of-trust keyring manager for signed pkgsrc binary packages.')
      .option('json', { type: 'boolean', default: false, global: true, describe: 'machine-readable output' })
      .option('now', {
        type: 'string',
        global: true,
        describe: 'act as if the time were TIME (ISO 8601): for tests and replays',
      })
      .option('config', {
        type: 'string',
        global: true,
        describe: `client configuration, pkgkeys.conf(5) (default: ${defaultLocations({}).config})`,
      })
      .command(COMMANDS)
      .demandCommand(1, 'name a command')
      .strict()
      .help()
      .alias('h', 'help')
      .version(pkgkeysVersion())
      .wrap(Math.min(100, process.stdout.columns ?? 100))
      .exitProcess(false)
      .fail((message, error, y) => {
        if (error) throw error;
        // The usage of the command at hand (its subcommands, its arguments) says what was expected.
        let usage = ' (see --help)';
        if (!json) y.showHelp((text: string) => void (usage = `:\n\n${text}`));
        const said = /^Not enough non-option arguments/.test(message)
          ? 'a subcommand or an argument is missing'
          : message;
        throw new PkgkeysError('USAGE', `${said}${usage}`);
      })
      .parseAsync([...ours], { session }, (_error, _parsed, output) => {
        helpText = output;
      });
    if (helpText) io.stdout(`${helpText}\n`);
    return session.exit;
  } catch (error) {
    return report(error, io, json);
  }
}

/**
 * yargs renders the whole help text of a command as its handler starts, to have it should the handler
 * fail; ours report their own failures (the fail() above rethrows them), so that text is never shown,
 * and it costs about 10 ms a run (issue 18). The hook is yargs' own and not in its typings: should a
 * later yargs lack it, the help is rendered as before.
 */
function withoutHelpCache<T>(parser: T): T {
  type Internals = { getInternalMethods?: () => { getUsageInstance?: () => { cacheHelpMessage?: () => void } } };
  const usage = (parser as Internals).getInternalMethods?.().getUsageInstance?.();
  if (typeof usage?.cacheHelpMessage === 'function') usage.cacheHelpMessage = () => undefined;
  return parser;
}

/** The options that may come before the command word and take a value (global ones, and the pkgin command's). */
const VALUED = new Set(['--now', '--config', '--listen', '--cache', '--timeout']);

/** Where the command word is: the first word that is neither an option nor an option's value; -1 if none. */
function commandIndex(argv: readonly string[]): number {
  for (let i = 0; i < argv.length; i++) {
    if (VALUED.has(argv[i]!)) i++;
    else if (!argv[i]!.startsWith('-')) return i;
  }
  return -1;
}

/**
 * A failure as one line with its code. An error without a code is a bug in pkgkeys: it is reported as
 * one line too (cron mails it to people, not developers); PKGKEYS_DEBUG=1 adds the stack.
 */
export function report(error: unknown, io: IO, json: boolean): number {
  const detail = io.env.PKGKEYS_DEBUG ? (error as Error)?.stack : (error as Error)?.message;
  const failure =
    error instanceof PkgkeysError
      ? error
      : new PkgkeysError(
          'IO_ERROR',
          `unexpected error (a bug in pkgkeys; PKGKEYS_DEBUG=1 shows where): ${detail ?? String(error)}`,
          { cause: error },
        );
  if (json) io.stdout(`${JSON.stringify({ ok: false, code: failure.code, message: failure.message })}\n`);
  else io.stderr(`pkgkeys: ${failure.code}: ${failure.message}\n`);
  return failure.exitStatus;
}

const STDOUT_PIECE = 1 << 20;

export function processIO(): IO {
  return {
    stdout: (data) => {
      // A MiB a write: one write(2) of a whole index into a file costs several times as much (Linux, measured).
      let at = 0;
      if (typeof data !== 'string')
        for (; data.length - at > STDOUT_PIECE; at += STDOUT_PIECE)
          process.stdout.write(data.subarray(at, at + STDOUT_PIECE));
      const last = at === 0 ? data : (data as Uint8Array).subarray(at);
      return new Promise<void>((resolve) => void process.stdout.write(last, () => resolve()));
    },
    stderr: (text) => process.stderr.write(text),
    terminal: process.stderr.isTTY === true,
    env: process.env,
    prompt: promptHidden,
  };
}

export function main(): void {
  // `pkgkeys keyring list | head`: a reader that stops early is not an error.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
  run(process.argv.slice(2), processIO()).then(
    (status) => (process.exitCode = status),
    (error) => {
      process.stderr.write(`pkgkeys: ${String(error)}\n`);
      process.exitCode = EXIT.io;
    },
  );
}
