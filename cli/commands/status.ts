import type { CommandModule } from 'yargs';
import { keyringStatus } from '../../lib/client/status';
import { PkgkeysError, exitStatusOf } from '../../lib/errors';
import { formatTime, parseExpiry } from '../../lib/time';
import { anchorsOf, clientOf, nowOf, print, repeatable, thresholdOption } from '../common';
import type { GlobalArgs } from '../io';

interface Args extends GlobalArgs {
  anchor: string[] | undefined;
  threshold: number | undefined;
  'max-age': string;
}

const DAY = 86_400_000;

export const statusCommand: CommandModule<GlobalArgs, Args> = {
  command: 'status',
  describe: 'Show the installed keyring, its age, keys that expire within 30 days and the last update; fail when it is stale',
  builder: (y) =>
    y
      .option('anchor', repeatable('trust anchor: the master key\'s public certificate; repeatable (default: every file in the anchors directory of pkgkeys.conf)'))
      .option('threshold', thresholdOption)
      .option('max-age', { type: 'string', default: '3d', describe: 'stale when no update succeeded for this long (DURATION: 3d, 36h)' }),
  handler: async (argv) => {
    const client = await clientOf(argv);
    const { locations } = client;
    const now = nowOf(argv);
    const maxAge = parseExpiry(argv['max-age'], now);
    if (maxAge === null) throw new PkgkeysError('USAGE', '--max-age must be a duration');
    const status = await keyringStatus({
      dir: locations.liveDir, anchors: await anchorsOf(argv, client),
      now, policy: client.policy, maxAgeMs: maxAge.getTime() - now.getTime(), warnMs: 30 * DAY,
    });
    const { installed, update } = status;
    print(argv, { ...status, ok: status.problems.length === 0, dir: locations.liveDir }, (s) => [
      installed
        ? `keyring ${installed.release.name} release ${installed.release.serial} installed ${formatTime(installed.installed)}` +
          ` (${Math.floor((now.getTime() - installed.installed.getTime()) / DAY)} days ago), signed ${formatTime(installed.release.signed)}, valid until ${formatTime(installed.release.expires)}`
        : `no keyring installed in ${s.dir}`,
      ...(update ? [`last update ${formatTime(update.lastAttempt)} from ${update.url}: ${update.lastError ? `${update.lastError.code}: ${update.lastError.message}` : 'ok'}` +
        `${update.lastSuccess ? `; last success ${formatTime(update.lastSuccess)}` : ''}`] : []),
      ...s.expiring.map((e) => `expires ${formatTime(e.expires)}: ${e.what} of ${e.key}`),
      ...s.problems.map((p) => `${p.code}: ${p.message}`),
    ]);
    if (status.problems.length > 0) argv.session.exit = exitStatusOf(status.problems[0]!.code);
  },
};
