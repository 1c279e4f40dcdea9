import type { CommandModule } from 'yargs';
import { PkgkeysError, exitStatusOfAll } from '../../lib/errors';
import { describeSpan, formatTime, parseExpiry } from '../../lib/time';
import { ClientState } from '../../lib/verify/state';
import { anchorsOf, clientOf, nowOf, print, repeatable, thresholdOption } from '../common';
import type { GlobalArgs } from '../io';

interface Args extends GlobalArgs {
  anchor: string[] | undefined;
  threshold: number | undefined;
  'max-age': string;
  'update-interval': string;
}

const DAY = 86_400_000;

export const statusCommand: CommandModule<GlobalArgs, Args> = {
  command: 'status',
  describe:
    'Show the installed keyring, its age, keys that expire within 30 days, the last update, the latest time proven and the revocation bound; fail when it is stale or the clock is behind',
  builder: (y) =>
    y
      .option(
        'anchor',
        repeatable(
          "trust anchor: the master key's public certificate; repeatable (default: every file in the anchors directory of pkgkeys.conf)",
        ),
      )
      .option('threshold', thresholdOption)
      .option('max-age', {
        type: 'string',
        default: '3d',
        describe: 'stale when no update succeeded for this long (DURATION: 3d, 36h)',
      })
      .option('update-interval', {
        type: 'string',
        default: '25h',
        describe:
          'the longest time between two runs of pkgkeys update, for the revocation bound (default: daily from cron, with --random-delay 3600)',
      }),
  handler: async (argv) => {
    const { keyringStatus } = require('../../lib/client/status') as typeof import('../../lib/client/status');
    const client = await clientOf(argv);
    const { locations } = client;
    // Not readClock: a clock behind the floor is one of the problems status reports.
    const clock = await new ClientState(locations.stateDir).clock(nowOf(argv));
    const { now } = clock;
    const duration = (option: 'max-age' | 'update-interval') => {
      const end = parseExpiry(argv[option], now);
      if (end === null) throw new PkgkeysError('USAGE', `--${option} must be a duration`);
      return end.getTime() - now.getTime();
    };
    const status = await keyringStatus({
      dir: locations.liveDir,
      anchors: await anchorsOf(argv, client),
      clock,
      policy: client.policy,
      maxAgeMs: duration('max-age'),
      updateIntervalMs: duration('update-interval'),
      warnMs: 30 * DAY,
    });
    const { installed, update, floor, revocationBound: bound } = status;
    // --json names the floor's repository `identifier`, as it always has.
    const reported = {
      ...status,
      floor: floor && { identifier: floor.repository, signed: floor.signed, signer: floor.signer },
    };
    print(argv, { ...reported, ok: status.problems.length === 0, dir: locations.liveDir }, (s) => [
      installed
        ? `keyring ${installed.release.name} release ${installed.release.serial} installed ${formatTime(installed.installed)}` +
          ` (${Math.floor((now.getTime() - installed.installed.getTime()) / DAY)} days ago), signed ${formatTime(installed.release.signed)}, valid until ${formatTime(installed.release.expires)}`
        : `no keyring installed in ${s.dir}`,
      ...(update
        ? [
            `last update ${formatTime(update.lastAttempt)} from ${update.url}: ${update.lastError ? `${update.lastError.code}: ${update.lastError.message}` : 'ok'}` +
              `${update.lastSuccess ? `; last success ${formatTime(update.lastSuccess)}` : ''}`,
          ]
        : []),
      `clock ${formatTime(clock.reads)}; ${floor ? `latest time proven ${formatTime(floor.signed)} (the ${floor.repository} signature by ${floor.signer})` : 'no time proven yet'}`,
      ...(bound
        ? [
            `a key revoked upstream is refused here within ${describeSpan(bound.ms)} of the revocation's publication ` +
              `(release lifetime ${describeSpan(bound.releaseLifetimeMs)} + update interval ${describeSpan(bound.updateIntervalMs)})`,
          ]
        : []),
      ...s.expiring.map((e) => `expires ${formatTime(e.expires)}: ${e.what} of ${e.key}`),
      ...s.problems.map((p) => `${p.code}: ${p.message}`),
    ]);
    argv.session.exit = exitStatusOfAll(status.problems.map((p) => p.code));
  },
};
